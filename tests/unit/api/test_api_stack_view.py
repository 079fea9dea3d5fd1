"""What review shows of a stack (issue 8): each part's class confidence and boundary confidence;
a multi-page document read as one is a stack of one part, itself, that a person may divide
unless its workflow's splitting is `none`; once divided it is as far as its parts are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from docroute.contracts._generated import Part
from services.api.documents.models import Document
from services.api.documents.service import records
from services.api.documents.service.status import aggregate
from services.api.review.boundaries import stack_view
from services.api.review.routes import review_queue
from services.api.review.schemas import ReviewQueue
from services.api.review.undivided import divisible
from services.api.workflows.models import Workflow
from tests.unit.api.test_api_projector_split import BLOB, WORKFLOW, _split, apply, received, routed


def test_each_part_shows_its_class_confidence_and_boundary_confidence(session: Session) -> None:
    stack, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    apply(session, "document.received", received(stack))
    for part_id, pages, sure in ((first, (0, 1), 0.97), (second, (2, 4), 0.41)):
        part = Part(parent_id=stack, index=0, count=2, first_page=pages[0], last_page=pages[1])
        event = received(part_id, part).model_copy(update={"boundary_confidence": sure})
        apply(session, "document.received", event)
        apply(session, "document.routed", routed(part_id))
    row = session.get(Document, stack)
    assert row is not None
    row.split = {
        "mode": "auto",
        "separators": [],
        "parts": [
            {"document_id": str(first), "first_page": 0, "last_page": 1},
            {"document_id": str(second), "first_page": 2, "last_page": 4},
        ],
    }
    view = stack_view(session, row)
    assert [(p.confidence, p.boundary_confidence) for p in view.parts] == [(0.9, 0.97), (0.9, 0.41)]
    assert [p.document_class for p in view.parts] == ["a", "a"]


def _whole(**changes: object) -> Document:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "purpose": "processing",
        "status": "review",
        "page_count": 3,
        "media_type": "application/pdf",
        "blob_ref": BLOB.ref,
    }
    return Document(**{**fields, **changes})


def test_a_document_read_as_one_is_a_stack_of_one_part(session: Session) -> None:
    whole = _whole(predicted_class="b", confidence=0.55)
    session.add(whole)
    session.commit()
    view = stack_view(session, whole)
    assert view.mode == "none" and view.page_count == 3
    assert [(p.document_id, p.first_page, p.last_page, p.confidence) for p in view.parts] == [
        (whole.id, 0, 2, 0.55)
    ]


@pytest.mark.parametrize(
    ("changes", "splitting", "expected"),
    [
        ({}, "separator", True),
        ({"status": "routed"}, "auto", True),
        ({"media_type": "image/tiff"}, "every_page", True),
        ({}, "none", False),  # one file, one document: its consumers may know only v1
        ({}, None, False),
        ({"page_count": 1}, "separator", False),
        ({"media_type": "image/png"}, "separator", False),
        ({"first_page": 0, "parent_id": "s"}, "separator", False),  # a part: its stack is divided
        ({"status": "extracted"}, "separator", False),  # still on its way
        ({"reviewed_at": datetime.now(UTC), "reviewed_class": "a"}, "separator", False),
        ({"purpose": "training"}, "separator", False),
    ],
)
def test_who_may_divide_a_document_read_as_one(
    changes: dict[str, object], splitting: str | None, expected: bool
) -> None:
    assert divisible(_whole(**changes), splitting) is expected


def test_a_divided_document_is_as_far_as_its_parts(session: Session) -> None:
    assert aggregate("divided", ["received", "routed"]) == "received"
    assert aggregate("divided", ["routed", "routed"]) == "routed"
    assert aggregate("divided", ["routed", "review"]) == "review"
    assert aggregate("superseded", ["routed"]) == "superseded"
    whole = _whole(status="divided")
    session.add(whole)
    part = Document(id=uuid.uuid4(), parent_id=str(whole.id), status="routed", first_page=0, last_page=2)
    session.add(part)
    session.commit()
    assert records.effective_status(session, whole.id) == "routed"


def _stack_in_review(session: Session) -> uuid.UUID:
    """A stack split in two parts, both waiting in review."""
    stack, parts = uuid.uuid4(), [(uuid.uuid4(), 0, 1), (uuid.uuid4(), 3, 4)]
    apply(session, "document.received", received(stack))
    apply(session, "document.split", _split(stack, parts))
    for index, (part_id, first, last) in enumerate(parts):
        part = Part(parent_id=stack, index=index, count=2, first_page=first, last_page=last)
        apply(session, "document.received", received(part_id, part))
        in_doubt = routed(part_id).model_copy(update={"route": "review", "topic": "review.pending"})
        apply(session, "document.routed", in_doubt)
    return stack


def test_the_review_queue_reads_its_stacks_in_a_fixed_number_of_queries(session: Session) -> None:
    workflow = Workflow(id=WORKFLOW, splitting="separator")
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))

    def queue() -> tuple[ReviewQueue, int]:
        statements.clear()
        page = review_queue(workflow, session, None, None, 50, None)
        return page, len(statements)

    stacks = [_stack_in_review(session)]
    whole = _whole(workflow_id=WORKFLOW, predicted_class="b", confidence=0.5)
    session.add(whole)
    session.commit()
    _, with_one = queue()
    stacks += [_stack_in_review(session) for _ in range(3)]
    page, with_four = queue()
    assert with_four == with_one  # not two more per stack
    shown = {item.document_id: item.stack for item in page.items}
    assert len(shown) == 9 and all(view is not None for view in shown.values())
    by_stack = {v.document_id: [p.document_id for p in v.parts] for v in shown.values() if v}
    assert set(by_stack) == {*stacks, whole.id}
    assert all(len(by_stack[s]) == 2 for s in stacks) and by_stack[whole.id] == [whole.id]
