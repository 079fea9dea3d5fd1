"""Projection of explanations, reviewed documents and deleted documents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from docroute.contracts._generated import DocumentClassified, Explanation, Neighbour, Term
from services.api.documents.models import Document
from tests.unit.api.test_api_projector import BLOB, OCR, WORKFLOW, apply, received, routed


def classified(doc: uuid.UUID, *, unknown: bool) -> DocumentClassified:
    return DocumentClassified(
        document_id=doc,
        workflow_id=WORKFLOW,
        purpose="processing",
        blob=BLOB,
        ocr_ref=OCR,
        page_count=1,
        model_version=1,
        embedder_id="e",
        probabilities={"a": 0.6, "b": 0.4},
        predicted_class="a",
        confidence=0.6,
        unknown=unknown,
        explanation=Explanation(
            neighbours=[Neighbour(sample_id="s1", label="a", similarity=0.41)],
            terms=[Term(term="total", weight=0.2)],
            novelty=0.52,
            unknown_threshold=0.27,
        ),
    )


def test_unknown_flag_and_explanation_are_kept(session: Session) -> None:
    doc = uuid.uuid4()
    apply(session, "document.classified", classified(doc, unknown=True))
    row = session.get(Document, doc)
    assert row is not None and row.unknown is True
    assert row.explanation is not None and row.explanation["neighbours"][0]["sample_id"] == "s1"
    assert row.explanation["terms"] == [{"term": "total", "weight": 0.2}]


def test_routed_events_leave_a_reviewed_document_as_the_reviewer_left_it(session: Session) -> None:
    doc = uuid.uuid4()
    apply(session, "document.classified", classified(doc, unknown=False))
    apply(session, "document.routed", routed(doc, route="review"))
    row = session.get(Document, doc)
    assert row is not None and row.status == "review"
    row.reviewed_class, row.reviewed_by, row.reviewed_at = "b", "ann", datetime.now(UTC)
    row.route, row.route_topic, row.status = "extract", "extract.b", "routed"
    session.commit()
    apply(session, "document.routed", routed(doc, route="review"))  # a replay of the router's
    session.refresh(row)
    assert (row.route, row.route_topic, row.status) == ("extract", "extract.b", "routed")
    assert row.predicted_class == "a"


def test_events_about_a_deleted_document_change_nothing(session: Session) -> None:
    doc = uuid.uuid4()
    apply(session, "document.received", received(doc))
    row = session.get(Document, doc)
    assert row is not None
    row.deleted_at, row.blob_ref, row.status = datetime.now(UTC), None, "routed"
    session.commit()
    assert apply(session, "document.received", received(doc)) == []
    apply(session, "document.classified", classified(doc, unknown=False))
    session.refresh(row)
    assert row.blob_ref is None and row.predicted_class is None
