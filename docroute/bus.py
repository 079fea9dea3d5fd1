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

from docroute import metrics, topics
from docroute.batches import Batched, BatchHandler, outcome, settle
from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentFailed, Original
from docroute.draining import Drain, DrainingWorker, exit_if_handler_busy
from docroute.errors import PermanentError, TransientError
from docroute.events import Event, Outgoing, decode, emit, encode
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
MAX_BACKOFF_S = 30.0
# The services that run this loop: the `stage` their dead letters name (document.failed v1 also has "api").
StreamName = Literal["ingest", "ocr", "classify", "router", "trainer"]
# Messages handled at once per input topic (`docroute.lanes`; DOCROUTE_STREAM_CONCURRENCY overrides).
# 1 everywhere: on the 2-core bench machine 2-4 at once gave no more pages/s (text 0.89x, scans
# 0.92x of one at a time, bench/ab_settings.py, README): with the fetch wait gone the stages are
# CPU-bound there. Raise it where a stage waits on slower S3 or brokers; the trainer stays at 1.
DEFAULT_CONCURRENCY: dict[StreamName, int] = {"ingest": 1, "ocr": 1, "classify": 1, "router": 1, "trainer": 1}


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

        async def consume(stream: Any) -> None:
            # Acknowledged by hand, once handled: faust acks the current event when the stream is
            # closed, which would commit a message given up at shutdown.
            manual = stream.noack()

            async def handle(events: list[Any]) -> None:
                try:
                    if self._drain.requested:
                        return  # queued, not begun: not acknowledged, redelivered after the restart
                    if isinstance(route, Batched):
                        await self._process_batch([event.message for event in events], route.handle)
                    else:
                        [event] = events
                        await self._process(event.message, route)
                    for event in events:  # every output acknowledged by the broker first
                        await manual.ack(event)
                finally:
                    for _ in events:
                        self._drain.released()

            batch = route.max_events if isinstance(route, Batched) else 1
            async with KeyLanes(self.concurrency, handle, batch=batch) as lanes:
                async for event in manual.events():
                    if self._drain.requested:
                        await asyncio.Event().wait()  # not acknowledged: redelivered after the restart
                    self._drain.taken()
                    await lanes.put(event.message.key, event)

        app.agent(topic, name=f"{self.name}.{topic_name}")(consume)

    async def _process(self, message: Any, handler: Handler) -> None:
        """Handle one message until it is produced or dead-lettered; never gives up on transients."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        event_type = "unknown"
        attempt = 0
        while True:
            try:
                event = decode(message.value)
                event_type = event.type
                outgoing = await loop.run_in_executor(self._executor, self._drain.in_thread(handler, event))
                await self._produce(outgoing)
                if self._on_produced is not None and outgoing:
                    await loop.run_in_executor(
                        self._executor, self._drain.in_thread(self._on_produced, event, outgoing)
                    )
                outcome = "ok"
                break
            except TransientError as exc:
                await self._back_off(attempt, type(exc).__name__, exc, message)
                attempt += 1
            except KafkaError as exc:
                await self._back_off(attempt, "BrokerUnavailableError", exc, message)
                attempt += 1
            except PermanentError as exc:
                await self._dead_letter(message, exc)
                outcome = "dead_lettered"
                break
            except Exception as exc:
                logger.exception("handler failed", extra=_where(message))
                await self._dead_letter(
                    message, PermanentError(f"internal error: {exc!r}"[:1000], reason_code="internal_error")
                )
                outcome = "dead_lettered"
                break
        metrics.MESSAGES_PROCESSED.labels(self.name, event_type, outcome).inc()
        metrics.PROCESSING_SECONDS.labels(self.name, event_type).observe(time.perf_counter() - started)

    async def _process_batch(self, messages: list[Any], handle: BatchHandler) -> None:
        """Handle messages ready together in one call (`docroute.batches`): their outputs and
        dead letters produced together; from a transient failure on, retried after a back-off."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        metrics.BATCH_MESSAGES.labels(self.name).observe(len(messages))
        done: list[tuple[Event[Any] | Exception, str]] = []  # (event or why not decoded, outcome)
        attempt = 0
        while messages:
            events = [outcome(partial(decode, message.value)) for message in messages]
            ready = [event for event in events if isinstance(event, Event)]
            called = await loop.run_in_executor(
                self._executor, self._drain.in_thread(outcome, partial(handle, ready))
            )
            # An error of the call as a whole is every event's result.
            handled = iter([called] * len(ready) if isinstance(called, Exception) else called)
            results = [next(handled) if isinstance(event, Event) else event for event in events]
            plan = settle(list(zip(messages, events, strict=True)), results)
            dead = [self._failed(message, error, raised) for (message, _), error, raised in plan.dead]
            try:
                await self._produce([item for _, out in plan.produced for item in out] + dead)
            except KafkaError as exc:  # none acknowledged: the batch again, same event ids
                await self._back_off(attempt, "BrokerUnavailableError", exc, messages[0])
                attempt += 1
                continue
            for (_, event), out in plan.produced:
                if self._on_produced is not None and out and isinstance(event, Event):
                    await loop.run_in_executor(
                        self._executor, self._drain.in_thread(self._on_produced, event, out)
                    )
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

    async def _produce(self, outgoing: Sequence[Outgoing]) -> None:
        """Hand every record to the producer, then wait for all acknowledgements: records ready
        together leave in one request per broker (the router's route and its copy on
        `document.routed`), not one round trip after another. Records of one partition keep
        their order (the producer has one request in flight per partition)."""
        acknowledged = [
            await self.app.producer.send(
                item.topic,
                item.key.encode(),
                encode(item.event),
                partition=None,
                timestamp=None,
                headers=None,
            )
            for item in outgoing
        ]
        results = await asyncio.gather(*acknowledged, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result  # the message is not acknowledged: handled again, resent (same ids)

    async def _back_off(self, attempt: int, error: str, exc: Exception, message: Any) -> None:
        delay = min(MAX_BACKOFF_S, 0.5 * 2**attempt)
        metrics.TRANSIENT_ERRORS.labels(self.name, error).inc()
        logger.warning("transient failure, retrying in %.1fs: %s", delay, exc, extra=_where(message))
        await asyncio.sleep(delay)

    async def _dead_letter(self, message: Any, exc: PermanentError) -> None:
        await self._produce([self._failed(message, exc, exc)])

    def _failed(self, message: Any, exc: PermanentError, raised: Exception) -> Outgoing:
        """The `document.failed` of `message` (logged and counted); `raised`: the error as the
        handler raised it, logged with its traceback when it was not a permanent one (a bug)."""
        if raised is not exc:
            logger.error("handler failed", exc_info=raised, extra=_where(message))
        event = _try_decode(message.value)
        data = event.data if event is not None else None
        document_id = (
            _attr(data, "document_id")
            or _attr(data, "sample_id")
            or (message.key or b"").decode(errors="replace")
            or None
        )
        failed = DocumentFailed(
            document_id=str(document_id) if document_id else None,
            workflow_id=str(_attr(data, "workflow_id")) if _attr(data, "workflow_id") else None,
            stage=self.name,
            reason_code=exc.reason_code,
            reason=str(exc)[:2000],
            original=Original(
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                event_id=event.id if event else None,
                event_type=event.type if event else None,
                excerpt=None if event else bytes(message.value or b"")[:500].decode(errors="replace"),
            ),
            blob_ref=_attr(_attr(data, "blob"), "ref"),
            filename=_attr(_attr(data, "origin"), "filename"),
        )
        dead = emit(
            topics.DEAD_LETTER,
            "document.failed",
            failed,
            source=self.name,
            key=failed.document_id or "unknown",
            step="failed",
            about=(message.topic, message.partition, message.offset),  # a message fails once
        )
        logger.warning(
            "dead-lettered (%s): %s",
            exc.reason_code,
            exc,
            extra={**_where(message), "document_id": failed.document_id, "reason_code": exc.reason_code},
        )
        metrics.DEAD_LETTERED.labels(self.name, exc.reason_code).inc()
        return dead


def _try_decode(raw: bytes | None) -> Event[Any] | None:
    try:
        return decode(raw or b"")
    except PermanentError:
        return None


def _attr(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None


def _where(message: Any) -> dict[str, Any]:
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset}
