"""What the projection reports about itself: its state, lag per topic, last applied event.

States, as `/healthz` and `/readyz` show them:

    connecting    not joined yet since the API started
    reconnecting  the broker (or database) failed; retrying with backoff, `last_error` says why
    behind        joined, but events have been waiting for more than BEHIND_AFTER_S
    current       joined, and nothing was waiting (lag 0) within the last BEHIND_AFTER_S
    failed        an unexpected error (a bug); retried with the longest backoff, /healthz is 503
    stopped       the API is shutting down

Lag counts the events on this replica's partitions that the projection has not applied yet
(end offset minus position), per topic; with several replicas each reports its own partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

State = Literal["connecting", "reconnecting", "behind", "current", "failed", "stopped"]
# Events waiting longer than this make the projection "behind" (a busy pipeline has a lag of a
# few events all the time; that is not behind).
BEHIND_AFTER_S = 10.0


@dataclass(frozen=True)
class ProjectionHealth:
    """A snapshot of the projection, safe to read from any thread."""

    state: State
    lag: Mapping[str, int] = field(default_factory=dict)
    last_applied_at: datetime | None = None
    last_error: str | None = None
    applied_events: int = 0
    reconnects: int = 0

    @property
    def total_lag(self) -> int:
        return sum(self.lag.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "lag": dict(sorted(self.lag.items())),
            "total_lag": self.total_lag,
            "last_applied_at": self.last_applied_at.isoformat() if self.last_applied_at else None,
            "last_error": self.last_error,
            "applied_events": self.applied_events,
            "reconnects": self.reconnects,
        }


def lag_by_topic(ends: Mapping[Any, int], positions: Mapping[Any, int | None]) -> dict[str, int]:
    """Events not applied yet, summed per topic; partitions `(topic, partition)` pairs.

    A partition whose position is not known yet counts from 0 would overstate: it counts as 0
    until the consumer has a position, which comes with its first fetch.
    """
    lag: dict[str, int] = {}
    for tp, end in ends.items():
        position = positions.get(tp)
        waiting = max(end - position, 0) if position is not None and end is not None else 0
        lag[tp[0]] = lag.get(tp[0], 0) + waiting
    return lag


def joined_state(total_lag: int, seconds_since_caught_up: float | None) -> State:
    """`current` or `behind` for a joined consumer; `seconds_since_caught_up` is None when its
    lag has not been 0 since it joined."""
    if total_lag == 0:
        return "current"
    if seconds_since_caught_up is not None and seconds_since_caught_up <= BEHIND_AFTER_S:
        return "current"
    return "behind"
