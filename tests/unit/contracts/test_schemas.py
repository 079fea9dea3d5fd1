"""Event contracts: schemas are valid, models are fresh, envelopes validate both ways."""

from __future__ import annotations

import uuid

import pytest
from jsonschema import Draft202012Validator

from docroute.contracts._generated import TrainingRequested
from docroute.contracts.generate import GENERATED, render
from docroute.contracts.schemas import load_schemas
from docroute.errors import InvalidEventError
from docroute.events import EVENT_MODELS, ContractViolationError, decode, encode, new_event


def test_every_schema_is_valid_json_schema_with_described_fields() -> None:
    for (event_type, _), schema in load_schemas().items():
        Draft202012Validator.check_schema(schema)
        for name, field in schema.get("properties", {}).items():
            assert field.get("description"), f"{event_type}.{name} has no description"


def test_every_event_type_has_a_schema_and_a_model() -> None:
    types = {event_type for event_type, _ in load_schemas()} - {"envelope"}
    assert types == set(EVENT_MODELS)


def test_generated_models_are_fresh() -> None:
    assert GENERATED.read_text() == render(), "run: python -m docroute.contracts.generate"


def test_round_trip_and_cloudevents_attributes() -> None:
    event = new_event(
        "training.requested",
        TrainingRequested(workflow_id=uuid.uuid4(), request_id=uuid.uuid4()),
        source="api",
    )
    raw = encode(event)
    again = decode(raw)
    assert again.data == event.data and again.id == event.id
    assert (
        b'"specversion":"1.0"' in raw and b'"dataschema":"urn:docroute:schema:training.requested:v1"' in raw
    )


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"specversion":"1.0"}'])
def test_inbound_garbage_is_invalid_event(raw: bytes) -> None:
    with pytest.raises(InvalidEventError):
        decode(raw)


def test_outbound_violation_is_a_bug() -> None:
    bad = TrainingRequested.model_construct(
        workflow_id=uuid.uuid4(), request_id=uuid.uuid4(), requested_by="x" * 201
    )
    with pytest.raises(ContractViolationError):
        encode(new_event("training.requested", bad, source="api"))
