"""One function per event type the API projects: the event's facts into the database row.

Upserts are idempotent and a status never moves backwards (`status.advance`), so redelivered or
out-of-order events leave the same row. The only output is `sample.labelled`, for labelled
training uploads once their text is extracted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from docroute.contracts._generated import (
    DocumentClassified,
    DocumentFailed,
    DocumentReceived,
    DocumentRouted,
    DocumentSplit,
    DocumentTextExtracted,
    ModelPublished,
)
from docroute.events import Event, Outgoing
from docroute.settings import ServiceSettings
from services.api import outgoing
from services.api.access.models import UsageRecord
from services.api.access.service import usage
from services.api.documents.models import Document
from services.api.documents.service.status import advance, is_final
from services.api.projection.service import positions as event_positions
from services.api.projection.service.positions import PositionedEvent, document_id_of
from services.api.versions.models import ModelVersion
from services.api.versions.service import history as version_history
from services.api.workflows.models import Workflow

logger = logging.getLogger(__name__)

_DOCUMENT_EVENTS = frozenset(
    {
        "document.received",
        "document.text_extracted",
        "document.classified",
        "document.routed",
        "document.failed",
        "document.split",
    }
)
# session.info key: the batch's documents by id, loaded in one query (None: not in the database).
_BATCH_DOCUMENTS = "projector.batch_documents"
# session.info keys: whether each routed document with a row was metered already, read with the
# documents; and the usage records and workflows that query loaded, held for the batch.
_BATCH_METERED = "projector.batch_metered"
_BATCH_ROWS = "projector.batch_rows"
# session.info key: the page cap (`DOCROUTE_MAX_PAGES`) a delivered document is metered under.
_MAX_PAGES = "projector.max_pages"
DEFAULT_MAX_PAGES: int = ServiceSettings.model_fields["max_pages"].default


def document_row(session: Session, document_id: uuid.UUID, workflow_id: uuid.UUID | None) -> Document:
    """The document's row, created when this is the first the API hears of it (zip members,
    mailroom documents)."""
    document = _known_document(session, document_id)
    if document is None:
        document = Document(id=document_id, workflow_id=workflow_id, status="received")
        session.add(document)
        batch = session.info.get(_BATCH_DOCUMENTS)
        if batch is not None:
            batch[document_id] = document
    elif document.workflow_id is None:
        document.workflow_id = workflow_id
    return document


def on_received(session: Session, data: DocumentReceived) -> list[Outgoing]:
    doc = document_row(session, data.document_id, data.workflow_id)
    doc.purpose = data.purpose
    doc.label = data.label if data.label is not None and doc.labelled_at is None else doc.label
    doc.parent_id = data.parent_id
    doc.door = data.origin.door
    doc.filename = data.origin.filename
    doc.member_path = data.origin.member_path
    doc.upload_id = doc.upload_id or data.origin.upload_id
    doc.blob_ref, doc.sha256 = data.blob.ref, data.blob.sha256
    doc.size, doc.media_type = data.blob.size, data.blob.media_type
    doc.page_count = data.page_count
    if data.part is not None:  # a part of a split stack (its parent_id names the stack)
        doc.first_page, doc.last_page = data.part.first_page, data.part.last_page
    # v3: a part `auto` divided, and how sure the boundary model was of its pages (review shows it).
    if data.boundary_confidence is not None:
        doc.boundary_confidence = data.boundary_confidence
    doc.status = advance(doc.status, "received")
    return []


def on_split(session: Session, data: DocumentSplit) -> list[Outgoing]:
    """A stack divided into its parts: its mode and separators; its parts are documents whose
    parent_id is the stack. The parts are metered as they are delivered, so the pages the door
    reserved for the stack are given back."""
    doc = document_row(session, data.document_id, data.workflow_id)
    if doc.split and doc.split.get("corrected"):
        return []  # a person moved its boundaries since (review/boundaries.py): theirs stands
    doc.split = {
        "mode": data.mode,
        "separators": [s.model_dump(mode="json") for s in data.separators],
        "parts": [p.model_dump(mode="json") for p in data.documents],
    }
    usage.release(session, [data.document_id])
    logger.info(
        "split into %d parts, %d separators",
        len(data.documents),
        len(data.separators),
        extra={"document_id": doc.id, "workflow_id": data.workflow_id},
    )
    return []


def on_text_extracted(session: Session, data: DocumentTextExtracted) -> list[Outgoing]:
    doc = document_row(session, data.document_id, data.workflow_id)
    doc.purpose = data.purpose
    doc.label = data.label if data.label is not None and doc.labelled_at is None else doc.label
    doc.ocr_ref, doc.page_count = data.ocr_ref, data.page_count
    doc.blob_ref = doc.blob_ref or data.blob.ref
    doc.status = advance(doc.status, "extracted")
    # A replayed event must not undo a person's label or removal (they announced theirs).
    if data.purpose != "training" or not doc.label or doc.labelled_at is not None:
        return []
    logger.info(
        "sample labelled %s",
        doc.label,
        extra={"document_id": doc.id, "workflow_id": data.workflow_id},
    )
    return [
        outgoing.sample_labelled(
            document_id=data.document_id,
            workflow_id=data.workflow_id,
            label=doc.label,
            ocr_ref=data.ocr_ref,
        )
    ]


def on_classified(session: Session, data: DocumentClassified) -> list[Outgoing]:
    doc = document_row(session, data.document_id, data.workflow_id)
    doc.purpose = data.purpose
    doc.ocr_ref, doc.page_count = data.ocr_ref, data.page_count
    _set_prediction(doc, data.probabilities, data.predicted_class, data.confidence)
    doc.model_version = data.model_version
    doc.embedder_id = data.embedder_id[:300] if data.embedder_id else None
    doc.unknown = data.unknown
    doc.explanation = data.explanation.model_dump(mode="json") if data.explanation else None
    if doc.explanation is not None and data.unknown_reason:
        # Kept beside the explanation: why the version's unknown rule flagged it (v4 on).
        doc.explanation["unknown_reason"] = data.unknown_reason
    doc.status = advance(doc.status, "classified")
    return []


def on_routed(session: Session, data: DocumentRouted) -> list[Outgoing]:
    doc = document_row(session, data.document_id, data.workflow_id)
    if doc.reviewed_at is not None:
        return []  # a reviewer decided (review.py wrote the row); router replays change nothing
    doc.ocr_ref, doc.page_count = data.ocr_ref, data.page_count
    _set_prediction(doc, data.probabilities, data.document_class, data.confidence)
    doc.model_version = data.model_version
    doc.route, doc.route_topic, doc.route_reason = data.route, data.topic, data.reason
    doc.threshold = data.threshold
    decided = "routed" if data.route == "extract" else "review"
    if doc.status == "failed":
        # A route is what became of the document; a dead letter is one message given up (an
        # attempt's copy garbled or cut short while another attempt went through). Routes win
        # in whichever order the two topics deliver them (`on_failed` keeps a route, too).
        logger.warning("routed after a dead letter, shown %s", decided, extra={"document_id": doc.id})
        doc.status, doc.failed_stage, doc.reason_code, doc.reason = decided, None, None, None
    doc.status = advance(doc.status, decided)
    # Metered for the pages read (the door reserved as many), not for the document's length.
    max_pages = session.info.get(_MAX_PAGES, DEFAULT_MAX_PAGES)
    workflow = session.get(Workflow, data.workflow_id)  # loaded with the batch's documents
    metered = session.info.get(_BATCH_METERED, {})
    usage.meter(
        session,
        document_id=data.document_id,
        workflow_id=data.workflow_id,
        purpose=doc.purpose,
        pages=usage.billed_pages(workflow, data.page_count, max_pages),
        metered=metered.get(data.document_id),
    )
    if data.document_id in metered:  # metered now, also once a flush takes its record out of session.new
        metered[data.document_id] = True
    logger.info(
        "routed to %s",
        data.topic,
        extra={"document_id": doc.id, "workflow_id": data.workflow_id, "route": data.route},
    )
    return []


def on_failed(session: Session, data: DocumentFailed) -> list[Outgoing]:
    document_id, workflow_id = _uuid(data.document_id), _uuid(data.workflow_id)
    extra = {"document_id": data.document_id, "workflow_id": data.workflow_id}
    if document_id is None:
        logger.warning("dead letter without a document id: %s", data.reason, extra=extra)
        return []
    doc = document_row(session, document_id, workflow_id)
    if is_final(doc.status) and doc.status != "failed":
        logger.warning("dead letter after %s, kept %s", doc.status, doc.status, extra=extra)
        return []
    doc.status = "failed"
    usage.release(session, [document_id])  # its pages were reserved at the door; nothing was delivered
    doc.failed_stage, doc.reason_code, doc.reason = data.stage, data.reason_code, data.reason
    doc.blob_ref = doc.blob_ref or data.blob_ref
    doc.filename = doc.filename or data.filename
    doc.parent_id = doc.parent_id or data.parent_id  # a rejected zip member: its batch shows it
    logger.info("failed at %s: %s", data.stage, data.reason_code, extra=extra)
    return []


def on_model_published(session: Session, data: ModelPublished) -> list[Outgoing]:
    version_history.on_published(session, data)
    row = session.get(ModelVersion, (data.workflow_id, data.version))
    if row is None:
        row = ModelVersion(workflow_id=data.workflow_id, version=data.version)
        session.add(row)
    row.artifact_ref, row.embedder_id = data.artifact_ref, data.embedder_id[:300]
    row.labels, row.metrics = list(data.labels), data.metrics.model_dump(mode="json")
    # The boundary model's figures (`splitting: auto`; model.published v2) beside the classifier's.
    row.metrics["boundary"] = data.boundary.model_dump(mode="json") if data.boundary else None
    row.live = data.live
    row.reason = data.reason
    row.evaluation = data.evaluation.model_dump(mode="json") if data.evaluation else None
    if data.live:
        session.flush()
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.workflow_id == data.workflow_id)
            .where(ModelVersion.version != data.version)
            .values(live=False)
        )
    logger.info(
        "model version %s published",
        data.version,
        extra={"workflow_id": data.workflow_id, "version": data.version},
    )
    return []


HANDLERS: dict[str, Callable[[Session, Any], list[Outgoing]]] = {
    "document.received": on_received,
    "document.text_extracted": on_text_extracted,
    "document.classified": on_classified,
    "document.routed": on_routed,
    "document.failed": on_failed,
    "document.split": on_split,
    "model.published": on_model_published,
    "model.promoted": version_history.on_model_promoted,
}


def apply(session: Session, event: Event[Any]) -> list[Outgoing]:
    """Project one event; returns the events to produce once the transaction commits."""
    handler = HANDLERS.get(event.type)
    if handler is None or _deleted(session, event.data):
        return []
    return handler(session, event.data)


def apply_batch(
    session: Session, events: Sequence[PositionedEvent], max_pages: int = DEFAULT_MAX_PAGES
) -> list[Outgoing]:
    """Project a poll's events in order and record their positions, in the caller's transaction.

    `max_pages` is the page cap (`DOCROUTE_MAX_PAGES`): a delivered document is metered for the
    pages read under it.

    The batch's documents are loaded in one query up front, with the usage record and workflow of
    each routed one (a poll holds one or two events in a burst, so a query of their own was a
    round trip per poll), and document events do not flush the session one by one (a lookup
    would autoflush every pending row): the batch is flushed once, at commit. Handlers that
    query (model versions) see a flushed session.
    """
    ids = {i for e in events if (i := document_id_of(e.event.data)) is not None}
    routed = {e.event.data.document_id for e in events if e.event.type == "document.routed"}
    rows = _load_documents(session, ids, routed)
    session.info[_BATCH_DOCUMENTS] = dict.fromkeys(ids) | {d.id: d for d, _, _ in rows}
    # Known for routed documents with a row only; others are asked (a record may outlive its row).
    session.info[_BATCH_METERED] = {d.id: u is not None for d, u, _ in rows if d.id in routed}
    # Held for the batch: the identity map keeps only weak references to loaded rows.
    session.info[_BATCH_ROWS] = rows
    session.info[_MAX_PAGES] = max_pages
    try:
        produce: list[Outgoing] = []
        for positioned in events:
            if positioned.event.type in _DOCUMENT_EVENTS:
                with session.no_autoflush:
                    produce += apply(session, positioned.event)
            else:
                session.flush()
                produce += apply(session, positioned.event)
        event_positions.record(session, events)
    finally:
        for key in (_BATCH_DOCUMENTS, _BATCH_METERED, _BATCH_ROWS, _MAX_PAGES):
            session.info.pop(key, None)
    return produce


def _load_documents(
    session: Session, ids: set[uuid.UUID], routed: set[uuid.UUID]
) -> list[tuple[Document, UsageRecord | None, Workflow | None]]:
    """The batch's documents in one query; for the routed ones also their usage record and
    workflow (into the session's identity map, where metering's lookups find them)."""
    if not ids:
        return []
    if not routed:
        return [(d, None, None) for d in session.scalars(select(Document).where(Document.id.in_(ids)))]
    is_routed = Document.id.in_(routed)
    query = (
        select(Document, UsageRecord, Workflow)
        .outerjoin(UsageRecord, and_(UsageRecord.document_id == Document.id, is_routed))
        .outerjoin(Workflow, and_(Workflow.id == Document.workflow_id, is_routed))
        .where(Document.id.in_(ids))
    )
    return [(d, u, w) for d, u, w in session.execute(query)]


def _set_prediction(
    doc: Document, probabilities: dict[str, float], predicted: str | None, confidence: float
) -> None:
    doc.probabilities = dict(probabilities)
    doc.predicted_class = predicted
    doc.confidence = confidence


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _known_document(session: Session, document_id: uuid.UUID) -> Document | None:
    batch = session.info.get(_BATCH_DOCUMENTS)
    if batch is not None and document_id in batch:
        return cast("Document | None", batch[document_id])
    return session.get(Document, document_id)


def _deleted(session: Session, data: Any) -> bool:
    """True when the event is about a deleted document: late or replayed events leave it deleted."""
    document_id = document_id_of(data)
    document = _known_document(session, document_id) if document_id else None
    return document is not None and document.deleted_at is not None
