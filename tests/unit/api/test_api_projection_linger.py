"""The projection's linger: after a poll brought two events or more, what further polls bring
within `projection_linger_ms` is applied with them, unless a `?wait=` request waits (issue 9)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from services.api.projection.service import thread
from services.api.projection.service.thread import LINGER_MAX_RECORDS, LINGER_SLICE_MS, Projection
from services.api.settings import ApiSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class FakeConsumer:
    """Brings each planned batch at its time (ms after the first poll); a poll with nothing due
    within its timeout waits the whole timeout."""

    def __init__(self, clock: FakeClock, planned: list[tuple[float, dict[str, list[int]]]]) -> None:
        self.clock = clock
        self.start = clock.now
        self.planned = planned
        self.asked: list[tuple[int, int | None]] = []
        self.on_poll: Any = None

    def poll(self, timeout_ms: int, max_records: int | None = None) -> dict[str, list[int]]:
        self.asked.append((timeout_ms, max_records))
        if self.on_poll is not None:
            self.on_poll()
        due = self.start + self.planned[0][0] / 1000 if self.planned else None
        if due is None or due > self.clock.now + timeout_ms / 1000:
            self.clock.now += timeout_ms / 1000
            return {}
        self.clock.now = max(self.clock.now, due)
        return self.planned.pop(0)[1]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(thread.time, "monotonic", fake.monotonic)
    return fake


def projection(linger_ms: int) -> Projection:
    return Projection(ApiSettings(projection_linger_ms=linger_ms), sessions=None, producer=None)  # type: ignore[arg-type]


def test_what_polls_bring_within_the_linger_is_applied_with_the_first(clock: FakeClock) -> None:
    planned = [(5, {"a": [3, 4]}), (13, {"b": [7]}), (43, {"a": [5]}), (55, {"a": [6]})]
    consumer = FakeConsumer(clock, planned)
    batch = projection(50)._linger(consumer, {"a": [1, 2]})  # type: ignore[arg-type]
    # What came within the 50 ms, each partition's records in order; not what came after.
    assert batch == {"a": [1, 2, 3, 4, 5], "b": [7]}
    # It polled in slices until the 50 ms were spent, never past them.
    assert clock.now == pytest.approx(1000.050)
    assert all(timeout <= LINGER_SLICE_MS for timeout, _ in consumer.asked)


def test_nothing_more_is_waited_for_when_the_linger_is_off(clock: FakeClock) -> None:
    consumer = FakeConsumer(clock, [(1, {"a": [3]})])
    assert projection(0)._linger(consumer, {"a": [1, 2]}) == {"a": [1, 2]}  # type: ignore[arg-type]
    assert consumer.asked == []


def test_a_lone_event_is_applied_at_once(clock: FakeClock) -> None:
    # A lone document's events, or a scan's every second or so: no linger's delay or polls.
    consumer = FakeConsumer(clock, [(1, {"a": [2]})])
    assert projection(50)._linger(consumer, {"a": [1]}) == {"a": [1]}  # type: ignore[arg-type]
    assert consumer.asked == []
    assert clock.now == 1000.0


def test_a_full_batch_is_applied_at_once(clock: FakeClock) -> None:
    consumer = FakeConsumer(clock, [(1, {"a": list(range(LINGER_MAX_RECORDS - 10, LINGER_MAX_RECORDS))})])
    batch = projection(50)._linger(consumer, {"a": list(range(LINGER_MAX_RECORDS - 10))})  # type: ignore[arg-type]
    assert len(batch["a"]) == LINGER_MAX_RECORDS
    assert consumer.asked == [(LINGER_SLICE_MS, 10)]  # asked for no more than fills it
    assert clock.now == pytest.approx(1000.001)


def test_a_request_that_starts_waiting_ends_the_linger_within_a_slice(clock: FakeClock) -> None:
    owner = projection(50)
    consumer = FakeConsumer(clock, [])
    watching: list[Any] = []

    async def wait_starts() -> None:
        watch = owner.signals.watch(uuid.uuid4())
        watch.__enter__()
        watching.append(watch)

    consumer.on_poll = lambda: asyncio.run(wait_starts()) if len(consumer.asked) == 2 else None
    assert owner._linger(consumer, {"a": [1, 2]}) == {"a": [1, 2]}  # type: ignore[arg-type]
    assert len(consumer.asked) == 2  # no poll after the request began to wait
    assert clock.now == pytest.approx(1000.000 + 2 * LINGER_SLICE_MS / 1000)
