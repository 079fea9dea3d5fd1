"""What a stop waits for: messages in flight until a deadline, and whether the handler is busy."""

from __future__ import annotations

import asyncio
import threading
import time

from docroute.draining import Drain


def test_wait_ends_when_the_message_in_flight_is_released() -> None:
    drain = Drain("unit-drain", grace_s=10)
    drain.taken()

    async def stop() -> bool:
        asyncio.get_running_loop().call_later(0.2, drain.released)
        return await drain.wait(time.monotonic() + 5)

    assert asyncio.run(stop()) is True
    assert drain.requested


def test_wait_gives_up_at_the_deadline() -> None:
    drain = Drain("unit-drain-late", grace_s=10)
    drain.taken()
    started = time.monotonic()
    assert asyncio.run(drain.wait(started + 0.3)) is False
    assert 0.3 <= time.monotonic() - started < 2
    assert drain.in_flight == 1


def test_handler_counts_as_busy_while_it_runs() -> None:
    drain = Drain("unit-drain-busy", grace_s=10)
    running, release = threading.Event(), threading.Event()

    def handler(value: int) -> int:
        running.set()
        release.wait(5)
        return value * 2

    worker = threading.Thread(target=drain.in_thread(handler, 21))
    worker.start()
    assert running.wait(5)
    assert drain.handler_busy
    release.set()
    worker.join(5)
    assert not drain.handler_busy
