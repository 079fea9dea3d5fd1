"""Turns a `mail.received` (from either door) into `document.received` per document."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import uuid
from collections.abc import Sequence

from docroute import metrics, topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import (
    Attachment,
    Blob,
    DocumentFailed,
    DocumentReceived,
    MailReceived,
    Origin,
    Original,
)
from docroute.errors import BlobNotFoundError
from docroute.events import Event, Outgoing, new_event, stable_id
from docroute.workflows import WorkflowDirectory
from services.ingest.core import AcceptedFile, IntakeLimits, RejectedFile, take_in
from services.ingest.core.intake import folder_label

logger = logging.getLogger(__name__)


class IngestHandler:
    """One intake path for both doors."""

    def __init__(
        self, workflows: WorkflowDirectory, store: BlobStore, limits: IntakeLimits, max_inline_bytes: int
    ) -> None:
        self._workflows = workflows
        self._store = store
        self._limits = limits
        self._max_inline_bytes = max_inline_bytes

    def on_mail(self, event: Event[MailReceived]) -> Sequence[Outgoing]:
        mail = event.data
        workflow = self._workflows.get(str(mail.workflow_id))  # unknown: the whole mail is dead-lettered
        outgoing: list[Outgoing] = []
        for index, attachment in enumerate(mail.attachments):
            document_id = str(
                attachment.document_id or stable_id("attachment", mail.mail_id, index, attachment.filename)
            )
            try:
                data = self._read(attachment)
            except _AttachmentError as exc:
                rejected = RejectedFile(attachment.filename, None, exc.reason_code, str(exc))
                outgoing.append(self._failed(event, document_id, rejected, None))
                continue
            for result in take_in(attachment.filename, data, self._limits):
                member_id = (
                    document_id
                    if result.member_path is None
                    else stable_id("member", document_id, result.member_path)
                )
                if isinstance(result, RejectedFile):
                    parent_id = document_id if result.member_path else None
                    outgoing.append(self._failed(event, member_id, result, parent_id))
                    continue
                label = mail.label or (
                    folder_label(result.member_path, list(workflow.labels))
                    if mail.purpose == "training"
                    else None
                )
                outgoing.append(self._received(mail, result, member_id, document_id, label))
        return outgoing

    def _read(self, attachment: Attachment) -> bytes:
        if (attachment.content_base64 is None) == (attachment.s3_ref is None):
            raise _AttachmentError(
                "invalid_attachment", "an attachment needs exactly one of content_base64 and s3_ref"
            )
        if attachment.content_base64 is not None:
            if len(attachment.content_base64) * 3 // 4 > self._max_inline_bytes:
                raise _AttachmentError(
                    "too_large",
                    f"inline attachments are capped at {self._max_inline_bytes} bytes; send an s3_ref",
                )
            try:
                return base64.b64decode(attachment.content_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _AttachmentError("invalid_attachment", f"content_base64 is not base64: {exc}") from exc
        try:
            return self._store.get(str(attachment.s3_ref))
        except BlobNotFoundError as exc:
            raise _AttachmentError("blob_not_found", f"{attachment.s3_ref} does not exist") from exc

    def _received(
        self, mail: MailReceived, accepted: AcceptedFile, document_id: str, parent_id: str, label: str | None
    ) -> Outgoing:
        digest = hashlib.sha256(accepted.data).hexdigest()
        key = f"originals/sha256/{digest}"
        self._store.put_if_absent(key, accepted.data, content_type=accepted.media_type)
        received = DocumentReceived(
            document_id=uuid.UUID(document_id),
            workflow_id=mail.workflow_id,
            purpose=mail.purpose or "processing",
            label=label,
            parent_id=parent_id if accepted.member_path else None,
            origin=Origin(
                door=mail.door or "mailroom",
                filename=accepted.filename[:255],
                mail_id=mail.mail_id if mail.door != "upload" else None,
                upload_id=mail.mail_id if mail.door == "upload" else None,
                member_path=accepted.member_path,
            ),
            blob=Blob(
                ref=str(self._store.ref(key)),
                sha256=digest,
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
        event = new_event(
            "document.received",
            received,
            source="ingest",
            subject=document_id,
            event_id=stable_id("received", document_id),
        )
        return Outgoing(topics.DOCUMENT_RECEIVED, document_id, event)

    def _failed(
        self, event: Event[MailReceived], document_id: str, rejected: RejectedFile, parent_id: str | None
    ) -> Outgoing:
        filename, reason_code, reason = rejected.filename, rejected.reason_code, rejected.reason
        where = f"{filename} ({rejected.member_path})" if rejected.member_path else filename
        failed = DocumentFailed(
            document_id=document_id,
            workflow_id=str(event.data.workflow_id),
            parent_id=parent_id,
            stage="ingest",
            reason_code=reason_code,
            reason=f"{where}: {reason}",
            original=Original(
                topic=topics.INGEST_UPLOADS if event.data.door == "upload" else topics.MAILROOM_INCOMING,
                event_id=event.id,
                event_type=event.type,
            ),
            filename=filename[:255],
        )
        metrics.DEAD_LETTERED.labels("ingest", reason_code).inc()
        logger.warning(
            "rejected %s: %s", where, reason, extra={"document_id": document_id, "reason_code": reason_code}
        )
        dead = new_event(
            "document.failed",
            failed,
            source="ingest",
            subject=document_id,
            event_id=stable_id("failed", "ingest", document_id),
        )
        return Outgoing(topics.DEAD_LETTER, document_id, dead)


class _AttachmentError(Exception):
    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
