"""Stopping a stream service within its grace period, whatever faust is waiting for.

On SIGTERM/SIGINT the service takes no new message and finishes the one in flight if it ends
in time; the finished message is acknowledged and committed. A message still being handled when
the time is up is given up unacknowledged, so it is never committed and the partition's next
owner gets it again. faust's own stop would wait for every unacknowledged message without limit
(`Consumer.wait_empty`), and the interpreter for the handler thread: a watchdog ends the process
at the end of the grace period whatever is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import faust
from faust.exceptions import AlreadyConfiguredWarning, ConsumerNotStarted

from docroute import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Kept from the grace period (at most half of it) for faust's own stop: commit, leave the group.
STOP_RESERVE_S = 5.0
# Exit status when the watchdog had to end the process.
EX_STOP_TIMEOUT = 70


class Drain:
    """What a stop waits for: messages taken from the topic and the handler thread's work."""

    def __init__(self, service: str, grace_s: float) -> None:
        self.service = service
        self.grace_s = grace_s
        self.requested = False
        self._in_flight = 0
        self._handler_busy = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def handler_busy(self) -> bool:
        return self._handler_busy > 0

    def taken(self) -> None:
        self._in_flight += 1
        metrics.MESSAGES_IN_FLIGHT.labels(self.service).set(self._in_flight)

    def released(self) -> None:
        self._in_flight -= 1
        metrics.MESSAGES_IN_FLIGHT.labels(self.service).set(self._in_flight)

    def in_thread(self, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        """`fn(*args)` for the handler thread, counted so that the exit knows it was given up."""

        def call() -> T:
            self._handler_busy += 1
            try:
                return fn(*args)
            finally:
                self._handler_busy -= 1

        return call

    async def wait(self, deadline: float) -> bool:
        """Wait for the messages in flight until `deadline` (monotonic); True when none is left."""
        self.requested = True
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return not self._in_flight


class DrainingWorker(faust.Worker):
    """faust's worker, but a stop signal drains first and the whole stop is bounded by the grace."""

    def __init__(self, app: faust.App, drain: Drain, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._drain = drain

    async def _stop_on_signal(self, signal: Any) -> None:
        grace_s = self._drain.grace_s
        _arm_watchdog(grace_s)
        logger.info("stopping: finishing the message in flight (grace %.0fs)", grace_s)
        waited_s = grace_s - min(STOP_RESERVE_S, grace_s / 2)
        if await self._drain.wait(time.monotonic() + waited_s):
            logger.info("drained; stopping")
        else:
            logger.warning(
                "gave up %d message(s) still being handled after %.0fs: not committed, redelivered",
                self._drain.in_flight,
                waited_s,
            )
        # Unacknowledged now means given up (or taken while draining): faust must not wait for them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AlreadyConfiguredWarning)  # changed late on purpose
            self.app.conf.stream_wait_empty = False
        with contextlib.suppress(ConsumerNotStarted):  # stopped before it ever joined
            await self.app.consumer.commit()
        await super()._stop_on_signal(signal)


def exit_if_handler_busy(drain: Drain, status: int) -> None:
    """After faust stopped: a given-up handler thread would hold the interpreter's exit; do not wait."""
    if drain.handler_busy:
        logger.info("leaving the handler thread behind")
        logging.shutdown()
        os._exit(status)


def _arm_watchdog(grace_s: float) -> None:
    def expire() -> None:
        logger.error(
            "not stopped within the %.0fs grace period: exiting now, uncommitted work is redelivered", grace_s
        )
        logging.shutdown()
        os._exit(EX_STOP_TIMEOUT)

    timer = threading.Timer(grace_s, expire)
    timer.daemon = True
    timer.start()
