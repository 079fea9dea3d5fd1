"""Several messages handled at once, one key's messages in order: a lane per key hash.

A stream service spends most of a message's time waiting (S3, the broker's acknowledgement,
a model in another thread); with one message at a time those waits add up. `KeyLanes` runs up
to `count` messages at once, each key (a document id) always on the same lane, so the events
of one document are still handled in the order they arrived. Offsets stay safe: faust commits
a partition only up to its first message not yet acknowledged.

A lane may also hand its worker several items at once (`batch`): those that queued up while the
worker was busy, never waiting for more, so a lone message is handled as soon as it comes.
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
    """`count` workers, each taking its lane's items in order; `put` waits while the lane is full.

    Usage::

        async with KeyLanes(4, handle) as lanes:  # handle(messages): one at a time (batch=1)
            async for message in stream:
                await lanes.put(message.key, message)

    With `batch` > 1 a worker takes up to `batch` items at once: the first as soon as it is put,
    with whatever else its lane holds then. A worker's exception ends the block with it (the
    stream stops, as with one lane); leaving the block waits for every item put so far.
    """

    def __init__(self, count: int, work: Callable[[list[T]], Awaitable[None]], *, batch: int = 1) -> None:
        if count < 1 or batch < 1:
            raise ValueError(f"lanes and batch must be >= 1, not {count} and {batch}")
        self.count = count
        self.batch = batch
        self._work = work
        # `batch` waiting items per lane: the stream is read ahead by at most `count` x `batch`.
        self._queues: list[asyncio.Queue[tuple[T] | None]] = [
            asyncio.Queue(maxsize=batch) for _ in range(count)
        ]
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
        ended = False
        while not ended and (entry := await queue.get()) is not None:
            items = [entry[0]]
            while len(items) < self.batch and not queue.empty():
                if (queued := queue.get_nowait()) is None:
                    ended = True
                    break
                items.append(queued[0])
            await self._work(items)
