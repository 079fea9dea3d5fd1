"""`?wait=` woken by the projection thread: the signals between the two (services.api.projection)."""

from __future__ import annotations

import asyncio
import threading
import uuid

from docroute.contracts._generated import Blob, DocumentRouted, Part
from docroute.events import new_event
from services.api.projection.service.positions import PositionedEvent
from services.api.projection.service.signals import AppliedSignals, documents_of


def test_a_waiter_is_woken_from_the_projection_thread_and_only_for_its_document() -> None:
    signals = AppliedSignals()
    mine, other = uuid.uuid4(), uuid.uuid4()

    def projection() -> None:
        signals.applied([uuid.uuid4()])  # a batch of no one's document
        signals.applied([mine])

    async def wait() -> tuple[bool, bool]:
        with signals.watch(mine) as applied, signals.watch(other) as unrelated:
            thread = threading.Thread(target=projection)
            thread.start()
            await asyncio.wait_for(applied.wait(), 30)
            thread.join()
            return applied.is_set(), unrelated.is_set()

    # Callbacks run in the order they were scheduled: once `mine` is set, an earlier wake of
    # `other` would have run too.
    assert asyncio.run(wait()) == (True, False)


def test_a_waiter_that_left_is_forgotten() -> None:
    signals = AppliedSignals()
    document = uuid.uuid4()

    async def watch_and_leave() -> asyncio.Event:
        with signals.watch(document) as applied:
            return applied

    left = asyncio.run(watch_and_leave())
    signals.applied([document])  # its loop is closed: nothing to wake, nothing raised
    assert not left.is_set()


def test_waiting_while_a_request_watches_a_document() -> None:
    """The projection fetches with the short wait exactly while someone waits."""
    signals = AppliedSignals()

    async def watch() -> bool:
        with signals.watch(uuid.uuid4()):
            return signals.waiting()

    assert not signals.waiting()
    assert asyncio.run(watch())
    assert not signals.waiting()


def _routed(document_id: uuid.UUID, part: Part | None = None) -> PositionedEvent:
    data = DocumentRouted(
        document_id=document_id,
        workflow_id=uuid.uuid4(),
        route="review",
        topic="review.pending",
        confidence=0.5,
        threshold=0.8,
        model_version=1,
        reason="below threshold",
        probabilities={"a": 0.5, "b": 0.5},
        blob=Blob(ref="s3://b/k", sha256="0" * 64, size=1, media_type="application/pdf"),
        ocr_ref="s3://b/o",
        page_count=1,
        part=part,
    )
    return PositionedEvent("document.routed", 0, 0, new_event("document.routed", data, source="router"))


def test_a_parts_event_wakes_its_stack_too() -> None:
    stack, part, alone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    part_of_stack = Part(parent_id=stack, index=0, count=2, first_page=0, last_page=0)
    assert documents_of([_routed(part, part_of_stack), _routed(alone)]) == {stack, part, alone}
