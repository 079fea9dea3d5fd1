"""The stream services' fetch wait follows traffic (docroute.fetch_wait): short while messages
arrive, the default once they stop, the default always where no short wait is configured."""

from __future__ import annotations

import pytest

from docroute.fetch_wait import FetchWait


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_is_short_within_the_window_after_a_message_and_the_default_after_it() -> None:
    clock = Clock()
    wait = FetchWait(100, 20, active_for_s=1.0, clock=clock)
    assert wait.now_ms() == 100  # nothing received yet: idle
    wait.received()
    assert wait.now_ms() == 20
    clock.now += 0.99
    assert wait.now_ms() == 20
    clock.now += 0.02
    assert wait.now_ms() == 100
    wait.received()  # traffic again
    assert wait.now_ms() == 20


def test_without_a_short_wait_the_default_holds_while_messages_arrive() -> None:
    wait = FetchWait(100, None, clock=Clock())
    wait.received()
    assert wait.now_ms() == 100


def test_a_negative_wait_is_refused() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        FetchWait(100, -1)
