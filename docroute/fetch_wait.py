"""How long a stream service's fetch waits at the broker: short while messages flow, the
default again once they stop.

Tansu, the development broker, answers a fetch of partitions without new records only when its
wait is over (a record arriving meanwhile waits with it: 28 ms p50, up to 91 ms, at a 100 ms
wait; 6 / 24 ms at 20), and each hop of the pipeline pays that. A short wait costs CPU in the
consumer and the broker for every empty fetch (about 61 and 48 ms of CPU a second per consumer
at 20 ms, 16 and 16 at 100), which a 2-core machine cannot pay for every idle service. So the
short wait lasts only while traffic flows: for `active_for_s` after the last message the
consumer received. Apache Kafka answers a fetch as soon as a record arrives and gains nothing
from this, so it is off unless configured (`docroute.devstack` turns it on for Tansu).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class FetchWait:
    """The fetch wait to use now: `active_ms` within `active_for_s` of the last message
    received (`received`), else `idle_ms`; `active_ms` None: always `idle_ms`."""

    def __init__(
        self,
        idle_ms: int,
        active_ms: int | None = None,
        active_for_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle_ms < 0 or (active_ms is not None and active_ms < 0):
            raise ValueError(f"fetch waits must be >= 0, not {idle_ms} / {active_ms}")
        self.idle_ms = idle_ms
        self.active_ms = active_ms
        self.active_for_s = active_for_s
        self._clock = clock
        self._last_received: float | None = None

    def received(self) -> None:
        """Messages just arrived: more are likely to follow soon."""
        self._last_received = self._clock()

    def now_ms(self) -> int:
        if self.active_ms is None or self._last_received is None:
            return self.idle_ms
        if self._clock() - self._last_received < self.active_for_s:
            return self.active_ms
        return self.idle_ms
