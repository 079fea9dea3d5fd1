"""`emit`: the idempotency rule's one home. Same step on the same thing, same id; anything else, not."""

from __future__ import annotations

import uuid

from docroute import topics
from docroute.contracts._generated import TrainingRequested
from docroute.events import decode, emit, encode


def _data(workflow_id: uuid.UUID) -> TrainingRequested:
    return TrainingRequested(workflow_id=workflow_id, request_id=uuid.uuid4())


def test_same_step_on_the_same_document_emits_the_same_id() -> None:
    workflow_id, document_id = uuid.uuid4(), str(uuid.uuid4())
    first, again = (
        emit(
            topics.TRAINING_REQUESTED,
            "training.requested",
            _data(workflow_id),
            source="t",
            key=document_id,
            step="s",
        )
        for _ in range(2)
    )
    assert first.event.id == again.event.id
    uuid.UUID(first.event.id)  # a CloudEvents id that is also a UUID


def test_a_different_step_or_document_emits_a_different_id() -> None:
    workflow_id, document_id = uuid.uuid4(), str(uuid.uuid4())

    def event_id(step: str, key: str) -> str:
        data = _data(workflow_id)
        return emit(
            topics.TRAINING_REQUESTED, "training.requested", data, source="t", key=key, step=step
        ).event.id

    assert event_id("received", document_id) != event_id("text_extracted", document_id)
    assert event_id("received", document_id) != event_id("received", str(uuid.uuid4()))


def test_about_names_what_makes_two_emissions_different_facts() -> None:
    workflow_id, document_id = uuid.uuid4(), str(uuid.uuid4())

    def event_id(version: int) -> str:
        data = _data(workflow_id)
        out = emit(
            topics.TRAINING_REQUESTED,
            "training.requested",
            data,
            source="t",
            key=document_id,
            step="classified",
            about=(document_id, version),
        )
        return out.event.id

    assert event_id(1) == event_id(1)
    assert event_id(1) != event_id(2)  # a new model version classifies the document anew


def test_no_step_is_a_new_fact_with_a_fresh_id() -> None:
    workflow_id = uuid.uuid4()
    ids = {
        emit(
            topics.TRAINING_REQUESTED,
            "training.requested",
            _data(workflow_id),
            source="t",
            key="k",
            step=None,
        ).event.id
        for _ in range(3)
    }
    assert len(ids) == 3


def test_the_envelope_carries_topic_key_subject_and_source() -> None:
    workflow_id = uuid.uuid4()
    out = emit(
        topics.TRAINING_REQUESTED,
        "training.requested",
        _data(workflow_id),
        source="api",
        key=str(workflow_id),
        step="requested",
    )
    assert (out.topic, out.key) == (topics.TRAINING_REQUESTED, str(workflow_id))
    event = decode(encode(out.event))
    assert (event.subject, event.source, event.id) == (str(workflow_id), "/docroute/api", out.event.id)
    named = emit(
        topics.SAMPLE_LABELLED,
        "training.requested",
        _data(workflow_id),
        source="api",
        key=str(workflow_id),
        subject="doc-1",
        step="labelled",
    )
    assert named.event.subject == "doc-1"
