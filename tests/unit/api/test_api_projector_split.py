"""A split stack in the API's projection (issue 8): its parts are its members in page order, and
it is final only once every part it was divided into is known and final."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from docroute.contracts._generated import (
    Blob,
    DocumentReceived,
    DocumentRouted,
    DocumentSplit,
    Origin,
    Part,
    Separator,
)
from docroute.contracts._generated import Document as SplitPart
from docroute.events import new_event
from services.api.documents.models import Document
from services.api.documents.service import records
from services.api.projection.service import projector

WORKFLOW = uuid.uuid4()
BLOB = Blob(ref="s3://b/originals/sha256/" + "a" * 64, sha256="a" * 64, size=10, media_type="application/pdf")


def apply(session: Session, event_type: str, data: Any) -> None:
    projector.apply(session, new_event(event_type, data, source="test"))
    session.commit()


def received(doc: uuid.UUID, part: Part | None = None) -> DocumentReceived:
    return DocumentReceived(
        document_id=doc,
        workflow_id=WORKFLOW,
        purpose="processing",
        origin=Origin(door="upload", filename="stack.pdf"),
        blob=BLOB,
        page_count=5 if part is None else part.last_page - part.first_page + 1,
        parent_id=str(part.parent_id) if part else None,
        part=part,
    )


def routed(doc: uuid.UUID) -> DocumentRouted:
    return DocumentRouted(
        document_id=doc,
        workflow_id=WORKFLOW,
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
        page_count=2,
    )


def _split(stack: uuid.UUID, parts: list[tuple[uuid.UUID, int, int]]) -> DocumentSplit:
    return DocumentSplit(
        document_id=stack,
        workflow_id=WORKFLOW,
        mode="separator",
        page_count=5,
        documents=[SplitPart(document_id=p, first_page=f, last_page=la) for p, f, la in parts],
        separators=[Separator(page=2, kind="blank")],
    )


def test_a_stack_is_final_once_every_part_is(session: Session) -> None:
    stack, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    apply(session, "document.received", received(stack))
    apply(session, "document.split", _split(stack, [(first, 0, 1), (second, 3, 4)]))
    row = session.get(Document, stack)
    assert row is not None and row.split is not None
    assert row.split["separators"] == [{"page": 2, "kind": "blank", "code": None}]
    assert records.effective_status(session, stack) == "received"

    part = Part(parent_id=stack, index=1, count=2, first_page=3, last_page=4)
    apply(session, "document.received", received(second, part))
    apply(session, "document.routed", routed(second))
    # One part routed, the other not heard of yet: the stack is not done.
    assert records.effective_status(session, stack) == "received"

    part = Part(parent_id=stack, index=0, count=2, first_page=0, last_page=1)
    apply(session, "document.received", received(first, part))
    assert records.effective_status(session, stack) == "received"
    apply(session, "document.routed", routed(first))
    assert records.effective_status(session, stack) == "routed"
    members = records.members(session, row)
    assert [(m.id, m.first_page, m.last_page) for m in members] == [(first, 0, 1), (second, 3, 4)]


def test_parts_that_share_a_page_keep_the_order_the_split_lists(session: Session) -> None:
    """Two receipts of one photo both start on page 0: the stack's own list says which is first,
    not which of them the projection happened to see first."""
    photo, upper, lower = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    apply(session, "document.received", received(photo))
    for doc, index in ((lower, 1), (upper, 0)):  # the second receipt's event arrives first
        apply(
            session,
            "document.received",
            received(doc, Part(parent_id=photo, index=index, count=2, first_page=0, last_page=0)),
        )
    apply(session, "document.split", _split(photo, [(upper, 0, 0), (lower, 0, 0)]))
    row = session.get(Document, photo)
    assert row is not None
    assert [m.id for m in records.members(session, row)] == [upper, lower]
