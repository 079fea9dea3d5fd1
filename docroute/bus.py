"""The stream loop every pipeline service runs: faust consumes, a handler decides, the bus
produces the handler's events, waits for the broker, and only then lets the offset commit.

Handlers are plain functions `Event -> list[Outgoing]` run in a worker thread (OCR and
embedding are CPU-bound and must not stall heartbeats); a route may instead take the events
ready at once in one call (`docroute.batches.Batched`). What the bus does with an error
depends on its branch (see `docroute.errors`): permanent -> `document.failed` on the
dead-letter topic, commit, move on; transient -> back off and retry the same message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Literal

import faust
from aiokafka.errors import KafkaError

from docroute import metrics
from docroute.batches import Batched, BatchHandler, outcome, settle
from docroute.blobstore import BlobStore
from docroute.dead_letters import dead_letter, report_dead_letter, where
from docroute.draining import Drain, DrainingWorker, exit_if_handler_busy
from docroute.events import Event, Outgoing, decode, encode
from docroute.faust_consumer import ShortFetchApp
from docroute.fetch_wait import FetchWait
from docroute.health import Health, serve_health
from docroute.lag import LagGauge
from docroute.lanes import KeyLanes
from docroute.settings import ServiceSettings

logger = logging.getLogger(__name__)

Handler = Callable[[Event[Any]], Sequence[Outgoing]]
# Called after the broker acknowledged a handler's output, before the offset commits.
ProducedHook = Callable[[Event[Any], Sequence[Outgoing]], None]
# An output ready to produce: the event and its encoded value (encoded in the handler's thread).
Record = tuple[Outgoing, bytes]
MAX_BACKOFF_S = 30.0
# The services that run this loop: the `stage` their dead letters name (document.failed v1 also has "api").
StreamName = Literal["ingest", "ocr", "classify", "router", "trainer"]
# Messages handled at once per input topic (`docroute.lanes`; DOCROUTE_STREAM_CONCURRENCY overrides).
# 1 where a stage is CPU-bound: on the 2-core bench machine 2-4 at once everywhere gave no more
# pages/s (text 0.89x, scans 0.92x of one at a time, bench/ab_settings.py, README). OCR takes 2:
# Tesseract reads one page at a time per language list (its engine's lock), and a second message
# meanwhile fetches and decodes its original, looks at its pages and stores its reading, work
# that one at a time added to every scan: scan bursts 1.91 -> 2.02 pages/s, text the same
# (`bench.ab_settings --compare ocr:DOCROUTE_STREAM_CONCURRENCY=2 --bursts 6`, 2026-12-04).
# Raise the others where a stage waits on slower S3 or brokers; the trainer stays at 1.
DEFAULT_CONCURRENCY: dict[StreamName, int] = {"ingest": 1, "ocr": 2, "classify": 1, "router": 1, "trainer": 1}


class StreamService:
    """One pipeline service: a consumer group named after it, one handler per input topic.

    Usage::

        service = StreamService("ocr", settings, {topics.DOCUMENT_RECEIVED: handler.on_received})
        service.health.add_check("engine", engine.loaded)
        service.run()  # blocks until SIGTERM/SIGINT
    """

    def __init__(
        self,
        name: StreamName,
        settings: ServiceSettings,
        routes: Mapping[str, Handler | Batched],
        *,
        on_produced: ProducedHook | None = None,
    ) -> None:
        self.name = name
        self._on_produced = on_produced
        self.settings = settings
        self.health = Health()
        self._routes = dict(routes)
        self.concurrency = settings.stream_concurrency or DEFAULT_CONCURRENCY[name]
        # One pool for every input topic: with concurrency 1 (the trainer) no two handlers of the
        # service ever run at once, whichever topics they serve.
        self._executor = ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix=f"{name}-handler"
        )
        self._assigned = False
        self._drain = Drain(name, settings.shutdown_grace_s)
        self.app = self._build_app()
        self.health.add_check("broker", lambda: self._assigned)
        self.health.add_check("s3", BlobStore(settings.s3).reachable)

    def run(self) -> None:
        """Serve health endpoints and consume until stopped."""
        serve_health(self.health, self.settings.health_host, self.settings.health_port)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        # quiet: no banner or spinner on stdout, which carries JSON log lines only.
        worker = DrainingWorker(
            self.app, self._drain, loglevel=self.settings.log_level, override_logging=False, quiet=True
        )
        try:
            worker.execute_from_commandline()
        except SystemExit as exc:
            exit_if_handler_busy(self._drain, exc.code if isinstance(exc.code, int) else 1)
            raise

    def _build_app(self) -> faust.App:
        kafka = self.settings.kafka
        app = ShortFetchApp(
            f"{kafka.group_prefix}-{self.name}",
            fetch_wait=(
                # The trainer is on no document's way to its route: the long wait, always.
                FetchWait(kafka.background_fetch_max_wait_ms)
                if self.name == "trainer"
                else FetchWait(
                    kafka.fetch_max_wait_ms,
                    kafka.active_fetch_max_wait_ms,
                    active_for_s=kafka.active_fetch_window_ms / 1000,
                )
            ),
            broker=[f"kafka://{server}" for server in kafka.servers],
            broker_session_timeout=kafka.session_timeout_ms / 1000,
            broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
            broker_commit_interval=1.0,
            # Per service: faust's default is `<name>-data` in the working directory.
            datadir=str(self.settings.data_dir / f"docroute-{self.name}-data"),
            consumer_auto_offset_reset="earliest",
            key_serializer="raw",
            value_serializer="raw",
            producer_acks=-1,
            topic_allow_declare=False,
            topic_disable_leader=True,
            web_enabled=False,
            autodiscover=False,
        )
        for topic_name, handler in self._routes.items():
            self._add_agent(app, topic_name, handler)

        async def _beat() -> None:
            self.health.beat()

        lag = LagGauge(self.name)

        async def _measure_lag() -> None:
            # A metric must never stop the pipeline: faust crashes the service when a timer raises.
            try:
                await lag.measure(app.consumer)
            except Exception:
                logger.warning("consumer lag not measured", exc_info=True)

        async def _rebalanced(sender: Any, /, *args: Any, **kwargs: Any) -> None:
            self._assigned = True

        # Registered by call, not as decorators: faust's return untyped callables.
        app.timer(interval=1.0)(_beat)
        app.timer(interval=5.0)(_measure_lag)
        app.on_rebalance_complete.connect(_rebalanced)
        return app

    def _add_agent(self, app: faust.App, topic_name: str, route: Handler | Batched) -> None:
        topic = app.topic(topic_name, key_type=bytes, value_type=bytes)
        # A plain handler is a batch handler of one event: one loop, one error policy for both.
        batched = route if isinstance(route, Batched) else Batched(_one_at_a_time(route), max_events=1)

        async def consume(stream: Any) -> None:
            # Acknowledged by hand, once handled: faust acks the current event when the stream is
            # closed, which would commit a message given up at shutdown.
            manual = stream.noack()

            async def handle(events: list[Any]) -> None:
                try:
                    if self._drain.requested:
                        return  # queued, not begun: not acknowledged, redelivered after the restart
                    await self._process([event.message for event in events], batched)
                    for event in events:  # every output acknowledged by the broker first
                        await manual.ack(event)
                finally:
                    for _ in events:
                        self._drain.released()

            async with KeyLanes(self.concurrency, handle, batch=batched.max_events) as lanes:
                async for event in manual.events():
                    if self._drain.requested:
                        await asyncio.Event().wait()  # not acknowledged: redelivered after the restart
                    self._drain.taken()
                    await lanes.put(event.message.key, event)

        app.agent(topic, name=f"{self.name}.{topic_name}")(consume)

    async def _process(self, messages: list[Any], route: Batched) -> None:
        """Handle messages ready together in one call (`docroute.batches`) until each is produced
        or dead-lettered: their outputs and dead letters produced together, and when the broker
        fails that, the batch again (same event ids); from a transient failure on, retried after
        a back-off. Never gives up on transients."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        if route.max_events > 1:
            metrics.BATCH_MESSAGES.labels(self.name).observe(len(messages))
        handle = route.handle
        done: list[tuple[Event[Any] | Exception, str]] = []  # (event or why not decoded, outcome)
        attempt = 0
        while messages:
            events = [outcome(partial(decode, message.value)) for message in messages]
            ready = [event for event in events if isinstance(event, Event)]
            handled = iter(
                await loop.run_in_executor(self._executor, self._drain.in_thread(_handled, handle, ready))
            )
            results = [next(handled) if isinstance(event, Event) else event for event in events]
            plan = settle(list(zip(messages, events, strict=True)), results)
            dead = [dead_letter(self.name, message, error) for (message, _), error, _ in plan.dead]
            try:
                await self._produce(
                    [record for _, records in plan.produced for record in records]
                    + [(item, encode(item.event)) for item in dead]
                )
            except KafkaError as exc:  # none acknowledged: the batch again, same event ids
                await self._back_off(attempt, "BrokerUnavailableError", exc, messages[0])
                attempt += 1
                continue
            for ((message, _), error, raised), item in zip(plan.dead, dead, strict=True):
                report_dead_letter(self.name, message, item, error, raised)  # once, when it is sent
            for (message, event), records in plan.produced:
                if self._on_produced is not None and records and isinstance(event, Event):
                    out = [item for item, _ in records]
                    await self._after_produced(self._on_produced, message, event, out)
            done += [(event, "ok") for (_, event), _ in plan.produced]
            done += [(event, "dead_lettered") for (_, event), _, _ in plan.dead]
            if plan.transient is not None:
                first_retried = plan.retried[0][0]
                await self._back_off(attempt, type(plan.transient).__name__, plan.transient, first_retried)
                attempt += 1
            messages = [message for message, _ in plan.retried]
        share = (time.perf_counter() - started) / len(done)
        for event, result in done:
            event_type = event.type if isinstance(event, Event) else "unknown"
            metrics.MESSAGES_PROCESSED.labels(self.name, event_type, result).inc()
            metrics.PROCESSING_SECONDS.labels(self.name, event_type).observe(share)

    async def _produce(self, records: Sequence[Record]) -> None:
        """Hand every record to the producer, then wait for all acknowledgements: records ready
        together leave in one request per broker (the router's route and its copy on
        `document.routed`), not one round trip after another. Records of one partition keep
        their order (the producer has one request in flight per partition)."""
        acknowledged = [
            await self.app.producer.send(
                item.topic, item.key.encode(), value, partition=None, timestamp=None, headers=None
            )
            for item, value in records
        ]
        results = await asyncio.gather(*acknowledged, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # the message is not acknowledged: handled again, resent (same ids)

    async def _back_off(self, attempt: int, error: str, exc: Exception, message: Any) -> None:
        delay = min(MAX_BACKOFF_S, 0.5 * 2**attempt)
        metrics.TRANSIENT_ERRORS.labels(self.name, error).inc()
        logger.warning("transient failure, retrying in %.1fs: %s", delay, exc, extra=where(message))
        await asyncio.sleep(delay)

    async def _after_produced(
        self, hook: ProducedHook, message: Any, event: Event[Any], out: Sequence[Outgoing]
    ) -> None:
        """The produced hook (counting, logging): its failure is logged, never the message's, whose
        outputs the broker has already acknowledged (dead-lettering it now would send it twice)."""
        call = self._drain.in_thread(hook, event, out)
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except Exception:
            logger.exception("after-produce hook failed", extra=where(message))


def _handled(handle: BatchHandler, events: Sequence[Event[Any]]) -> list[list[Record] | Exception]:
    """Each event's outputs encoded (validated against their contracts), or the error it met:
    an output that breaks its contract is that message's internal error, not the batch's. A
    handler's failure as a whole, or a wrong count of results, is every event's error."""
    results = outcome(partial(handle, events))
    if not isinstance(results, Exception) and len(results) != len(events):
        results = ValueError(f"{len(results)} results for {len(events)} events")
    if isinstance(results, Exception):
        return [results] * len(events)
    return [
        result if isinstance(result, Exception) else outcome(partial(_encoded, result)) for result in results
    ]


def _encoded(outgoing: Sequence[Outgoing]) -> list[Record]:
    return [(item, encode(item.event)) for item in outgoing]


def _one_at_a_time(handler: Handler) -> BatchHandler:
    """`handler` as a batch handler: each event's outputs, or the error it raised."""

    def handle(events: Sequence[Event[Any]]) -> list[Sequence[Outgoing] | Exception]:
        return [outcome(partial(handler, event)) for event in events]

    return handle
