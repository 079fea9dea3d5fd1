"""Review rules on an in-memory database: what can be reviewed, what a review writes, and that a
broker failure leaves the document as it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from docroute.contracts.schemas import load_schemas
from docroute.errors import BrokerUnavailableError
from docroute.events import Outgoing, decode, encode
from services.api.documents.models import Document
from services.api.errors import DomainError
from services.api.review.models import DocumentAudit
from services.api.review.recalls import class_recall
from services.api.review.service import Verdict, review
from services.api.tables import Base
from services.api.workflows.models import Workflow

SHA = "b" * 64


class Producer:
    """Records what would be sent; `down` makes every send fail as an unreachable broker does."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.sent: list[Outgoing] = []

    def send(self, outgoing: Any) -> None:
        if self.down:
            raise BrokerUnavailableError("broker down")
        self.sent += list(outgoing)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def setup(session: Session, **doc: Any) -> tuple[Workflow, Document]:
    workflow = Workflow(
        id=uuid.uuid4(),
        name="w",
        description="",
        labels=["invoice", "payslip"],
        document_spec={},
        threshold=0.8,
        class_thresholds={"payslip": 0.9},
        retrain_every=20,
        archived=False,
    )
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "workflow_id": workflow.id,
        "purpose": "processing",
        "status": "review",
        "route": "review",
        "route_topic": "review.pending",
        "route_reason": "doubtful",
        "blob_ref": f"s3://b/originals/sha256/{SHA}",
        "sha256": SHA,
        "size": 3,
        "media_type": "application/pdf",
        "page_count": 1,
        "ocr_ref": "s3://b/ocr/x.json",
        "probabilities": {"invoice": 0.6, "payslip": 0.4},
        "predicted_class": "invoice",
        "confidence": 0.6,
        "model_version": 2,
        **doc,
    }
    document = Document(**fields)
    session.add_all([workflow, document])
    session.commit()
    return workflow, document


def test_a_correction_routes_labels_and_audits(session: Session) -> None:
    workflow, doc = setup(session)
    producer = Producer()
    outcome = review(session, producer, workflow, doc, Verdict("payslip", "ann", via="k"))  # type: ignore[arg-type]
    assert outcome.action == "corrected" and outcome.topic == "extract.payslip"
    assert [o.topic for o in producer.sent] == ["extract.payslip", "document.routed", "sample.labelled"]
    routed = producer.sent[0].event.data
    assert routed.confidence == 1.0 and routed.threshold == 0.9 and routed.model_version == 2
    assert producer.sent[2].key == str(workflow.id) and producer.sent[2].event.data.label == "payslip"
    assert (doc.status, doc.route_topic, doc.label, doc.reviewed_by) == (
        "routed",
        "extract.payslip",
        "payslip",
        "ann",
    )
    [audit] = session.scalars(select(DocumentAudit)).all()
    assert (
        audit.original_class == "invoice"
        and audit.original_route == "review"
        and audit.new_class == "payslip"
    )


def test_confirming_an_auto_routed_document_does_not_route_it_again(session: Session) -> None:
    workflow, doc = setup(
        session,
        status="routed",
        route="extract",
        route_topic="extract.invoice",
        route_reason="0.95 >= 0.80",
        confidence=0.95,
    )
    producer = Producer()
    outcome = review(session, producer, workflow, doc, Verdict("invoice", "ann", via="k"))  # type: ignore[arg-type]
    assert outcome.action == "confirmed"
    assert [o.topic for o in producer.sent] == ["sample.labelled"]
    assert doc.route_reason == "0.95 >= 0.80"


