"""Several messages handled at once, one key's messages in order: a lane per key hash.

A stream service spends most of a message's time waiting (S3, the broker's acknowledgement,
a model in another thread); with one message at a time those waits add up. `KeyLanes` runs up
to `count` messages at once, each key (a document id) always on the same lane, so the events
of one document are still handled in the order they arrived. Offsets stay safe: faust commits
a partition only up to its first message not yet acknowledged.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


def lane_of(key: bytes | None, count: int) -> int:
    """The lane of `key`: stable across processes (unlike `hash`); no key -> lane 0."""
    return zlib.crc32(key) % count if key else 0


class KeyLanes(Generic[T]):
    """`count` workers, each taking its lane's items in order; `put` waits while the lane is busy.

    Usage::

        async with KeyLanes(4, handle) as lanes:
            async for message in stream:
                await lanes.put(message.key, message)

    A worker's exception ends the block with it (the stream stops, as with one lane); leaving
    the block waits for every item put so far.
    """

    def __init__(self, count: int, work: Callable[[T], Awaitable[None]]) -> None:
        if count < 1:
            raise ValueError(f"lanes must be >= 1, not {count}")
        self.count = count
        self._work = work
        # One waiting item per lane: the stream is read ahead by at most `count` messages.
        self._queues: list[asyncio.Queue[tuple[T] | None]] = [asyncio.Queue(maxsize=1) for _ in range(count)]
        self._group = asyncio.TaskGroup()

    async def __aenter__(self) -> KeyLanes[T]:
        await self._group.__aenter__()
        for queue in self._queues:
            self._group.create_task(self._run(queue))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            for queue in self._queues:
                await queue.put(None)  # after the items already queued: they are handled first
        await self._group.__aexit__(exc_type, exc, tb)

    async def put(self, key: bytes | None, item: T) -> None:
        await self._queues[lane_of(key, self.count)].put((item,))

    async def _run(self, queue: asyncio.Queue[tuple[T] | None]) -> None:
        while (entry := await queue.get()) is not None:
            await self._work(entry[0])
