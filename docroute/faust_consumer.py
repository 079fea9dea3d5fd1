"""A faust app whose Kafka consumer waits `fetch_max_wait_ms` for data, not faust's fixed 1.5 s.

faust-streaming 0.15.3 builds its aiokafka consumer with `fetch_max_wait_ms=1500` hard-coded
(`faust.transport.drivers.aiokafka.AIOKafkaConsumerThread._create_worker_consumer`) and has no
setting for it. A fetch of an idle partition then answers after up to 1.5 s on brokers that do
not wake a waiting fetch when a record arrives (Tansu), and every service of the pipeline pays it
again: a lone document waited mostly for fetches. This app builds faust's own consumer and
changes only that one value before the consumer starts (aiokafka's `Fetcher` reads it at start).
tests/unit/shared/test_faust_consumer.py fails when a faust or aiokafka upgrade moves it.
"""

from __future__ import annotations

from typing import Any

import aiokafka
import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TransportT


class ShortFetchApp(faust.App):
    """`faust.App` for `kafka://` brokers with the consumer's fetch wait set by `fetch_max_wait_ms`."""

    def __init__(self, *args: Any, fetch_max_wait_ms: int, **kwargs: Any) -> None:
        if fetch_max_wait_ms < 0:
            raise ValueError(f"fetch_max_wait_ms must be >= 0, not {fetch_max_wait_ms}")
        self.fetch_max_wait_ms = fetch_max_wait_ms
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
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms  # type: ignore[attr-defined]
        return consumer


class _ShortFetchConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ShortFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _ShortFetchTransport(Transport):
    Consumer = _ShortFetchConsumer
