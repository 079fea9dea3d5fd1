"""Restart backoff and crash-loop detection."""

from __future__ import annotations

from docroute.restart_policy import CrashHistory, RestartPolicy

POLICY = RestartPolicy(first_delay_s=1, max_delay_s=8, loop_crashes=5, loop_window_s=60, stable_after_s=30)


def test_backoff_doubles_up_to_the_cap() -> None:
    history = CrashHistory(RestartPolicy(first_delay_s=1, max_delay_s=8, loop_crashes=99))
    decisions = [history.on_crash(now=i * 100.0, ran_for_s=0.5) for i in range(6)]
    assert [d.delay_s for d in decisions] == [1, 2, 4, 8, 8, 8]
    assert [d.attempt for d in decisions] == [1, 2, 3, 4, 5, 6]
    assert all(d.restart for d in decisions)


def test_a_stable_run_starts_the_backoff_again() -> None:
    history = CrashHistory(POLICY)
    history.on_crash(now=0, ran_for_s=1)
    history.on_crash(now=5, ran_for_s=1)
    after_stable = history.on_crash(now=100, ran_for_s=40)
    assert (after_stable.attempt, after_stable.delay_s) == (1, 1)


def test_crashes_within_the_window_are_a_loop() -> None:
    history = CrashHistory(POLICY)
    decisions = [history.on_crash(now=t, ran_for_s=2) for t in (0, 5, 12, 25, 45)]
    assert [d.restart for d in decisions] == [True, True, True, True, False]
    assert decisions[-1].give_up_reason == "crashed 5 times within 60s"


def test_crashes_spread_wider_than_the_window_are_not_a_loop() -> None:
    history = CrashHistory(POLICY)
    decisions = [history.on_crash(now=t * 20.0, ran_for_s=2) for t in range(10)]
    assert all(d.restart for d in decisions)
