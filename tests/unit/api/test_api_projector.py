"""Projection handlers on an in-memory database: idempotent, never backwards, zip members."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from docroute import topics
from docroute.contracts._generated import (
    Blob,
    DocumentClassified,
    DocumentFailed,
    DocumentReceived,
    DocumentRouted,
    DocumentTextExtracted,
    Origin,
    Original,
)
from docroute.events import new_event
from services.api.access.models import UsageRecord
from services.api.documents.models import Document
from services.api.documents.service import records
from services.api.projection.service import projector
from services.api.projection.service.positions import PositionedEvent, positions_of

WORKFLOW = uuid.uuid4()
BLOB = Blob(ref="s3://b/originals/sha256/" + "a" * 64, sha256="a" * 64, size=10, media_type="image/png")
OCR = "s3://b/ocr/x.json"


def apply(session: Session, event_type: str, data: Any) -> list[Any]:
    out = projector.apply(session, new_event(event_type, data, source="test"))
    session.commit()
    return out


def received(doc: uuid.UUID, **extra: Any) -> DocumentReceived:
    origin = Origin(
        door="upload",
        filename=extra.pop("filename", "a.png"),
        member_path=extra.pop("member", None),
    )
    return DocumentReceived(
        document_id=doc,
        workflow_id=WORKFLOW,
        purpose=extra.pop("purpose", "processing"),
        origin=origin,
        blob=BLOB,
        page_count=1,
        **extra,
    )


def extracted(doc: uuid.UUID, purpose: str = "processing", label: str | None = None) -> DocumentTextExtracted:
    return DocumentTextExtracted(
        document_id=doc,
        workflow_id=WORKFLOW,
        purpose=purpose,
        label=label,
        blob=BLOB,
        ocr_ref=OCR,
        page_count=1,
        pages_used=[0],
        sources=["tesseract"],
        text_chars=5,
    )


def routed(doc: uuid.UUID, route: str = "extract") -> DocumentRouted:
    return DocumentRouted(
        document_id=doc,
        workflow_id=WORKFLOW,
        route=route,
        topic="extract.a",
        document_class="a",
        confidence=0.9,
        threshold=0.8,
        model_version=1,
        reason="a at 0.90 >= 0.80",
        probabilities={"a": 0.9, "b": 0.1},
        blob=BLOB,
        ocr_ref=OCR,
        page_count=1,
    )


def failed(doc: uuid.UUID | None) -> DocumentFailed:
    return DocumentFailed(
        document_id=str(doc) if doc else None,
        workflow_id=str(WORKFLOW),
        stage="ocr",
        reason_code="ocr_failed",
        reason="engine crashed",
        original=Original(topic=topics.DOCUMENT_RECEIVED),
    )


def test_events_in_order_and_replayed(session: Session) -> None:
    doc = uuid.uuid4()
    apply(session, "document.received", received(doc))
    apply(session, "document.text_extracted", extracted(doc))
    classified = DocumentClassified(
        document_id=doc,
        workflow_id=WORKFLOW,
        purpose="processing",
        blob=BLOB,
        ocr_ref=OCR,
        page_count=1,
        model_version=1,
        embedder_id="e",
        probabilities={"a": 0.9, "b": 0.1},
        predicted_class="a",
        confidence=0.9,
    )
    apply(session, "document.classified", classified)
    assert session.get(Document, doc).status == "classified"
    apply(session, "document.routed", routed(doc))
    for event_type, data in [
        ("document.received", received(doc)),
        ("document.text_extracted", extracted(doc)),
    ]:
        apply(session, event_type, data)  # redelivered
    row = session.get(Document, doc)
    assert (row.status, row.route_topic, row.ocr_ref, row.model_version) == (
        "routed",
        "extract.a",
        OCR,
        1,
    )
    apply(session, "document.failed", failed(doc))
    assert session.get(Document, doc).status == "routed"  # a final route is kept


def test_review_and_dead_letter(session: Session) -> None:
    review, dead = uuid.uuid4(), uuid.uuid4()
    apply(session, "document.routed", routed(review, route="review"))
    assert session.get(Document, review).status == "review"
    apply(session, "document.failed", failed(dead))
    row = session.get(Document, dead)
    assert (row.status, row.failed_stage, row.reason_code, row.reason) == (
        "failed",
        "ocr",
        "ocr_failed",
        "engine crashed",
    )
    assert apply(session, "document.failed", failed(None)) == []


def test_a_route_wins_over_a_dead_letter_in_either_order(session: Session) -> None:
    """One attempt's message dead-lettered, another's routed: the document is routed, whichever
    topic the projection reads first."""
    route_last, route_first = uuid.uuid4(), uuid.uuid4()
    apply(session, "document.received", received(route_last))
    apply(session, "document.failed", failed(route_last))
    apply(session, "document.routed", routed(route_last))
    apply(session, "document.routed", routed(route_first, route="review"))
    apply(session, "document.failed", failed(route_first))

    row = session.get_one(Document, route_last)
    assert (row.status, row.route_topic, row.failed_stage, row.reason_code, row.reason) == (
        "routed",
        "extract.a",
        None,
        None,
        None,
    )
    assert session.get_one(Document, route_first).status == "review"
    assert session.query(UsageRecord).filter_by(document_id=route_last).count() == 1


def test_training_text_emits_sample_labelled_once_labelled(session: Session) -> None:
    doc, unlabelled = uuid.uuid4(), uuid.uuid4()
    session.add(Document(id=doc, workflow_id=WORKFLOW, purpose="training", label="a", status="received"))
    session.commit()
    [out] = apply(session, "document.text_extracted", extracted(doc, purpose="training"))
    assert (out.topic, out.key, out.event.data.label, out.event.data.ocr_ref) == (
        topics.SAMPLE_LABELLED,
        str(WORKFLOW),
        "a",
        OCR,
    )
    assert apply(session, "document.text_extracted", extracted(unlabelled, purpose="training")) == []
    assert apply(session, "document.text_extracted", extracted(uuid.uuid4())) == []


def test_zip_members_roll_up(session: Session) -> None:
    parent = uuid.uuid4()
    session.add(
        Document(
            id=parent,
            workflow_id=WORKFLOW,
            status="received",
            upload_id="u-1",
            media_type="application/zip",
        )
    )
    session.commit()
    first, second = uuid.uuid4(), uuid.uuid4()
    apply(session, "document.received", received(first, parent_id=str(parent), member="x/1.png"))
    apply(session, "document.received", received(second, parent_id=str(parent), member="x/2.png"))
    assert [m.id for m in records.members(session, session.get(Document, parent))] == [first, second]
    apply(session, "document.routed", routed(first))
    assert records.effective_status(session, parent) == "received"
    apply(session, "document.routed", routed(second, route="review"))
    assert records.effective_status(session, parent) == "review"
    assert records.effective_status(session, uuid.uuid4()) is None


def test_a_replayed_text_does_not_undo_a_persons_label(session: Session) -> None:
    doc = uuid.uuid4()
    session.add(Document(id=doc, workflow_id=WORKFLOW, purpose="training", label="a", status="received"))
    session.commit()
    assert len(apply(session, "document.text_extracted", extracted(doc, purpose="training", label="a"))) == 1
    row = session.get_one(Document, doc)
    row.label, row.labelled_at = "b", datetime.now(UTC)  # relabelled through the API
    session.commit()
    assert apply(session, "document.text_extracted", extracted(doc, purpose="training", label="a")) == []
    assert session.get_one(Document, doc).label == "b"


def positioned(offset: int, topic: str, event_type: str, data: Any) -> PositionedEvent:
    return PositionedEvent(topic, 0, offset, new_event(event_type, data, source="test"))


def test_a_batch_applies_a_new_documents_events_and_records_their_positions(session: Session) -> None:
    doc, dead = uuid.uuid4(), uuid.uuid4()
    batch = [
        positioned(10, topics.DOCUMENT_RECEIVED, "document.received", received(doc)),
        positioned(11, topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", extracted(doc)),
        positioned(12, topics.DOCUMENT_ROUTED, "document.routed", routed(doc)),
        positioned(13, topics.DEAD_LETTER, "document.failed", failed(dead)),
        positioned(14, topics.DEAD_LETTER, "document.failed", failed(None)),  # names no document
    ]
    for _ in range(2):  # the second time: a replay after a lost offset commit
        assert projector.apply_batch(session, batch) == []
        session.commit()
    row = session.get_one(Document, doc)
    assert (row.status, row.route_topic, row.filename, row.ocr_ref) == ("routed", "extract.a", "a.png", OCR)
    assert session.get_one(Document, dead).status == "failed"
    assert [(p.topic, p.offset, p.event_type) for p in positions_of(session, doc)] == [
        (topics.DOCUMENT_RECEIVED, 10, "document.received"),
        (topics.DOCUMENT_TEXT_EXTRACTED, 11, "document.text_extracted"),
        (topics.DOCUMENT_ROUTED, 12, "document.routed"),
    ]
    assert [p.offset for p in positions_of(session, dead)] == [13]
    assert session.query(UsageRecord).filter_by(document_id=doc).count() == 1  # metered once


def test_a_batch_leaves_a_deleted_document_deleted(session: Session) -> None:
    doc = uuid.uuid4()
    session.add(Document(id=doc, workflow_id=WORKFLOW, status="routed", deleted_at=datetime.now(UTC)))
    session.commit()
    projector.apply_batch(
        session, [positioned(3, topics.DOCUMENT_RECEIVED, "document.received", received(doc))]
    )
    session.commit()
    row = session.get_one(Document, doc)
    assert (row.status, row.filename, row.deleted_at is not None) == ("routed", None, True)


def test_a_position_holding_another_event_now_is_overwritten(session: Session) -> None:
    """A broker whose log was replaced (in memory, restarted) hands out the same offsets again."""
    old, new = uuid.uuid4(), uuid.uuid4()
    projector.apply_batch(
        session, [positioned(0, topics.DOCUMENT_RECEIVED, "document.received", received(old))]
    )
    projector.apply_batch(
        session, [positioned(0, topics.DOCUMENT_RECEIVED, "document.received", received(new))]
    )
    session.commit()
    assert positions_of(session, old) == []
    assert [p.offset for p in positions_of(session, new)] == [0]
