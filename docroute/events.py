"""CloudEvents envelopes around the typed contracts, validated against `schemas/` at both ends.

Usage::

    out = emit(topics.DOCUMENT_RECEIVED, "document.received", DocumentReceived(...),
               source="ingest", key=document_id, step="received")
    raw = encode(out.event)      # validates; a violation here is our bug and raises
    again = decode(raw)          # validates; a violation here is bad input: InvalidEventError
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from itertools import islice
from typing import Any, Generic, TypeVar

import jsonschema_rs
from pydantic import BaseModel, ValidationError

from docroute.contracts import _generated as contracts
from docroute.contracts.schemas import load_schemas, schema_urn
from docroute.errors import InvalidEventError

M = TypeVar("M", bound=BaseModel)

EVENT_MODELS: dict[str, type[BaseModel]] = {
    "mail.received": contracts.MailReceived,
    "document.received": contracts.DocumentReceived,
    "document.text_extracted": contracts.DocumentTextExtracted,
    "document.classified": contracts.DocumentClassified,
    "document.routed": contracts.DocumentRouted,
    "document.failed": contracts.DocumentFailed,
    "document.split": contracts.DocumentSplit,
    "document.superseded": contracts.DocumentSuperseded,
    "sample.labelled": contracts.SampleLabelled,
    "sample.deleted": contracts.SampleDeleted,
    "training.requested": contracts.TrainingRequested,
    "model.published": contracts.ModelPublished,
    "model.promoted": contracts.ModelPromoted,
    "workflow.updated": contracts.WorkflowUpdated,
}
_NAMESPACE = uuid.UUID("6f1c2d3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f")


class ContractViolationError(AssertionError):
    """An event we produce does not match its schema: a bug, so the process stops."""


@dataclass(frozen=True)
class Event(Generic[M]):
    """One CloudEvent with typed data."""

    type: str
    data: M
    source: str
    id: str
    subject: str | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: int = 1


@dataclass(frozen=True)
class Outgoing:
    """An event to produce, the topic it goes to and its key (the document id)."""

    topic: str
    key: str
    event: Event[Any]


def stable_id(*parts: object) -> str:
    """Deterministic event id, so a redelivered step emits the same id again."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def id_in(data: Any, name: str) -> uuid.UUID | None:
    """The id an event's data carries as `name` (a UUID, or a string in a few: dead letters);
    None when it carries none, or one that is not a UUID."""
    value = getattr(data, name, None)
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def new_event(
    event_type: str,
    data: M,
    *,
    source: str,
    subject: str | None = None,
    event_id: str | None = None,
) -> Event[M]:
    """Wrap typed data in an envelope; `event_id` defaults to a random UUID."""
    return Event(
        type=event_type,
        data=data,
        source=f"/docroute/{source}",
        id=event_id or str(uuid.uuid4()),
        subject=subject,
        version=version_for(event_type, data),
    )


def version_for(event_type: str, data: BaseModel) -> int:
    """The oldest schema version that carries every field `data` sets (not None), with the
    values it sets where that version lists the values a field may take.

    The models are generated from the newest version; an event that sets no field (and no
    value of a field) a newer version added goes out as the older version, byte for byte what it
    was, so a consumer that knows only that version keeps reading it during a rolling update.
    One that sets a newer field (a part's page range, a workflow's splitting) or value
    (`splitting: auto`) needs a consumer that knows the newer version (`schemas/README.md`,
    Versioning). Enums are compared on top-level fields: `encode` still validates the whole
    event against the version chosen.
    """
    values = {name: value for name, value in data if value is not None}
    versions = _properties(event_type)
    for version, properties in versions:
        enums = _enums(event_type, version)
        if set(values) <= properties and all(
            _plain(values[name]) in allowed for name, allowed in enums.items() if name in values
        ):
            return version
    return versions[-1][0]


@cache
def _properties(event_type: str) -> list[tuple[int, frozenset[str]]]:
    """(version, the data fields its schema has), oldest first."""
    found = [
        (v, frozenset(s.get("properties", {}))) for (t, v), s in load_schemas().items() if t == event_type
    ]
    return sorted(found)


@cache
def _enums(event_type: str, version: int) -> dict[str, frozenset[object]]:
    """The values each top-level field of that version may take, where its schema lists them."""
    properties = load_schemas()[(event_type, version)].get("properties", {})
    return {name: frozenset(spec["enum"]) for name, spec in properties.items() if "enum" in spec}


def _plain(value: object) -> object:
    """A field's value as its JSON has it (a str enum member as its string)."""
    return value.value if isinstance(value, Enum) else value


