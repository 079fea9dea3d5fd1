"""Turns a `mail.received` (from either door) into `document.received` per document."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from docroute import metrics, topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import (
    Attachment,
    Blob,
    DocumentReceived,
    MailReceived,
    Origin,
)
from docroute.errors import PermanentError
from docroute.events import Event, Outgoing, emit
from docroute.intake import (
    AcceptedFile,
    IntakeLimits,
    RejectedFile,
    mail_document_id,
    member_document_id,
    safe_filename,
    sample_label,
    take_in,
    unknown_label_reason,
)
from docroute.page_selection import billable_pages
from docroute.settings import ServiceSettings
from docroute.workflows import WorkflowDirectory
from services.ingest.attachments import AttachmentReader, AttachmentRefusedError, Door
from services.ingest.dead_letters import dead_letter
from services.ingest.quota_gate import QuotaGate

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES: int = ServiceSettings.model_fields["max_pages"].default
_TOPICS: dict[Door, str] = {"mailroom": topics.MAILROOM_INCOMING, "upload": topics.INGEST_UPLOADS}


class IngestHandler:
    """One intake path for both doors; each door's messages are trusted only as far as their
    producers are (see services.ingest.core and schemas/README.md, trust model)."""

    def __init__(
        self,
        workflows: WorkflowDirectory,
        store: BlobStore,
        reader: AttachmentReader,
        limits: IntakeLimits,
        quota: QuotaGate,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self._workflows = workflows
        self._max_pages = max_pages  # DOCROUTE_MAX_PAGES: a document reserves the pages OCR reads
        self._store = store
        self._reader = reader
        self._limits = limits
        self._quota = quota
        # Stores an original while the page ledger reserves its pages: one put per message in
        # hand, and messages of both doors and of every lane (DOCROUTE_STREAM_CONCURRENCY) may
        # be in hand at once, so one worker would queue their puts behind each other.
        self._keeping = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ingest-keep")

    def on_mailroom(self, event: Event[MailReceived]) -> Sequence[Outgoing]:
        """`mailroom.incoming`: mail from gateways outside docroute."""
        return self._take(event, "mailroom")

    def on_upload(self, event: Event[MailReceived]) -> Sequence[Outgoing]:
        """`ingest.uploads`: files the API's upload door took in (and reserved pages for)."""
        return self._take(event, "upload")

    def _take(self, event: Event[MailReceived], door: Door) -> Sequence[Outgoing]:
        mail = event.data
        if (mail.door or "mailroom") != door:
            raise PermanentError(
                f"a mail on {_TOPICS[door]} cannot claim door {mail.door!r}", reason_code="door_mismatch"
            )
        # unknown or archived: the whole mail is dead-lettered
        workflow = self._workflows.get(str(mail.workflow_id), as_of=event.time)
        labels = list(workflow.labels)
        purpose = mail.purpose or "processing"
        label = mail.label if purpose == "training" else None
        outgoing: list[Outgoing] = []
        for index, attachment in enumerate(mail.attachments):
            document_id = _document_id(mail, index, attachment, door)
            filename = safe_filename(attachment.filename, default="unnamed")
            refused = _refused_attachment(filename, unknown_label_reason(label, labels))
            if refused is None:
                try:
                    data = self._reader.read(attachment, door, str(mail.workflow_id))
                except AttachmentRefusedError as exc:
                    refused = RejectedFile(filename, None, exc.reason_code, str(exc))
            if refused is not None:
                outgoing.append(dead_letter(event, _TOPICS[door], document_id, refused, None))
                continue
            for result in take_in(filename, data, self._limits):
                member_id = member_document_id(document_id, result.member_path)
                parent_id = document_id if result.member_path else None
                kept: str | None = None
                if isinstance(result, AcceptedFile) and door == "mailroom" and purpose == "processing":
                    spec = workflow.document_spec.relevant_pages
                    pages = billable_pages(result.page_count, spec, self._max_pages)
                    # The original is kept whether its pages fit or not (refused, it can be
                    # reprocessed once pages are free: POST .../reprocess), so S3 stores it while
                    # the ledger answers, not after. Held (policy `hold`), it is stored early:
                    # under its digest, the retry finds it there.
                    keeping = self._keeping.submit(self._keep_original, result)
                    over = self._quota.refusal(mail.workflow_id, member_id, pages)
                    kept = keeping.result()
                    if over:
                        result = RejectedFile(result.filename, result.member_path, "quota_exceeded", over)
                        outgoing.append(dead_letter(event, _TOPICS[door], member_id, result, parent_id, kept))
                        continue
                if isinstance(result, RejectedFile):
                    outgoing.append(dead_letter(event, _TOPICS[door], member_id, result, parent_id))
                    continue
                member_label = (
                    sample_label(result.member_path, label, labels) if purpose == "training" else None
                )
                outgoing.append(
                    self._received(mail, door, result, member_id, document_id, member_label, kept)
                )
        return outgoing

    def _received(
        self,
        mail: MailReceived,
        door: Door,
        accepted: AcceptedFile,
        document_id: str,
        parent_id: str,
        label: str | None,
        kept: str | None,
    ) -> Outgoing:
        ref = kept or self._keep_original(accepted)
        received = DocumentReceived(
            document_id=uuid.UUID(document_id),
            workflow_id=mail.workflow_id,
            purpose=mail.purpose or "processing",
            label=label,
            parent_id=parent_id if accepted.member_path else None,
            origin=Origin(
                door=door,
                filename=accepted.filename[:255],
                mail_id=mail.mail_id if door == "mailroom" else None,
                upload_id=mail.mail_id if door == "upload" else None,
                member_path=accepted.member_path,
            ),
            blob=Blob(
                ref=ref,
                sha256=accepted.sha256,
                size=len(accepted.data),
                media_type=accepted.media_type,
            ),
            page_count=accepted.page_count,
            model_version=mail.model_version if mail.purpose == "preview" else None,
        )
        metrics.DOCUMENTS.labels("ingest").inc()
        logger.info(
            "received %s (%s, %d pages)",
            accepted.filename,
            accepted.media_type,
            accepted.page_count,
            extra={"document_id": document_id, "workflow_id": str(mail.workflow_id)},
        )
        return emit(
            topics.DOCUMENT_RECEIVED,
            "document.received",
            received,
            source="ingest",
            key=document_id,
            step="received",
        )

    def _keep_original(self, accepted: AcceptedFile) -> str:
        """Store the bytes under their digest (once); their S3 reference."""
        key = f"originals/sha256/{accepted.sha256}"
        self._store.put_if_absent(key, accepted.data, content_type=accepted.media_type)
        return str(self._store.ref(key))


def _document_id(mail: MailReceived, index: int, attachment: Attachment, door: Door) -> str:
    """The API names its uploads' ids; a mail's derive from it (`mail_document_id`): an id a
    mailroom sender chose is ignored, so no mail can name another workflow's document."""
    if door == "upload" and attachment.document_id is not None:
        return str(attachment.document_id)
    return mail_document_id(mail.workflow_id, mail.mail_id, index, attachment.filename)


def _refused_attachment(filename: str, unknown_label: str | None) -> RejectedFile | None:
    """What the door refuses before reading: a label the workflow lacks."""
    if unknown_label:
        return RejectedFile(filename, None, "unknown_label", unknown_label)
    return None
