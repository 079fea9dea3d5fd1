"""Inbound events are checked against their schema's formats too: an event whose `time` is not an
RFC 3339 date-time, or whose ids are not UUIDs, is bad input (InvalidEventError, so a dead letter
that says why), never an internal error or a naive timestamp let through."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from docroute.contracts._generated import TrainingRequested
from docroute.errors import InvalidEventError
from docroute.events import ContractViolationError, decode, encode, new_event


def _envelope() -> dict[str, Any]:
    event = new_event(
        "training.requested",
        TrainingRequested(workflow_id=uuid.uuid4(), request_id=uuid.uuid4()),
        source="api",
    )
    envelope: dict[str, Any] = json.loads(encode(event))
    return envelope


@pytest.mark.parametrize(
    "time",
    [
        "2026-12-01T10:00:00",  # no offset: read as a naive datetime before
        "yesterday",
        "2026-12-01 10:00:00+00:00",  # a space where RFC 3339 has T
    ],
)
def test_an_event_whose_time_is_not_rfc3339_is_invalid_input(time: str) -> None:
    envelope = _envelope()
    envelope["time"] = time
    with pytest.raises(InvalidEventError, match="time"):
        decode(json.dumps(envelope))


def test_a_leap_second_python_cannot_read_is_invalid_input_not_an_internal_error() -> None:
    envelope = _envelope()
    envelope["time"] = "2026-12-31T23:59:60Z"  # valid RFC 3339, which datetime does not read
    with pytest.raises(InvalidEventError, match="time"):
        decode(json.dumps(envelope))


def test_a_data_field_that_is_not_a_uuid_is_named_in_the_reason() -> None:
    envelope = _envelope()
    envelope["data"]["workflow_id"] = "not-a-uuid"
    with pytest.raises(InvalidEventError, match="workflow_id"):
        decode(json.dumps(envelope))


def test_the_reason_lists_each_violation_with_where_it_is() -> None:
    envelope = _envelope()
    envelope["data"]["request_id"] = 7
    envelope["data"]["surplus"] = True
    with pytest.raises(InvalidEventError) as raised:
        decode(json.dumps(envelope))
    reason = str(raised.value)
    assert "request_id:" in reason and "surplus" in reason


def test_a_valid_event_decodes_with_an_aware_time() -> None:
    envelope = _envelope()
    envelope["time"] = "2026-12-01T10:00:00Z"
    assert decode(json.dumps(envelope)).time.utcoffset() is not None


def test_an_outbound_event_with_an_offset_free_time_is_a_bug() -> None:
    event = new_event(
        "training.requested",
        TrainingRequested(workflow_id=uuid.uuid4(), request_id=uuid.uuid4()),
        source="api",
    )
    naive = type(event)(**{**event.__dict__, "time": event.time.replace(tzinfo=None)})
    with pytest.raises(ContractViolationError, match="time"):
        encode(naive)