def emit(
    topic: str,
    event_type: str,
    data: BaseModel,
    *,
    source: str,
    key: str,
    step: str | None,
    about: Sequence[object] | None = None,
    subject: str | None = None,
) -> Outgoing:
    """The event a step emits, ready for the bus: the one home of the idempotency rule.

    The rule: an event's id is derived from the step that made it and what that step acted on,
    `stable_id(step, *about)` (`about` defaults to the key, the document id), never from time
    or chance. A redelivered input replays the same step on the same thing and so emits the
    same id again, and consumers drop the duplicate by id. Put into `about` everything that
    makes two emissions different facts (the model version that classified, the label given).
    `step=None` is for an event that begins a new fact and replays nothing (a person's request
    at the API): it gets a fresh random id. `subject` defaults to the key.
    """
    event_id = stable_id(step, *(about if about is not None else (key,))) if step else None
    event = new_event(event_type, data, source=source, subject=subject or key, event_id=event_id)
    return Outgoing(topic, key, event)


def encode(event: Event[Any]) -> bytes:
    """Serialise and validate an outbound event."""
    envelope = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": event.time.isoformat(),
        "subject": event.subject,
        "dataschema": schema_urn(event.type, event.version),
        "datacontenttype": "application/json",
        "data": _dump(event),
    }
    errors = _errors(envelope)
    if errors:
        raise ContractViolationError(f"outbound {event.type} violates its schema: {errors}")
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def decode(raw: bytes | str) -> Event[Any]:
    """Parse and validate an inbound event; raises InvalidEventError with the reason."""
    try:
        envelope = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEventError(f"message is not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise InvalidEventError("message is not a JSON object")
    errors = _errors(envelope)
    if errors:
        raise InvalidEventError(f"{envelope.get('type', 'message')} violates its schema: {errors}")
    model = EVENT_MODELS[envelope["type"]]
    try:
        data = model.model_validate(envelope["data"])
    except ValidationError as exc:
        raise InvalidEventError(f"{envelope['type']} data: {exc}") from exc
    try:
        # RFC 3339 allows what Python does not read (a leap second, a lower-case `t`): bad input too.
        emitted = datetime.fromisoformat(envelope["time"])
    except ValueError as exc:
        raise InvalidEventError(f"{envelope['type']} time: {exc}") from exc
    return Event(
        type=envelope["type"],
        data=data,
        source=envelope["source"],
        id=envelope["id"],
        subject=envelope.get("subject"),
        time=emitted,
        version=int(envelope["dataschema"].rsplit(":v", 1)[-1]),
    )


def data_as_sent(event: Event[Any]) -> dict[str, Any]:
    """The event's `data` as `encode` puts it on the wire (its version's fields, unset optional
    ones absent): what a webhook delivers, so its receivers read what a consumer reads."""
    return _dump(event)


def _dump(event: Event[Any]) -> dict[str, Any]:
    """The event's data as its version's schema has it: fields of newer versions left out, and
    an unset field left out unless its schema says null (an optional field that is not
    nullable, such as `document.superseded` v2's `stack_id`, is absent, not null)."""
    data: dict[str, Any] = event.data.model_dump(mode="json", exclude_none=False)
    properties = dict(_properties(event.type)).get(event.version)
    if properties is None:
        return data
    nullable = _nullable(event.type, event.version)
    return {name: value for name, value in data.items() if value is not None or name in nullable}


@cache
def _nullable(event_type: str, version: int) -> frozenset[str]:
    """The top-level fields of that version whose schema allows null."""
    properties = load_schemas()[(event_type, version)].get("properties", {})
    return frozenset(name for name, spec in properties.items() if _allows_null(spec))


def _allows_null(spec: dict[str, Any]) -> bool:
    kinds = spec.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(_allows_null(option) for option in spec.get("anyOf", []) + spec.get("oneOf", []))


def _errors(envelope: dict[str, Any]) -> str | None:
    """Schema errors of an envelope and its data, joined; None when valid."""
    envelope_validator = _validator("envelope", 1)
    if not envelope_validator.is_valid(envelope):
        return _described(envelope_validator, envelope)
    event_type = envelope["type"]
    try:
        version = int(envelope["dataschema"].rsplit(":v", 1)[-1])
        validator = _validator(event_type, version)
    except (KeyError, ValueError):
        return f"unknown event type/version {event_type} {envelope['dataschema']}"
    if validator.is_valid(envelope["data"]):
        return None
    return _described(validator, envelope["data"])


def _described(validator: jsonschema_rs.Draft202012Validator, instance: Any) -> str:
    """The first five errors, each with where it is; only asked for when the instance is invalid."""
    return "; ".join(_describe(e) for e in islice(validator.iter_errors(instance), 5))


def _describe(error: jsonschema_rs.ValidationError) -> str:
    path = "/".join(str(p) for p in error.instance_path) or "(root)"
    return f"{path}: {error.message[:300]}"


@cache
def _validator(event_type: str, version: int) -> jsonschema_rs.Draft202012Validator:
    """One compiled validator per schema, formats checked (uuid, date-time).

    Compiled (jsonschema-rs) rather than interpreted (jsonschema): every event is validated when
    it is produced and again by each consumer, and the interpreted validator took 0.6-0.9 ms an
    event (bench/README, pipeline.py CPU per page) against about 10 us. It also checks
    `date-time`, which jsonschema's FormatChecker skips without the optional rfc3339-validator.
    """
    schema = load_schemas()[(event_type, version)]
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
