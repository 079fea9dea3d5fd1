"""`docroute trace DOCUMENT_ID`: one document's path through the topics, oldest first.

The API's projection records where each document's events lie (topic, partition, offset;
`GET /documents/{id}/events`), so trace reads exactly those records: a handful of reads
whatever the history. Only when the API cannot say (unreachable, no key, unknown document) does
it scan, and then only the newest SCAN_WINDOW records of each partition. Every broker call has
a deadline: a broker that does not answer is reported within seconds, with the positions the
API recorded still shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from pydantic import SecretStr

from docroute import topics
from docroute.errors import DocrouteError, InvalidEventError
from docroute.events import Event, decode
from docroute.kafka import client_options
from docroute.settings import KafkaSettings, ServiceSettings

DOCUMENT_TOPICS = (
    topics.DOCUMENT_RECEIVED,
    topics.DOCUMENT_TEXT_EXTRACTED,
    topics.DOCUMENT_CLASSIFIED,
    topics.DOCUMENT_ROUTED,
    topics.DEAD_LETTER,
)
# Records per partition a fallback scan reads at most (the newest ones).
SCAN_WINDOW = 5000
BROKER_DEADLINE_S = 5.0
API_TIMEOUT_S = 5.0


class TraceSettings(ServiceSettings):
    """`DOCROUTE_API_URL` and `DOCROUTE_ADMIN_API_KEY` (or a workflow's key) to ask the API."""

    api_url: str = "http://127.0.0.1:8080"
    admin_api_key: SecretStr | None = None


class TraceError(DocrouteError):
    """The positions or the records could not be read; the message says which and why."""


@dataclass(frozen=True)
class Position:
    """Where the projection saw one of the document's events."""

    topic: str
    partition: int
    offset: int
    type: str | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class Hop:
    """One event about the document."""

    topic: str
    partition: int
    offset: int
    event: Event[Any]


@dataclass
class Trace:
    """What was found, how (`positions` or a bounded `scan`), and at what cost in records read."""

    hops: list[Hop] = field(default_factory=list)
    method: Literal["positions", "scan"] = "positions"
    records_read: int = 0
    stale: int = 0


def summarise(hop: Hop) -> str:
    """One line per hop: when, where, what happened."""
    data = hop.event.data
    detail = {
        "document.received": lambda: (
            f"{data.origin.filename} {data.blob.media_type} {data.page_count}p via {data.origin.door}"
        ),
        "document.text_extracted": lambda: (
            f"{data.text_chars} chars from pages {data.pages_used} ({','.join(data.sources)})"
        ),
        "document.classified": lambda: (
            f"{data.predicted_class} {data.confidence:.2f} by v{data.model_version}"
            + (" unknown" if data.unknown else "")
        ),
        "document.routed": lambda: f"{data.route} -> {data.topic}: {data.reason}",
        "document.failed": lambda: f"{data.stage} gave up ({data.reason_code}): {data.reason}",
        "document.superseded": lambda: f"recalled from {data.topic}: {data.reason}",
    }.get(hop.event.type, lambda: "")()
    when = hop.event.time.isoformat(timespec="milliseconds")
    return f"{when}  {hop.topic}[{hop.partition}]@{hop.offset}  {hop.event.type}  {detail}"


def describe(position: Position) -> str:
    """A recorded position, for when its record cannot be read."""
    when = position.time.isoformat(timespec="milliseconds") if position.time else "?"
    return f"{when}  {position.topic}[{position.partition}]@{position.offset}  {position.type or '?'}"


def recorded_positions(
    api_url: str, api_key: str | None, document_id: str, timeout_s: float = API_TIMEOUT_S
) -> list[Position]:
    """The positions the API's projection recorded for the document, oldest first."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = f"{api_url.rstrip('/')}/documents/{document_id}/events"
    try:
        response = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise TraceError(f"the API at {api_url} did not answer: {exc}") from exc
    if response.status_code != 200:
        raise TraceError(f"the API answered {response.status_code}: {response.text[:200]}")
    return [
        Position(
            topic=item["topic"],
            partition=int(item["partition"]),
            offset=int(item["offset"]),
            type=item.get("type"),
            time=datetime.fromisoformat(item["time"]) if item.get("time") else None,
        )
        for item in response.json()
    ]


def read_positions(
    settings: KafkaSettings,
    document_id: str,
    positions: Sequence[Position],
    deadline_s: float = BROKER_DEADLINE_S,
) -> Trace:
    """Read exactly the records at `positions` (seek, read one each). A record keyed by another
    document (the broker's log was replaced since) counts in `stale`, not as a hop."""
    found = Trace(method="positions")
    key = document_id.encode()
    with _Reader(settings, deadline_s) as reader:
        for position in positions:
            tp = TopicPartition(position.topic, position.partition)
            reader.assign([tp])
            reader.seek(tp, position.offset)
            record = _next_record(reader, tp, found, deadline_s)
            if record is None or record.offset != position.offset:
                raise TraceError(
                    f"{position.topic}[{position.partition}]@{position.offset} is not on the broker"
                )
            hop = _hop(tp, record) if record.key == key else None
            if hop is not None:
                found.hops.append(hop)
            else:
                found.stale += 1
    found.hops.sort(key=lambda hop: hop.event.time)
    return found


def scan(
    settings: KafkaSettings,
    document_id: str,
    extra_topics: Iterable[str] = (),
    window: int = SCAN_WINDOW,
    deadline_s: float = BROKER_DEADLINE_S * 4,
) -> Trace:
    """The events keyed `document_id` among the newest `window` records of each document topic's
    partitions: bounded, so older events of the document may be missed."""
    found = Trace(method="scan")
    key = document_id.encode()
    with _Reader(settings, deadline_s) as reader:
        partitions = [
            TopicPartition(topic, p)
            for topic in sorted(set(DOCUMENT_TOPICS) | set(extra_topics))
            for p in sorted(reader.partitions_for_topic(topic) or ())
        ]
        ends = _call(reader.end_offsets, partitions, timeout_ms=int(deadline_s * 1000))
        starts = _call(reader.beginning_offsets, partitions, timeout_ms=int(deadline_s * 1000))
        pending = {tp for tp in partitions if ends[tp] > starts[tp]}
        reader.assign(list(pending))
        for tp in pending:
            reader.seek(tp, max(starts[tp], ends[tp] - window))
        while pending:
            batch = _call(reader.poll, timeout_ms=int(deadline_s * 1000))
            if not batch:
                raise TraceError(f"the broker did not send records within {deadline_s:.0f}s")
            for tp, records in batch.items():
                found.records_read += len(records)
                found.hops += [h for r in records if r.key == key and (h := _hop(tp, r)) is not None]
                if tp in pending and records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
                    reader.pause(tp)
    found.hops.sort(key=lambda hop: hop.event.time)
    return found


def trace(settings: KafkaSettings, document_id: str, extra_topics: Iterable[str] = ()) -> list[Hop]:
    """The document's events without the API's help: a bounded `scan`."""
    return scan(settings, document_id, extra_topics).hops


class _Reader:
    """A consumer without a group whose connection and requests give up after `deadline_s`."""

    def __init__(self, settings: KafkaSettings, deadline_s: float) -> None:
        self._options = {
            **client_options(settings),
            "group_id": None,
            "enable_auto_commit": False,
            "bootstrap_timeout_ms": int(deadline_s * 1000),
            "request_timeout_ms": int(deadline_s * 1000) + 1000,
            "reconnect_backoff_max_ms": 1000,
        }
        self._servers = settings.bootstrap_servers
        self._consumer: KafkaConsumer | None = None

    def __enter__(self) -> KafkaConsumer:
        try:
            self._consumer = KafkaConsumer(**self._options)
        except KafkaError as exc:
            raise TraceError(f"the broker at {self._servers} did not answer: {exc}") from exc
        return self._consumer

    def __exit__(self, *exc_info: object) -> None:
        if self._consumer is not None:
            # Closing a consumer of a broker that is gone: nothing left to release.
            with contextlib.suppress(KafkaError):
                self._consumer.close(timeout_ms=1000)


def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except KafkaError as exc:
        raise TraceError(f"the broker did not answer: {exc}") from exc


def _next_record(reader: KafkaConsumer, tp: TopicPartition, found: Trace, deadline_s: float) -> Any:
    batch = _call(reader.poll, timeout_ms=int(deadline_s * 1000), max_records=1)
    records = batch.get(tp, [])
    found.records_read += len(records)
    if not records:
        raise TraceError(f"the broker did not send {tp.topic}[{tp.partition}] within {deadline_s:.0f}s")
    return records[0]


def _hop(tp: TopicPartition, record: Any) -> Hop | None:
    try:
        return Hop(tp.topic, tp.partition, record.offset, decode(record.value))
    except InvalidEventError:
        return None  # not ours to judge here; the dead-letter topic says why
