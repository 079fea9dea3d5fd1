"""Settings topics read whole by every replica (workflow.updated, model.published).

Stream topics are shared by a consumer group; these are not: every process needs every
workflow's settings, so each reads the topic from the beginning without a group and keeps
the latest event per key.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from docroute.errors import BrokerUnavailableError, InvalidEventError
from docroute.events import Event, decode
from docroute.kafka import client_options
from docroute.settings import KafkaSettings

logger = logging.getLogger(__name__)


class TopicView:
    """Latest event per key of one topic, followed in a background thread.

    Usage::

        workflows = TopicView(settings.kafka, topics.WORKFLOW_UPDATED)
        workflows.start()
        event = workflows.get(workflow_id) or (workflows.sync() and workflows.get(workflow_id))
    """

    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        self.topic = topic
        self._settings = settings
        self._latest: dict[str, Event[Any]] = {}
        self._lock = threading.Lock()
        self._caught_up = threading.Condition(self._lock)
        self._sync_requests = 0
        self._synced_rounds = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"view-{topic}", daemon=True)
        self._listeners: list[Any] = []
        # What the follower has read (next offset per partition), and the latest wall time
        # before which everything produced is known to be read (see `ensure_current`).
        self._read_up_to: dict[TopicPartition, int] = {}
        self._current_as_of = 0.0
        self._offsets_lock = threading.Lock()
        self._offsets: KafkaConsumer | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._offsets_lock:
            if self._offsets is not None:
                self._offsets.close()
                self._offsets = None

    def on_event(self, listener: Any) -> None:
        """Call `listener(event)` in the follower thread for every new event."""
        self._listeners.append(listener)

    def get(self, key: str) -> Event[Any] | None:
        with self._lock:
            return self._latest.get(key)

    def items(self) -> dict[str, Event[Any]]:
        with self._lock:
            return dict(self._latest)

    def sync(self, timeout_s: float = 15.0) -> bool:
        """Block until every event produced before the call has been read; True on success."""
        with self._lock:
            self._sync_requests += 1
            target = self._sync_requests
            return self._caught_up.wait_for(lambda: self._synced_rounds >= target, timeout_s)

    def ensure_current(self, as_of: datetime, timeout_s: float = 15.0) -> bool:
        """Block until every event produced before `as_of` has been read; True on success.

        A stage calls this with the time of the event it handles, so a change published before
        that event (a workflow archived, then a mail sent for it) is always seen. It costs one
        offsets request when the view was not already known current as of that time, and a
        wait only when the topic holds events the follower has not read yet.
        """
        wanted = min(as_of.timestamp(), time.time())
        with self._lock:
            if self._current_as_of >= wanted:
                return True
        asked_at = time.time()
        try:
            ends = self._end_offsets()
        except KafkaError as exc:
            logger.warning("cannot read the end of %s: %s", self.topic, exc)
            return self.sync(timeout_s)
        with self._lock:
            read_all = self._caught_up.wait_for(
                lambda: (
                    bool(self._read_up_to)
                    and all(self._read_up_to.get(p, 0) >= end for p, end in ends.items())
                ),
                timeout_s,
            )
            if read_all:
                self._current_as_of = max(self._current_as_of, asked_at)
            return read_all

    def _end_offsets(self) -> dict[TopicPartition, int]:
        # kafka-python clients are not thread-safe: the follower's consumer stays its own.
        with self._offsets_lock:
            if self._offsets is None:
                self._offsets = self._connect()
            partitions = self._partitions(self._offsets)
            ends: dict[TopicPartition, int] = self._offsets.end_offsets(partitions)
            return ends

    def _run(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            try:
                self._follow()
            except (KafkaError, BrokerUnavailableError) as exc:
                logger.warning("following %s failed, retrying: %s", self.topic, exc)
                self._stopping.wait(delay)
                delay = min(delay * 2, 10.0)

    def _follow(self) -> None:
        consumer = self._connect()
        partitions = self._partitions(consumer)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while not self._stopping.is_set():
            with self._lock:
                requested = self._sync_requests
            ends = consumer.end_offsets(partitions) if requested > self._synced_rounds else None
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    self._apply(record.key, record.value)
            if ends is not None:
                while any(consumer.position(p) < ends[p] for p in partitions):
                    for records in consumer.poll(timeout_ms=200).values():
                        for record in records:
                            self._apply(record.key, record.value)
            read_up_to = {p: consumer.position(p) for p in partitions}
            with self._lock:
                self._read_up_to = read_up_to
                if ends is not None:
                    self._synced_rounds = requested
                self._caught_up.notify_all()
        consumer.close()

    def _apply(self, key: bytes | None, value: bytes) -> None:
        try:
            event = decode(value)
        except InvalidEventError as exc:
            logger.error("skipping invalid event on %s: %s", self.topic, exc, extra={"topic": self.topic})
            return
        with self._lock:
            self._latest[(key or b"").decode() or (event.subject or "")] = event
        for listener in self._listeners:
            listener(event)

    def _connect(self) -> KafkaConsumer:
        try:
            return KafkaConsumer(
                **client_options(self._settings),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                # The stream services' fetch wait, not kafka-python's 500 ms: the local broker
                # answers a fetch only when its wait is over, so a view saw a workflow archived
                # 13 ms before a mail for it only after the mail had gone through every stage
                # (tests/adversarial/test_mailroom.py, CI 2026-12-01).
                fetch_max_wait_ms=self._settings.fetch_max_wait_ms,
            )
        except KafkaError as exc:
            raise BrokerUnavailableError(f"cannot read {self.topic}: {exc}") from exc

    def _partitions(self, consumer: KafkaConsumer) -> list[TopicPartition]:
        for _ in range(100):
            ids = consumer.partitions_for_topic(self.topic)
            if ids:
                return [TopicPartition(self.topic, p) for p in sorted(ids)]
            self._stopping.wait(0.2)
        raise BrokerUnavailableError(f"topic {self.topic} does not exist")
