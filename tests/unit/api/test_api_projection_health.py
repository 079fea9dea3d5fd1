"""The projection's lag and state as the probes report them: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from services.api.projection.service.health import (
    BEHIND_AFTER_S,
    ProjectionHealth,
    joined_state,
    lag_by_topic,
)


def test_lag_is_summed_per_topic_and_unknown_positions_count_nothing() -> None:
    ends = {("a", 0): 10, ("a", 1): 5, ("b", 0): 7, ("c", 0): 3}
    positions = {("a", 0): 4, ("a", 1): 5, ("b", 0): None, ("c", 0): 9}  # c: ahead of a stale end
    assert lag_by_topic(ends, positions) == {"a": 6, "b": 0, "c": 0}


def test_behind_only_when_events_wait_longer_than_the_grace() -> None:
    assert joined_state(0, None) == "current"
    assert joined_state(3, BEHIND_AFTER_S / 2) == "current"  # a busy pipeline, caught up lately
    assert joined_state(3, BEHIND_AFTER_S + 1) == "behind"
    assert joined_state(3, None) == "behind"  # not caught up once since joining


def test_the_report_names_the_state_lag_and_last_applied_time() -> None:
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    report = ProjectionHealth("behind", {"b": 2, "a": 1}, at, "KafkaTimeoutError: gone", 40, 2).as_dict()
    assert report == {
        "state": "behind",
        "lag": {"a": 1, "b": 2},
        "total_lag": 3,
        "last_applied_at": "2026-11-30T12:00:00+00:00",
        "last_error": "KafkaTimeoutError: gone",
        "applied_events": 40,
        "reconnects": 2,
    }
