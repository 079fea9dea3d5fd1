"""A settings view's catch-up on a log the broker replaced (Tansu restarted in memory: offsets
start again at 0): its records are new events, applied, not skipped as already read."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from kafka import TopicPartition

from docroute import topics
from docroute.catalog import TopicView
from docroute.events import Event, encode, new_event
from docroute.settings import KafkaSettings
from tests.factories.workflows import workflow_settings

PARTITION = TopicPartition(topics.WORKFLOW_UPDATED, 0)


class _Record(NamedTuple):
    offset: int
    key: bytes
    value: bytes


class _Log:
    """A one-partition reader over `records`, as kafka-python's consumer answers."""

    def __init__(self, records: list[bytes]) -> None:
        self.records = records
        self._position = 0

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {p: len(self.records) for p in partitions}

    def assign(self, partitions: list[TopicPartition]) -> None:
        pass

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self._position = offset

    def position(self, partition: TopicPartition) -> int:
        return self._position

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[_Record]]:
        batch = [_Record(o, b"key", self.records[o]) for o in range(self._position, len(self.records))]
        self._position = len(self.records)
        return {PARTITION: batch} if batch else {}


def _workflow_event(label: str) -> bytes:
    workflow = workflow_settings(labels=[label])
    return encode(new_event("workflow.updated", workflow, source="test", subject=str(workflow.workflow_id)))


def test_a_catch_up_on_a_replaced_log_applies_its_records_again() -> None:
    view = TopicView(KafkaSettings(), topics.WORKFLOW_UPDATED)
    heard: list[list[str]] = []
    view.on_event(lambda event: heard.append(event.data.labels))
    before = _Log([_workflow_event("a"), _workflow_event("b"), _workflow_event("c")])
    assert view._read_to_end(before, time.monotonic() + 5)  # type: ignore[arg-type]
    assert view._read_to_end(before, time.monotonic() + 5)  # type: ignore[arg-type]
    assert heard == [["a"], ["b"], ["c"]]  # read once

    replaced = _Log([_workflow_event("d")])  # shorter than what was read: a new log
    assert view._read_to_end(replaced, time.monotonic() + 5)  # type: ignore[arg-type]
    assert heard == [["a"], ["b"], ["c"], ["d"]]
    latest: Event[Any] | None = view.get("key")
    assert latest is not None and latest.data.labels == ["d"]
