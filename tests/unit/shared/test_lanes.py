"""docroute.lanes: messages of different keys at once, one key's messages in arrival order; with a
batch, what queued up while the worker was busy handed over together, a lone item at once."""

from __future__ import annotations

import asyncio

import pytest

from docroute.lanes import KeyLanes, lane_of


def test_one_key_always_takes_the_same_lane_and_keys_spread() -> None:
    keys = [f"doc-{i}".encode() for i in range(200)]
    assert [lane_of(k, 4) for k in keys] == [lane_of(k, 4) for k in keys]
    assert {lane_of(k, 4) for k in keys} == {0, 1, 2, 3}
    assert lane_of(None, 4) == 0


def test_different_keys_are_handled_at_once() -> None:
    async def scenario() -> list[str]:
        started: list[str] = []
        both_started = asyncio.Event()

        async def work(items: list[str]) -> None:
            [item] = items
            started.append(item)
            if len(started) == 2:
                both_started.set()
            # Each item finishes only once the other has started: one lane at a time would hang.
            await asyncio.wait_for(both_started.wait(), timeout=5)

        a, b = _keys_on_different_lanes(2)
        async with KeyLanes(2, work) as lanes:
            await lanes.put(a, "a")
            await lanes.put(b, "b")
        return started

    assert sorted(asyncio.run(scenario())) == ["a", "b"]


def test_one_keys_items_are_handled_in_order_one_after_another() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []

        async def work(items: list[str]) -> None:
            [item] = items
            log.append(f"start {item}")
            await asyncio.sleep(0)  # yield: a second worker on this key would start now
            log.append(f"end {item}")

        async with KeyLanes(4, work) as lanes:
            for i in range(5):
                await lanes.put(b"doc-1", str(i))
        return log

    assert asyncio.run(scenario()) == [f"{step} {i}" for i in range(5) for step in ("start", "end")]


def test_a_failing_item_ends_the_lanes_with_its_error() -> None:
    async def work(items: list[str]) -> None:
        if items == ["bad"]:
            raise RuntimeError("handler crashed")

    async def scenario() -> None:
        async with KeyLanes(2, work) as lanes:
            await lanes.put(b"k", "bad")
            for i in range(10):  # the stream stops: blocked puts are cancelled
                await lanes.put(b"k", str(i))

    with pytest.raises(ExceptionGroup) as raised:
        asyncio.run(scenario())
    assert raised.group_contains(RuntimeError, match="handler crashed")


def test_a_lone_item_is_handed_over_at_once_not_when_a_batch_is_full() -> None:
    async def scenario() -> list[list[str]]:
        batches: list[list[str]] = []
        handed = asyncio.Event()

        async def work(items: list[str]) -> None:
            batches.append(items)
            handed.set()

        async with KeyLanes(1, work, batch=8) as lanes:
            await lanes.put(b"doc-1", "alone")
            # Nothing else comes: a lane waiting to fill its batch would never hand it over.
            await asyncio.wait_for(handed.wait(), timeout=5)
        return batches

    assert asyncio.run(scenario()) == [["alone"]]


def test_items_queued_while_the_worker_is_busy_are_the_next_batch_in_order_up_to_its_size() -> None:
    async def scenario() -> list[list[str]]:
        batches: list[list[str]] = []
        busy, release = asyncio.Event(), asyncio.Event()

        async def work(items: list[str]) -> None:
            batches.append(items)
            if len(batches) == 1:
                busy.set()
                await release.wait()

        async with KeyLanes(1, work, batch=3) as lanes:
            await lanes.put(b"doc-1", "0")
            await asyncio.wait_for(busy.wait(), timeout=5)
            for i in range(1, 4):  # the lane holds 3 while its worker is busy
                await lanes.put(f"doc-{i}".encode(), str(i))
            release.set()
            for i in range(4, 7):
                await lanes.put(f"doc-{i}".encode(), str(i))
        return batches

    batches = asyncio.run(scenario())
    assert batches[:2] == [["0"], ["1", "2", "3"]]
    assert [item for batch in batches for item in batch] == [str(i) for i in range(7)]
    assert all(1 <= len(batch) <= 3 for batch in batches)


def _keys_on_different_lanes(count: int) -> tuple[bytes, bytes]:
    first = b"doc-0"
    other = next(
        k for i in range(1, 100) if lane_of(k := f"doc-{i}".encode(), count) != lane_of(first, count)
    )
    return first, other
