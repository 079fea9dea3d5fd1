"""`docroute trace DOCUMENT_ID`: one document's path through the topics, oldest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from docroute import topics
from docroute.errors import InvalidEventError
from docroute.events import Event, decode
from docroute.kafka import client_options
from docroute.settings import KafkaSettings

DOCUMENT_TOPICS = (
    topics.DOCUMENT_RECEIVED,
    topics.DOCUMENT_TEXT_EXTRACTED,
    topics.DOCUMENT_CLASSIFIED,
    topics.DOCUMENT_ROUTED,
    topics.DEAD_LETTER,
)


@dataclass(frozen=True)
class Hop:
    """One event about the document."""

    topic: str
    partition: int
    offset: int
    event: Event[Any]


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
    }.get(hop.event.type, lambda: "")()
    when = hop.event.time.isoformat(timespec="milliseconds")
    return f"{when}  {hop.topic}[{hop.partition}]@{hop.offset}  {hop.event.type}  {detail}"


def trace(settings: KafkaSettings, document_id: str, extra_topics: Iterable[str] = ()) -> list[Hop]:
    """Every event keyed by `document_id` on the document topics, read up to their current end."""
    consumer = KafkaConsumer(**client_options(settings), group_id=None, enable_auto_commit=False)
    try:
        wanted = set(DOCUMENT_TOPICS) | set(extra_topics)
        partitions = [
            TopicPartition(topic, p)
            for topic in sorted(wanted)
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        hops: list[Hop] = []
        key = document_id.encode()
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for tp, records in consumer.poll(timeout_ms=1000).items():
                for record in records:
                    if record.key != key:
                        continue
                    try:
                        hops.append(Hop(tp.topic, tp.partition, record.offset, decode(record.value)))
                    except InvalidEventError:
                        continue  # not ours to judge here; the dead-letter topic says why
        return sorted(hops, key=lambda hop: hop.event.time)
    finally:
        consumer.close()
