"""The projection: a background thread that keeps the API's database in step with the pipeline.

kafka-python consumer in group `docroute-api`; per batch: apply every event in one transaction,
commit it, produce what the handlers returned (`sample.labelled`), then commit the offsets.
A dependency failure (database, broker) rewinds the batch and retries it after a backoff;
handlers are idempotent, so a replay changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from docroute import topics
from docroute.errors import InvalidEventError, TransientError
from docroute.events import Outgoing, decode
from docroute.kafka import client_options, provision_topics
from docroute.metrics import TRANSIENT_ERRORS
from services.api import projector
from services.api.adapters import LazyProducer
from services.api.db import SessionFactory
from services.api.metrics import PROJECTED
from services.api.settings import ApiSettings

logger = logging.getLogger(__name__)

TOPICS = (
    topics.DOCUMENT_RECEIVED,
    topics.DOCUMENT_TEXT_EXTRACTED,
    topics.DOCUMENT_CLASSIFIED,
    topics.DOCUMENT_ROUTED,
    topics.DEAD_LETTER,
    topics.MODEL_PUBLISHED,
)
MAX_BACKOFF_S = 30.0
# Connecting to a dead broker blocks up to ~45 s (admin + consumer bootstrap) between beats.
STALE_AFTER_S = 120.0
# Other database errors are bugs: the thread stops and /healthz turns 503.
_RETRYABLE = (TransientError, KafkaError, OperationalError, IntegrityError, InterfaceError)

Batch = dict[Any, list[Any]]


class Projection:
    """Start with `start()`, stop with `stop()`; `alive()` and `joined()` feed the probes."""

    def __init__(
        self, settings: ApiSettings, sessions: SessionFactory, producer: LazyProducer
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._producer = producer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._joined = False
        self._last_beat = time.monotonic()
        self._backoff_s = 0.5

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

    def _run(self) -> None:
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            try:
                provision_topics(self._settings.kafka)
                consumer = KafkaConsumer(
                    *TOPICS,
                    **client_options(self._settings.kafka),
                    group_id=self._settings.consumer_group,
                    enable_auto_commit=False,
                    auto_offset_reset="earliest",
                    session_timeout_ms=self._settings.kafka.session_timeout_ms,  # 6000
                    heartbeat_interval_ms=self._settings.kafka.heartbeat_interval_ms,  # 1000
                )
            except (TransientError, KafkaError) as exc:
                self._back_off("connect", exc)
                continue
            logger.info("projection consuming %s", ", ".join(TOPICS))
            try:
                self._consume(consumer)
            finally:
                self._joined = False
                consumer.close(autocommit=False)

    def _consume(self, consumer: KafkaConsumer) -> None:
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            try:
                batch: Batch = consumer.poll(timeout_ms=1000)
            except KafkaError as exc:
                self._back_off("poll", exc)
                return  # reconnect
            self._joined = bool(consumer.assignment())
            if not batch:
                continue
            try:
                self._apply(batch)
            except _RETRYABLE as exc:
                assigned = consumer.assignment()
                for tp, records in batch.items():
                    if tp in assigned:
                        consumer.seek(tp, records[0].offset)
                self._back_off("apply", exc)
                continue
            try:
                consumer.commit()
            except CommitFailedError as exc:
                # A rebalance took the partitions; their new owner replays from the last commit.
                logger.warning("offset commit failed, batch will be replayed: %s", exc)
            self._backoff_s = 0.5

    def _apply(self, batch: Batch) -> None:
        produce: list[Outgoing] = []
        with self._sessions() as session:  # closing without commit rolls back
            for tp, records in batch.items():
                for record in records:
                    produce += self._apply_one(session, tp, record)
            session.commit()
        if produce:
            self._producer.send(produce)

    def _apply_one(self, session: Any, tp: Any, record: Any) -> list[Outgoing]:
        where = {"topic": tp.topic, "partition": tp.partition, "offset": record.offset}
        try:
            event = decode(record.value)
        except InvalidEventError as exc:
            # Not ours to dead-letter: the producer's consumers do that. Skip and say so.
            logger.warning("skipped invalid event: %s", exc, extra=where)
            PROJECTED.labels(event_type="invalid", outcome="skipped").inc()
            return []
        out = projector.apply(session, event)
        PROJECTED.labels(event_type=event.type, outcome="applied").inc()
        return out

    def _back_off(self, what: str, exc: BaseException) -> None:
        logger.warning("projection %s failed, retrying in %.1fs: %s", what, self._backoff_s, exc)
        TRANSIENT_ERRORS.labels(service="api", error=type(exc).__name__).inc()
        self._stop.wait(self._backoff_s)
        self._last_beat = time.monotonic()
        self._backoff_s = min(self._backoff_s * 2, MAX_BACKOFF_S)
