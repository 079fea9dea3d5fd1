"""The stream services' faust consumer fetches with `kafka.fetch_max_wait_ms`, not faust's fixed
1.5 s, and with `kafka.active_fetch_max_wait_ms` while records arrive (docroute.faust_consumer):
fails when a faust or aiokafka upgrade moves what it changes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition

from docroute import topics
from docroute.bus import StreamService
from docroute.settings import ServiceSettings


def test_a_stream_service_consumer_fetches_with_the_configured_wait(settings: ServiceSettings) -> None:
    wait_ms = 80
    configured = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"fetch_max_wait_ms": wait_ms})}
    )
    app = StreamService("router", configured, {}).app

    async def started_fetcher_wait() -> int:
        # faust's own code path builds the consumer; aiokafka's Fetcher takes the wait at start.
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        await consumer.start()
        try:
            return int(consumer._fetcher._fetch_max_wait_ms)
        finally:
            await consumer.stop()

    assert asyncio.run(started_fetcher_wait()) == wait_ms


def test_the_trainer_consumer_fetches_with_the_background_wait_also_after_records(
    settings: ServiceSettings,
) -> None:
    """The trainer is on no document's way: the long wait of consumers in the background, never
    the short one while records flow."""
    kafka = settings.kafka.model_copy(
        update={"fetch_max_wait_ms": 90, "active_fetch_max_wait_ms": 15, "background_fetch_max_wait_ms": 700}
    )
    fetch_wait = StreamService("trainer", settings.model_copy(update={"kafka": kafka}), {}).app.fetch_wait
    assert fetch_wait.now_ms() == 700
    fetch_wait.received()
    assert fetch_wait.now_ms() == 700


def test_the_fetch_wait_is_the_active_one_after_records_arrive_and_the_default_once_they_stop(
    settings: ServiceSettings, topics_ready: None
) -> None:
    kafka = settings.kafka.model_copy(
        update={"fetch_max_wait_ms": 90, "active_fetch_max_wait_ms": 15, "active_fetch_window_ms": 300}
    )
    app = StreamService("router", settings.model_copy(update={"kafka": kafka}), {}).app
    thread = app.consumer._thread
    partition = TopicPartition(topics.DOCUMENT_ROUTED, 0)

    idle_again = asyncio.Event()  # set when the fetcher's wait is set back to the default
    refresh = thread._refresh_wait

    def refreshed(fetcher: Any) -> None:
        refresh(fetcher)
        if fetcher._fetch_max_wait_ms == 90:
            idle_again.set()

    thread._refresh_wait = refreshed  # type: ignore[method-assign]

    async def waits_seen() -> tuple[int, int, int]:
        consumer = thread._create_worker_consumer(app.transport)
        await consumer.start()
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
        await producer.start()
        try:
            consumer.assign([partition])
            await consumer.seek_to_end(partition)
            before = int(consumer._fetcher._fetch_max_wait_ms)
            await producer.send_and_wait(partition.topic, b"{}", key=b"fetch-wait", partition=0)
            deadline = time.monotonic() + 30
            # faust's own call (its consumer thread's), as its Fetcher service makes it
            while not await thread._fetch_records(consumer, {partition}, timeout=0.5):
                assert time.monotonic() < deadline, "the record never came"
            while_arriving = int(consumer._fetcher._fetch_max_wait_ms)
            # Back to the default when the window closes, before faust asks for records again
            # (it waits up to 1 s for them): no further call here, only the window's own timer.
            idle_again.clear()
            await asyncio.wait_for(idle_again.wait(), timeout=30)
            return before, while_arriving, int(consumer._fetcher._fetch_max_wait_ms)
        finally:
            await producer.stop()
            await consumer.stop()

    assert asyncio.run(waits_seen()) == (90, 15, 90)


def test_faust_still_fixes_the_wait_the_patch_replaces() -> None:
    # When faust makes the wait a setting, use the setting and drop docroute.faust_consumer.
    import inspect

    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    assert "fetch_max_wait_ms=1500" in inspect.getsource(AIOKafkaConsumerThread._create_worker_consumer)
