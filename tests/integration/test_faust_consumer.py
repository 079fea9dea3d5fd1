"""The stream services' faust consumer fetches with `kafka.fetch_max_wait_ms`, not faust's fixed
1.5 s (docroute.faust_consumer): fails when a faust or aiokafka upgrade moves what it changes."""

from __future__ import annotations

import asyncio

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


def test_faust_still_fixes_the_wait_the_patch_replaces() -> None:
    # When faust makes the wait a setting, use the setting and drop docroute.faust_consumer.
    import inspect

    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    assert "fetch_max_wait_ms=1500" in inspect.getsource(AIOKafkaConsumerThread._create_worker_consumer)
