"""A faust app whose Kafka consumer waits `fetch_max_wait_ms` for data, not faust's fixed 1.5 s.

faust-streaming 0.15.3 builds its aiokafka consumer with `fetch_max_wait_ms=1500` hard-coded
(`faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._create_worker_consumer`) and has no
setting for it. A fetch of an idle partition then answers after up to 1.5 s on brokers that do
not wake a waiting fetch when a record arrives (Tansu), and every service of the pipeline pays it
again: a lone document waited mostly for fetches. This app builds faust's own consumer and
changes only that one value before the consumer starts (aiokafka's `Fetcher` reads it at start),
and, where the wait follows traffic (`docroute.fetch_wait`), the fetcher's copy after each batch
of records is taken, before it sends its next request.
tests/integration/test_faust_consumer.py fails when a faust or aiokafka upgrade moves either.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiokafka
import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TransportT

from docroute.fetch_wait import FetchWait


class ShortFetchApp(faust.App):
    """`faust.App` for `kafka://` brokers whose consumer's fetch wait is `fetch_wait`'s."""

    def __init__(self, *args: Any, fetch_wait: FetchWait, **kwargs: Any) -> None:
        self.fetch_wait = fetch_wait
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> TransportT:
        return _ShortFetchTransport(self.conf.broker_consumer, self)


class _ShortFetchConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        if not hasattr(consumer, "_fetch_max_wait_ms"):  # aiokafka renamed it: fail loudly, not slowly
            raise RuntimeError(
                "aiokafka's consumer has no _fetch_max_wait_ms; docroute.faust_consumer needs an update"
            )
        consumer._fetch_max_wait_ms = self.app.fetch_wait.now_ms()  # type: ignore[attr-defined]
        return consumer

    async def _fetch_records(
        self,
        consumer: aiokafka.AIOKafkaConsumer,
        active_partitions: Any,
        timeout: float | None = None,
        max_records: int | None = None,
    ) -> Any:
        records = await super()._fetch_records(
            consumer, active_partitions, timeout=timeout, max_records=max_records
        )
        # In the consumer's thread, before its fetcher wakes to send the next request (it waits
        # for the records just taken): that request carries the new wait.
        fetch_wait = self.app.fetch_wait  # type: ignore[attr-defined]
        fetcher = consumer._fetcher
        if not hasattr(fetcher, "_fetch_max_wait_ms"):
            raise RuntimeError(
                "aiokafka's Fetcher has no _fetch_max_wait_ms; docroute.faust_consumer needs an update"
            )
        if records:
            fetch_wait.received()
            # Back to the idle wait when the window closes, not when faust next asks (it waits
            # up to 1 s for records): every short fetch past the window is CPU for nothing.
            if self._window_end is not None:
                self._window_end.cancel()
            self._window_end = asyncio.get_running_loop().call_later(
                fetch_wait.active_for_s, self._refresh_wait, fetcher
            )
        self._refresh_wait(fetcher)
        return records

    _window_end: asyncio.TimerHandle | None = None

    def _refresh_wait(self, fetcher: Any) -> None:
        fetcher._fetch_max_wait_ms = self.app.fetch_wait.now_ms()  # type: ignore[attr-defined]


class _ShortFetchConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ShortFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _ShortFetchTransport(Transport):
    Consumer = _ShortFetchConsumer
