"""The projection: a background thread that keeps the API's database in step with the pipeline.

kafka-python consumer in group `docroute-api`; per batch (a poll, and, after a poll of two events
or more while no `?wait=` request waits, what polls bring within `projection_linger_ms`): apply
every event in one transaction (`projector.apply_batch`, which also records each event's position), commit it,
produce what the handlers returned (`sample.labelled`), then commit the offsets.

It never gives up: a database error rewinds the batch and retries it after a backoff; any broker
error (poll, commit, lag check, producer, close) drops the consumer and connects a new one with
backoff, resuming from the committed offsets. Handlers are idempotent, so a replay changes
nothing. An unexpected error (a bug) is logged with its traceback and retried with the longest
backoff while `/healthz` says `failed`. `health()` feeds the probes (see `health.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from docroute import topics
from docroute.errors import InvalidEventError, TransientError
from docroute.events import Outgoing, decode
from docroute.kafka import client_options, provision_topics
from docroute.metrics import TRANSIENT_ERRORS
from services.api.adapters import LazyProducer
from services.api.db import SessionFactory
from services.api.metrics import PROJECTED, PROJECTION_BATCH_EVENTS
from services.api.projection.service import projector
from services.api.projection.service.health import ProjectionHealth, State, joined_state, lag_by_topic
from services.api.projection.service.positions import PositionedEvent
from services.api.projection.service.signals import AppliedSignals, documents_of
from services.api.settings import ApiSettings

logger = logging.getLogger(__name__)

TOPICS = (
    topics.DOCUMENT_RECEIVED,
    topics.DOCUMENT_SPLIT,
    topics.DOCUMENT_TEXT_EXTRACTED,
    topics.DOCUMENT_CLASSIFIED,
    topics.DOCUMENT_ROUTED,
    topics.DEAD_LETTER,
    topics.MODEL_PUBLISHED,
)
# Short enough that a returning broker is noticed within seconds (documents must show within
# 30 s of its return); a connection attempt to a hung broker takes a few seconds of its own.
MAX_BACKOFF_S = 5.0
FAILED_BACKOFF_S = 30.0
# Every blocking call is bounded (below), so a beat older than this means the thread is stuck.
STALE_AFTER_S = 120.0
# Lag is measured (one ListOffsets request) this often; a broker that does not answer it within
# BROKER_TIMEOUT_MS counts as gone, since a hung broker makes poll() return nothing, not fail.
LAG_EVERY_S = 2.0
BROKER_TIMEOUT_MS = 5000
CONSUMER_OPTIONS: dict[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "request_timeout_ms": 15000,
    "bootstrap_timeout_ms": BROKER_TIMEOUT_MS,
    "reconnect_backoff_max_ms": 2000,
    "max_poll_records": 1000,
    "max_partition_fetch_bytes": 8 * 1024 * 1024,
}
# The projection lingers only after a poll that brought this many events (events come faster
# than it applies them, as in a burst): a lone document's events, or a scan's every second or so,
# are applied at once, without the linger's polls (each costs CPU) or its delay.
LINGER_FROM_RECORDS = 2
# A linger ends at this many records (a catch-up's polls are full anyway) and polls in slices of
# this length, so that a `?wait=` request that begins meanwhile is not held up by it.
LINGER_MAX_RECORDS: int = CONSUMER_OPTIONS["max_poll_records"]
LINGER_SLICE_MS = 10
_DATABASE_ERRORS = (OperationalError, IntegrityError, InterfaceError)
_BROKER_ERRORS = (KafkaError, TransientError)

Batch = dict[Any, list[Any]]


class Projection:
    """Start with `start()`, stop with `stop()`; `alive()`, `joined()` and `health()` feed the probes."""

    def __init__(self, settings: ApiSettings, sessions: SessionFactory, producer: LazyProducer) -> None:
        # Requests waiting on a document (`?wait=`) are woken when its events are applied.
        self.signals = AppliedSignals()
        self._settings = settings
        self._sessions = sessions
        self._producer = producer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._joined = False
        self._last_beat = time.monotonic()
        self._backoff_s = 0.5
        self._provisioned = False
        self._state: State = "connecting"
        self._last_error: str | None = None
        self._lag: dict[str, int] = {}
        self._lag_measured = 0.0
        self._caught_up_at: float | None = None
        self._last_applied_at: datetime | None = None
        self._applied = 0
        self._reconnects = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="api-projection", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def alive(self) -> bool:
        running = self._thread is not None and self._thread.is_alive()
        return running and time.monotonic() - self._last_beat < STALE_AFTER_S

    def joined(self) -> bool:
        """True while the consumer holds partitions of its group (as of its last poll)."""
        return self._joined

    def health(self) -> ProjectionHealth:
        with self._lock:
            state = self._state
            if state in ("current", "behind"):
                since = None if self._caught_up_at is None else time.monotonic() - self._caught_up_at
                state = joined_state(sum(self._lag.values()), since)
            return ProjectionHealth(
                state="stopped" if self._stop.is_set() else state,
                lag=dict(self._lag),
                last_applied_at=self._last_applied_at,
                last_error=self._last_error,
                applied_events=self._applied,
                reconnects=self._reconnects,
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            consumer: KafkaConsumer | None = None
            try:
                consumer = self._connect()
                self._consume(consumer)
            except _BROKER_ERRORS as exc:
                self._set_state("reconnecting", exc)
                self._back_off("broker", exc)
            except Exception as exc:
                # A bug, not a fault outside: say so loudly, then start over from the committed
                # offsets (nothing is skipped); /healthz is 503 meanwhile.
                logger.exception("projection failed unexpectedly, restarting it")
                self._set_state("failed", exc)
                self._back_off("unexpected", exc, failed=True)
            finally:
                self._joined = False
                if consumer is not None:
                    _close(consumer)

    def _connect(self) -> KafkaConsumer:
        if not self._provisioned:
            provision_topics(self._settings.kafka)
            self._provisioned = True
        consumer = KafkaConsumer(
            *TOPICS,
            **client_options(self._settings.kafka),
            **CONSUMER_OPTIONS,
            group_id=self._settings.consumer_group,
            session_timeout_ms=self._settings.kafka.session_timeout_ms,  # 6000
            heartbeat_interval_ms=self._settings.kafka.heartbeat_interval_ms,  # 1000
            # The stream services' fetch wait (kafka-python's default is 500 ms); while a
            # `?wait=` request waits, `waiting_fetch_max_wait_ms` (set_fetch_wait, each poll).
            fetch_max_wait_ms=self._settings.kafka.fetch_max_wait_ms,
        )
        logger.info("projection consuming %s", ", ".join(TOPICS))
        return consumer

    def _consume(self, consumer: KafkaConsumer) -> None:
        """Poll and apply until stopped; broker errors propagate (the caller reconnects)."""
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            waiting = self.signals.waiting()
            set_fetch_wait(consumer, self._settings.waiting_fetch_max_wait_ms if waiting else None)
            batch: Batch = consumer.poll(timeout_ms=1000)
            if batch and not waiting:
                batch = self._linger(consumer, batch)
            self._joined = bool(consumer.assignment())
            if self._joined and self._state in ("connecting", "reconnecting", "failed"):
                self._set_state("current", None)
            if batch and self._apply_or_rewind(consumer, batch):
                try:
                    consumer.commit(timeout_ms=BROKER_TIMEOUT_MS)
                except CommitFailedError as exc:
                    # A rebalance took the partitions; their new owner replays from the last commit.
                    logger.warning("offset commit failed, batch will be replayed: %s", exc)
                self._backoff_s = 0.5
            if self._joined and time.monotonic() - self._lag_measured >= LAG_EVERY_S:
                self._measure_lag(consumer, fetched=bool(batch))

    def _linger(self, consumer: KafkaConsumer, batch: Batch) -> Batch:
        """The batch and what later polls bring within `projection_linger_ms` of the first.

        In a burst each poll holds two or three events, and each batch costs a transaction, the
        documents' lookup, the positions' INSERT and an offset commit: lingering shares them
        among more events. A batch of fewer than LINGER_FROM_RECORDS is returned as it is.
        Polled in slices of LINGER_SLICE_MS, so a `?wait=` request that starts meanwhile ends
        the linger within a slice; a full batch ends it at once.
        """
        deadline = time.monotonic() + self._settings.projection_linger_ms / 1000
        count = sum(len(records) for records in batch.values())
        if count < LINGER_FROM_RECORDS:
            return batch
        while count < LINGER_MAX_RECORDS and not self._stop.is_set() and not self.signals.waiting():
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            more: Batch = consumer.poll(
                timeout_ms=min(left_ms, LINGER_SLICE_MS), max_records=LINGER_MAX_RECORDS - count
            )
            for tp, records in more.items():
                batch.setdefault(tp, []).extend(records)
                count += len(records)
        return batch

    def _apply_or_rewind(self, consumer: KafkaConsumer, batch: Batch) -> bool:
        """Apply the batch; on a database error seek back to its start and back off."""
        try:
            self._apply(batch)
        except _DATABASE_ERRORS as exc:
            with self._lock:
                self._last_error = f"{type(exc).__name__}: {exc}"
            assigned = consumer.assignment()
            for tp, records in batch.items():
                if tp in assigned:
                    consumer.seek(tp, records[0].offset)
            self._back_off("apply", exc)
            return False
        return True

    def _apply(self, batch: Batch) -> None:
        events = [e for tp, records in batch.items() for r in records if (e := _decoded(tp, r))]
        try:
            self._apply_events(events)
        except DataError:
            # An event holds a value the database refuses (NUL in text, a number out of range):
            # apply the batch one event at a time, so only that event is skipped, not all behind it.
            for positioned in events:
                try:
                    self._apply_events([positioned])
                except DataError as exc:
                    self._refused(positioned, exc)

    def _refused(self, positioned: PositionedEvent, exc: DataError) -> None:
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        where = {"topic": positioned.topic, "partition": positioned.partition, "offset": positioned.offset}
        logger.error("skipped an event the database refuses: %s", reason, extra=where)
        PROJECTED.labels(event_type=positioned.event.type, outcome="refused").inc()
        with self._lock:
            self._last_error = (
                f"event {positioned.topic}[{positioned.partition}]@{positioned.offset} refused: {reason}"
            )

    def _apply_events(self, events: list[PositionedEvent]) -> None:
        with self._sessions() as session:  # closing without commit rolls back
            produce: list[Outgoing] = projector.apply_batch(session, events, self._settings.max_pages)
            session.commit()
        self.signals.applied(documents_of(events))
        if produce:
            self._producer.send(produce)  # BrokerUnavailableError: reconnect, replay, resend
        for positioned in events:
            PROJECTED.labels(event_type=positioned.event.type, outcome="applied").inc()
        PROJECTION_BATCH_EVENTS.observe(len(events))
        with self._lock:
            self._applied += len(events)
            self._last_applied_at = datetime.now(UTC)

    def _measure_lag(self, consumer: KafkaConsumer, *, fetched: bool) -> None:
        """Lag of the assigned partitions from the high watermarks that fetch responses carry.

        Records just fetched prove the broker answers, so no request is made: on Tansu's S3
        storage a ListOffsets lists every batch of a partition, and asking for it while catching
        up slowed the catch-up to a crawl (and its timeouts looked like a dead broker). When the
        last poll fetched nothing, the end offsets are asked for: KafkaTimeoutError there means
        a hung broker, which poll() alone does not reveal.
        """
        assigned = list(consumer.assignment())
        highwaters = {tp: consumer.highwater(tp) for tp in assigned}
        if fetched and all(mark is not None for mark in highwaters.values()):
            ends = highwaters
        else:
            ends = consumer.end_offsets(assigned, timeout_ms=BROKER_TIMEOUT_MS) if assigned else {}
        positions = {tp: consumer.position(tp, timeout_ms=BROKER_TIMEOUT_MS) for tp in ends}
        lag = lag_by_topic(ends, positions)
        now = time.monotonic()
        with self._lock:
            self._lag = lag
            self._lag_measured = now
            if sum(lag.values()) == 0:
                self._caught_up_at = now

    def _set_state(self, state: State, error: BaseException | None) -> None:
        with self._lock:
            if state == "reconnecting":
                self._reconnects += 1
            if state == "current":
                self._caught_up_at = None
                self._lag_measured = 0.0  # measure at once after (re)joining
            self._state = state
            self._last_error = f"{type(error).__name__}: {error}" if error else self._last_error

    def _back_off(self, what: str, exc: BaseException, *, failed: bool = False) -> None:
        wait_s = FAILED_BACKOFF_S if failed else self._backoff_s
        logger.warning("projection %s failed, retrying in %.1fs: %s", what, wait_s, exc)
        TRANSIENT_ERRORS.labels(service="api", error=type(exc).__name__).inc()
        self._stop.wait(wait_s)
        self._last_beat = time.monotonic()
        self._backoff_s = min(self._backoff_s * 2, MAX_BACKOFF_S)


def set_fetch_wait(consumer: KafkaConsumer, wait_ms: int | None) -> None:
    """The broker's wait of the consumer's next fetches; None: the one it was built with.

    kafka-python reads it from its fetcher's config at every fetch request; it has no public
    setter, so a version that moved it fails here loudly instead of answering `?wait=` slowly."""
    fetcher_config = getattr(getattr(consumer, "_fetcher", None), "config", None)
    if not isinstance(fetcher_config, dict) or "fetch_max_wait_ms" not in fetcher_config:
        raise RuntimeError("kafka-python's fetcher has no config['fetch_max_wait_ms']: update set_fetch_wait")
    fetcher_config["fetch_max_wait_ms"] = consumer.config["fetch_max_wait_ms"] if wait_ms is None else wait_ms


def _decoded(tp: Any, record: Any) -> PositionedEvent | None:
    try:
        event = decode(record.value)
    except InvalidEventError as exc:
        # Not ours to dead-letter: the producer's consumers do that. Skip and say so.
        where = {"topic": tp.topic, "partition": tp.partition, "offset": record.offset}
        logger.warning("skipped invalid event: %s", exc, extra=where)
        PROJECTED.labels(event_type="invalid", outcome="skipped").inc()
        return None
    return PositionedEvent(tp.topic, tp.partition, record.offset, event)


def _close(consumer: KafkaConsumer) -> None:
    """Close without committing, within a bound; a broker that is gone cannot fail the close."""
    try:
        consumer.close(autocommit=False, timeout_ms=2000)
    except KafkaError as exc:
        logger.warning("closing the projection consumer failed: %s", exc)
