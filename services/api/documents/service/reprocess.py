"""Reprocessing: dead-lettered documents through the pipeline again, once their cause is fixed,
and documents waiting in review through a newer model.

A document is sent again only while it is `failed` (or in review, undecided, classified by a
model older than the live one) and its original is stored (a document refused before it was
read, such as a mail naming an unknown workflow, has none: its sender publishes the mail
again). It re-enters at the upload door under its own document id: the stored original is
copied to `uploads/<upload id>`, its pages are reserved against the plan (429 when they do not
fit, and nothing is sent; pages already metered are not reserved again), its row goes back to
`received` and `mail.received` goes to ingest.

Idempotent: the row leaves `failed`/`review` in the transaction that decides to send it, so a
second call finds nothing to send while the first is in flight, and the router decides a
document's route once (its decision record; a document in review once more per newer model), so
a repeat cannot route it twice. The upload id is derived from the document and the failure (or
model) it recovers from: a retried call emits the same event id, which consumers drop. A dry run
lists what would be sent and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docroute.errors import BlobNotFoundError, BrokerUnavailableError, TransientError
from docroute.events import stable_id
from docroute.intake import member_document_id
from services.api import outgoing
from services.api.access.service import usage
from services.api.adapters import Resources
from services.api.documents.models import Document
from services.api.documents.schemas import ReprocessItem, ReprocessRequest, ReprocessResult
from services.api.documents.service import records
from services.api.documents.service.door import RefusedFileError, count_pages, intake_limits
from services.api.versions.models import ModelVersion
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A document chosen for reprocessing and what the door needs to send it."""

    row: Document
    upload_id: str
    data: bytes
    charges: list[tuple[uuid.UUID, int]]


def select_documents(session: Session, workflow: Workflow, request: ReprocessRequest) -> list[Document]:
    """The workflow's processing documents the request names, oldest first: dead-lettered ones
    (`failed`), and those waiting in review (no person decided yet) that a model older than the
    live one classified (`review`; sent again, the live model classifies them and the router
    decides again).

    Unless it is a dry run, the rows come locked until the caller commits: a person's review of
    one of them (which locks its row too) either commits first, and the row is selected again
    and left out as decided, or waits and then finds it in flight (409), so a document is never
    both reviewed to a class's topic and sent to be routed again."""
    wanted = []
    if "failed" in request.statuses:
        failed = Document.status == "failed"
        if request.reason_codes:
            failed = failed & Document.reason_code.in_(request.reason_codes)
        if request.stages:
            failed = failed & Document.failed_stage.in_(request.stages)
        wanted.append(failed)
    live = _live_version(session, workflow)
    if "review" in request.statuses and live is not None:
        older = or_(Document.model_version.is_(None), Document.model_version < live)
        wanted.append((Document.status == "review") & Document.reviewed_at.is_(None) & older)
    if not wanted:
        return []
    query = select(Document).where(
        Document.workflow_id == workflow.id,
        # A document refused at ingest was never received: its purpose is unknown (None).
        or_(Document.purpose == "processing", Document.purpose.is_(None)),
        Document.deleted_at.is_(None),
        or_(*wanted),
    )
    if request.document_ids:
        query = query.where(Document.id.in_(request.document_ids))
    query = query.order_by(Document.created_at, Document.id).limit(request.limit)
    return list(session.scalars(query if request.dry_run else query.with_for_update()))


def _live_version(session: Session, workflow: Workflow) -> int | None:
    query = select(ModelVersion.version).where(
        ModelVersion.workflow_id == workflow.id, ModelVersion.live.is_(True)
    )
    return session.scalars(query).first()


def why_not(row: Document) -> str | None:
    """Why a dead-lettered document cannot be sent again; None when it can."""
    if row.blob_ref is None:
        return "its original was never stored (refused before it was read): publish the mail again"
    return None


def upload_id_for(row: Document) -> str:
    """One upload id per (document, failure or model that sent it to review): a retried call
    re-emits the same event id."""
    return stable_id("reprocess", row.id, row.failed_stage, row.reason_code, row.reason, row.model_version)


def reprocess(resources: Resources, workflow: Workflow, request: ReprocessRequest) -> ReprocessResult:
    """List (dry run) or send the documents the request selects; see the module docstring."""
    with resources.sessions() as session:
        rows = select_documents(session, workflow, request)
        if request.dry_run:
            items = [_item(row, why_not(row), "would_send") for row in rows]
            return ReprocessResult(dry_run=True, sent=0, documents=items)
        items, sendable = [], []
        for row in rows:
            found = why_not(row) or _candidate(resources, workflow, row)
            if isinstance(found, str):
                items.append(_item(row, found, "sent"))
                continue
            items.append(_item(row, None, "sent"))
            sendable.append(found)
        charges = [charge for c in sendable for charge in c.charges]
        if charges:
            usage.reserve(session, resources.settings.usage, workflow, charges)  # 429: nothing sent
        for candidate in sendable:
            row = candidate.row
            row.status = "received"
            row.failed_stage = row.reason_code = row.reason = None
            row.upload_id = candidate.upload_id
        session.commit()
        for candidate in sendable:
            _send(resources, session, workflow, candidate)
    logger.info("reprocessing %d documents", len(sendable), extra={"workflow_id": workflow.id})
    return ReprocessResult(dry_run=False, sent=len(sendable), documents=items)


def _item(row: Document, why: str | None, action: str) -> ReprocessItem:
    """The listing of one document: `action`, or `skipped` with why."""
    return ReprocessItem(
        document_id=row.id,
        status=row.status,
        filename=row.filename,
        stage=row.failed_stage,
        reason_code=row.reason_code,
        reason=row.reason if row.status == "failed" else row.route_reason,
        action="skipped" if why else action,
        why=why,
    )


def _candidate(resources: Resources, workflow: Workflow, row: Document) -> Candidate | str:
    """The original's bytes and the pages to reserve; why not, when it cannot be sent."""
    try:
        data = resources.blobstore.get(str(row.blob_ref))
        pages = count_pages(row.filename or "unnamed", data, intake_limits(resources.settings))
    except BlobNotFoundError:
        return "its stored original is gone"
    except RefusedFileError as exc:
        return f"the door refuses its original: {exc} ({exc.reason_code})"
    cap = resources.settings.max_pages
    charges = [
        (uuid.UUID(member_document_id(str(row.id), path)), usage.billed_pages(workflow, count, cap))
        for path, count in pages
    ]
    return Candidate(row, upload_id_for(row), data, charges)


def _send(resources: Resources, session: Session, workflow: Workflow, candidate: Candidate) -> None:
    """Copy the original to the upload door's place and hand it to ingest; on failure the
    document is failed again with the reason (and its pages released)."""
    row = candidate.row
    try:
        media_type = row.media_type or "application/octet-stream"
        key = f"uploads/{candidate.upload_id}"
        ref = resources.blobstore.put(key, candidate.data, content_type=media_type)
        resources.producer.send(
            [
                outgoing.upload_received(
                    workflow_id=workflow.id,
                    document_id=row.id,
                    upload_id=candidate.upload_id,
                    s3_ref=str(ref),
                    filename=row.filename or "unnamed",
                    purpose="processing",
                    label=None,
                )
            ]
        )
    except TransientError as exc:
        code = "broker_unavailable" if isinstance(exc, BrokerUnavailableError) else "storage_unavailable"
        usage.release(session, [charge for charge, _ in candidate.charges])
        records.mark_failed(session, row.id, stage="api", reason_code=code, reason=str(exc))
        raise
