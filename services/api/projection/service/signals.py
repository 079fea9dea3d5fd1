"""Wakes the requests waiting on a document (`?wait=`) when the projection has applied one of
its events, instead of letting them find out at their next poll.

The projection runs in a thread; the waiters are coroutines of the server's event loop, so the
thread sets their `asyncio.Event` through `call_soon_threadsafe`. A replica is woken only for
events its own projection applied: with several API replicas, another replica's partitions are
still seen at the waiter's next poll.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

from services.api.projection.service.positions import PositionedEvent

Watcher = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class AppliedSignals:
    """Document id -> the events of the requests waiting on it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[uuid.UUID, list[Watcher]] = {}

    @contextmanager
    def watch(self, document_id: uuid.UUID) -> Iterator[asyncio.Event]:
        """An event set whenever an event of `document_id` (or of one of its parts) is applied;
        called from a coroutine, whose loop the event belongs to."""
        watcher = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._watchers.setdefault(document_id, []).append(watcher)
        try:
            yield watcher[1]
        finally:
            with self._lock:
                watchers = self._watchers.get(document_id, [])
                watchers.remove(watcher)
                if not watchers:
                    self._watchers.pop(document_id, None)

    def waiting(self) -> bool:
        """True while a request waits on a document."""
        with self._lock:
            return bool(self._watchers)

    def applied(self, document_ids: Iterable[uuid.UUID]) -> None:
        """Called by the projection once a batch holding these documents' events is committed."""
        with self._lock:
            woken = [w for d in set(document_ids) for w in self._watchers.get(d, ())]
        for loop, event in woken:
            with suppress(RuntimeError):  # the loop closed (the server is stopping): nobody to wake
                loop.call_soon_threadsafe(event.set)


def documents_of(events: Iterable[PositionedEvent]) -> set[uuid.UUID]:
    """The documents these events are about, and the stacks their parts belong to (a stack's
    result changes with its parts')."""
    ids: set[uuid.UUID] = set()
    for positioned in events:
        data = positioned.event.data
        part = getattr(data, "part", None)
        for value in (
            getattr(data, "document_id", None),
            getattr(data, "parent_id", None),
            getattr(part, "parent_id", None),
        ):
            try:
                ids.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
            except ValueError:  # absent (None) or not an id
                continue
    return ids
