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

# The reader that catches up on demand asks for records it knows are there (below the end
# offsets it just read), so its fetches need not wait at the broker: a fetch it leaves in flight
# then holds the next catch-up back at most this long. Not 0: Tansu answers a fetch with a 0 ms
# wait without records, even where there are some.
_CATCH_UP_FETCH_WAIT_MS = 10


class TopicView:
    """Latest event per key of one topic, followed in a background thread.

    The follower only keeps the view fresh between events: its fetch waits
    `KafkaSettings.background_fetch_max_wait_ms` (the topics rarely change, and every empty fetch
    costs CPU in this process and the broker). A stage that must see every change published
    before the event it handles calls `ensure_current` (or `sync`), which reads what the
    follower has not read yet itself, with a second consumer, instead of waiting for it.

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
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"view-{topic}", daemon=True)
        self._listeners: list[Any] = []
        # The next offset to apply per partition, whoever read it (follower or catch-up): each
        # record is applied once and in order, under `_apply_lock` (reentrant: a listener may
        # ask for the view again).
        self._applied: dict[TopicPartition, int] = {}
        self._apply_lock = threading.RLock()
        # The latest wall time before which everything produced is known to be read.
        self._current_as_of = 0.0
        self._reader_lock = threading.Lock()
        self._reader: KafkaConsumer | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def on_event(self, listener: Any) -> None:
        """Call `listener(event)` for every new event, in the thread that read it."""
        self._listeners.append(listener)

    def get(self, key: str) -> Event[Any] | None:
        with self._lock:
            return self._latest.get(key)

    def items(self) -> dict[str, Event[Any]]:
        with self._lock:
            return dict(self._latest)

    def sync(self, timeout_s: float = 15.0) -> bool:
        """Block until every event produced before the call has been read; True on success."""
        return self._catch_up(time.time(), timeout_s)

    def ensure_current(self, as_of: datetime, timeout_s: float = 15.0) -> bool:
        """Block until every event produced before `as_of` has been read; True on success.

        A stage calls this with the time of the event it handles, so a change published before
        that event (a workflow archived, then a mail sent for it) is always seen. It costs one
        offsets request when the view was not already known current as of that time, and one
        fetch more only when the topic holds events not read yet.
        """
        wanted = min(as_of.timestamp(), time.time())
        with self._lock:
            if self._current_as_of >= wanted:
                return True
        return self._catch_up(time.time(), timeout_s)

    def _catch_up(self, asked_at: float, timeout_s: float) -> bool:
        """Read every record below the topic's end offsets as of now; `asked_at` (taken before
        the offsets request) is then the time the view is known current as of."""
        deadline = time.monotonic() + timeout_s
        try:
            # kafka-python clients are not thread-safe: the follower's consumer stays its own.
            with self._reader_lock:
                if self._stopping.is_set():
                    return False
                if self._reader is None:
                    self._reader = self._connect(_CATCH_UP_FETCH_WAIT_MS)
                read_all = self._read_to_end(self._reader, deadline)
        except (KafkaError, BrokerUnavailableError) as exc:
            logger.warning("cannot catch up on %s: %s", self.topic, exc)
            return False
        if read_all:
            with self._lock:
                self._current_as_of = max(self._current_as_of, asked_at)
        return read_all

    def _read_to_end(self, reader: KafkaConsumer, deadline: float) -> bool:
        partitions = self._partitions(reader)
        ends: dict[TopicPartition, int] = reader.end_offsets(partitions)
        with self._apply_lock:
            self._forget_replaced_logs(ends)
            behind = [p for p in partitions if self._applied.get(p, 0) < ends[p]]
            if not behind:
                return True
            reader.assign(behind)
            for p in behind:
                reader.seek(p, self._applied.get(p, 0))
            while any(self._applied.get(p, 0) < ends[p] for p in behind):
                remaining_ms = int((deadline - time.monotonic()) * 1000)
                if remaining_ms <= 0:
                    return False
                self._take(reader, reader.poll(timeout_ms=min(remaining_ms, 200)))
            return True

    def _forget_replaced_logs(self, ends: dict[TopicPartition, int]) -> None:
        # A log that ends before what was applied was replaced (a broker restarted in memory):
        # its offsets start again, and its records are new ones.
        for p, end in ends.items():
            if self._applied.get(p, 0) > end:
                logger.warning("%s was replaced at the broker: reading it again", p)
                self._applied[p] = 0

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
        consumer = self._connect(self._settings.background_fetch_max_wait_ms)
        try:
            partitions = self._partitions(consumer)
            consumer.assign(partitions)
            with self._apply_lock:
                for p in partitions:
                    consumer.seek(p, self._applied.get(p, 0))
            while not self._stopping.is_set():
                # Wakes once a second for `stop`, not five times: the fetch waits longer anyway.
                batch = consumer.poll(timeout_ms=1000)
                if batch and self._holds_applied(batch):
                    # Caught up on demand meanwhile (records applied already), or the log was
                    # replaced: only its end tells which.
                    with self._apply_lock:
                        self._forget_replaced_logs(consumer.end_offsets(list(batch)))
                with self._apply_lock:
                    self._take(consumer, batch)
        finally:
            consumer.close()

    def _holds_applied(self, batch: dict[TopicPartition, list[Any]]) -> bool:
        with self._apply_lock:
            return any(records[0].offset < self._applied.get(p, 0) for p, records in batch.items() if records)

    def _take(self, consumer: KafkaConsumer, batch: dict[TopicPartition, list[Any]]) -> None:
        """Apply the records not applied yet; the caller holds `_apply_lock`."""
        for p, records in batch.items():
            for record in records:
                if record.offset < self._applied.get(p, 0):
                    continue  # the other reader applied it
                self._apply(record.key, record.value)
                self._applied[p] = record.offset + 1
            # Past the records: offsets the log holds no record at (compacted, markers).
            self._applied[p] = max(self._applied.get(p, 0), consumer.position(p))

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

    def _connect(self, fetch_max_wait_ms: int) -> KafkaConsumer:
        try:
            return KafkaConsumer(
                **client_options(self._settings),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=fetch_max_wait_ms,
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
