"""Record batches that Tansu has taken an offset for but not yet stored, for the local S3 server.

Tansu's S3 storage takes a partition's next offsets by a compare-and-swap of its
`watermark.json` (`high`: the next offset), then writes the batch under the first of them
(`records/<offset>.batch`). Two produces to one partition take N and N+1 in that order, but
their batches can land N+1 first; a fetch in between lists N+1 without N, answers it, and the
reader's position passes N for good: a record acknowledged to its producer that the reader never
sees. So a listing of a partition's records stops before the first batch that is taken but not
stored. A produce cut off between the two writes (the broker killed) leaves a gap that readers
then skip, as Tansu does: its offset is given up after `GIVE_UP_S`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence

# Longer than any produce's two writes take, short enough that a reader waits little at a gap
# a killed broker left.
GIVE_UP_S = 10.0

_WATERMARK = re.compile(r"(?P<partition>.+/partitions/\d+)/watermark\.json")
_BATCH = re.compile(r"(?P<partition>.+/partitions/\d+)/records/(?P<offset>\d+)\.batch")


def watermark_partition(key: str) -> str | None:
    """The partition whose `watermark.json` `key` is, else None."""
    match = _WATERMARK.fullmatch(key)
    return match["partition"] if match else None


def batch_of(key: str) -> tuple[str, int] | None:
    """(partition, base offset) of a record batch's key, else None."""
    match = _BATCH.fullmatch(key)
    return (match["partition"], int(match["offset"])) if match else None


def high_of(body: bytes | None) -> int:
    """A watermark's next offset; 0 for none or one that cannot be read."""
    if not body:
        return 0
    try:
        high = json.loads(body).get("high")
    except (ValueError, AttributeError):
        return 0
    return high if isinstance(high, int) else 0


class PendingBatches:
    """Offsets taken by a watermark's swap whose batch is not stored yet, per partition."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, give_up_s: float = GIVE_UP_S) -> None:
        self._lock = threading.Lock()
        self._taken: dict[str, dict[int, float]] = {}
        self._clock = clock
        self._give_up_s = give_up_s

    def taken(self, partition: str, before: int, after: int, stored: Callable[[int], bool]) -> None:
        """The watermark of `partition` moved from `before` to `after`: a batch at `before` is due,
        unless `stored` says it is there already."""
        if after > before and not stored(before):
            with self._lock:
                self._taken.setdefault(partition, {})[before] = self._clock()

    def stored(self, partition: str, offset: int) -> None:
        with self._lock:
            taken = self._taken.get(partition)
            if taken is not None:
                taken.pop(offset, None)
                if not taken:
                    del self._taken[partition]

    def first_missing(self, partition: str) -> int | None:
        """The lowest offset of `partition` taken and not stored (given up ones dropped)."""
        return self._firsts().get(partition)

    def any_missing(self, partitions_under: str) -> bool:
        """Whether a partition whose name starts with `partitions_under` waits for a batch."""
        return any(partition.startswith(partitions_under) for partition in self._firsts())

    def visible(self, keys: Sequence[str]) -> list[bool]:
        """Per key, whether a listing may show it: not a batch at or after its partition's first
        missing one."""
        firsts = self._firsts()
        shown = []
        for key in keys:
            batch = batch_of(key) if firsts else None
            shown.append(batch is None or batch[0] not in firsts or batch[1] < firsts[batch[0]])
        return shown

    def _firsts(self) -> dict[str, int]:
        """Each waiting partition's lowest offset taken and not stored, once the offsets past
        `give_up_s` are dropped."""
        now = self._clock()
        with self._lock:
            for partition, taken in list(self._taken.items()):
                for offset in [o for o, at in taken.items() if now - at > self._give_up_s]:
                    del taken[offset]
                if not taken:
                    del self._taken[partition]
            return {partition: min(taken) for partition, taken in self._taken.items()}