def test_a_routed_document_corrected_to_another_topic_is_recalled_from_the_first(session: Session) -> None:
    workflow, doc = setup(
        session, status="routed", route="extract", route_topic="extract.invoice", confidence=0.95
    )
    producer = Producer()
    review(session, producer, workflow, doc, Verdict("payslip", "ann", via="k"))  # type: ignore[arg-type]
    assert [(o.topic, o.event.type) for o in producer.sent] == [
        ("extract.invoice", "document.superseded"),
        ("document.routed", "document.superseded"),
        ("extract.payslip", "document.routed"),
        ("document.routed", "document.routed"),
        ("sample.labelled", "sample.labelled"),
    ]
    recall = producer.sent[0].event
    assert (recall.data.topic, recall.data.document_class, recall.data.corrected_by) == (
        "extract.invoice",
        "invoice",
        "ann",
    )
    assert recall.data.rerouted_to.model_dump() == {"topic": "extract.payslip", "document_class": "payslip"}
    assert recall.data.stack_id is None and recall.data.replaced_by is None
    # v2 (the stack's fields of v1 are absent), valid against it, and read back as it was sent.
    assert recall.version == 2 and decode(encode(recall)).data == recall.data
    # A request repeated after a broker failure names the same recall.
    _, again = setup(session, status="routed", route="extract", route_topic="extract.invoice")
    again.id = doc.id
    assert class_recall(again, to_topic="extract.payslip", to_class="payslip", reviewer="ann")[
        0
    ].event.id == (recall.id)


def test_a_document_reviewed_out_of_review_has_nothing_to_recall(session: Session) -> None:
    workflow, doc = setup(session)  # in review: it went to review.pending, not to extraction
    producer = Producer()
    review(session, producer, workflow, doc, Verdict("payslip", "ann", via="k"))  # type: ignore[arg-type]
    assert "document.superseded" not in [o.event.type for o in producer.sent]


def test_a_recall_names_either_a_stack_or_where_the_document_went() -> None:
    recall = {
        "document_id": str(uuid.uuid4()),
        "workflow_id": str(uuid.uuid4()),
        "topic": "extract.invoice",
        "document_class": "invoice",
        "corrected_by": "ann",
        "reason": "r",
    }
    stack = {"stack_id": str(uuid.uuid4()), "first_page": 0, "last_page": 1}
    stack["replaced_by"] = [{"document_id": str(uuid.uuid4()), "first_page": 0, "last_page": 1}]
    rerouted = {"rerouted_to": {"topic": "extract.payslip", "document_class": "payslip"}}
    schema = load_schemas()[("document.superseded", 2)]
    validator = jsonschema_rs.Draft202012Validator(schema)  # what docroute.events checks with
    assert validator.is_valid({**recall, **stack}) and validator.is_valid({**recall, **rerouted})
    assert not validator.is_valid(recall)  # neither
    assert not validator.is_valid({**recall, **stack, **rerouted})  # both
    assert not validator.is_valid({**recall, **rerouted, "stack_id": stack["stack_id"]})
    assert not validator.is_valid({**recall, "stack_id": stack["stack_id"]})  # a stack without its pages


def test_broker_down_leaves_the_document_as_it_was(session: Session) -> None:
    workflow, doc = setup(session)
    with pytest.raises(BrokerUnavailableError):
        review(session, Producer(down=True), workflow, doc, Verdict("payslip", "ann", via="k"))  # type: ignore[arg-type]
    session.refresh(doc)
    assert (doc.status, doc.route, doc.reviewed_at, doc.label) == ("review", "review", None, None)
    assert session.scalars(select(DocumentAudit)).all() == []


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"status": "extracted"}, 409),
        ({"purpose": "training"}, 409),
        ({"ocr_ref": None}, 409),
        ({"media_type": "application/zip"}, 409),
    ],
)
def test_what_cannot_be_reviewed(session: Session, changes: dict[str, Any], status: int) -> None:
    workflow, doc = setup(session, **changes)
    with pytest.raises(DomainError) as raised:
        review(session, Producer(), workflow, doc, Verdict("payslip", "ann", via="k"))  # type: ignore[arg-type]
    assert raised.value.status_code == status
