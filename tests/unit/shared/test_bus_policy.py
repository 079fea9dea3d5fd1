"""docroute.bus: one error policy for every route. A plain handler is a batch of one; a dead
letter the broker refused is sent on the retry and counted once; an output that breaks its
contract, or a failing after-produce hook, costs only what it must.

The broker's side is a recorder here (its failures are what is under test); the real broker's
side of the loop is covered by the services' integration tests and tests/e2e/test_faults.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY

from docroute.batches import Batched
from docroute.bus import Handler, Record, StreamService, _one_at_a_time
from docroute.contracts._generated import DocumentFailed, TrainingRequested
from docroute.errors import PermanentError
from docroute.events import Event, Outgoing, decode, encode, new_event
from docroute.settings import ServiceSettings


@dataclass
class _Message:
    """A consumed record as faust hands it to the bus."""

    value: bytes
    offset: int
    topic: str = "training.requested"
    partition: int = 0
    key: bytes = b"k"


def _message(offset: int) -> _Message:
    data = TrainingRequested(workflow_id=uuid.uuid4(), request_id=uuid.uuid4())
    return _Message(encode(new_event("training.requested", data, source="test")), offset)


def _echo(event: Event[Any]) -> list[Outgoing]:
    """A handler's output: the event again, on another topic."""
    return [Outgoing("model.published", "k", event)]


class _Broker:
    """Records what the bus produced; refuses the first `refusals` requests."""

    def __init__(self, refusals: int = 0) -> None:
        self.refusals = refusals
        self.sent: list[tuple[str, Event[Any]]] = []

    async def produce(self, records: Sequence[Record]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise KafkaConnectionError("broker unavailable")
        self.sent += [(item.topic, decode(value)) for item, value in records]


def _service(broker: _Broker, **kwargs: Any) -> StreamService:
    service = StreamService("trainer", ServiceSettings(), {}, **kwargs)
    service._produce = broker.produce  # type: ignore[method-assign]
    return service


def _run(service: StreamService, messages: list[_Message], handler: Handler) -> None:
    asyncio.run(service._process(list(messages), Batched(_one_at_a_time(handler), max_events=1)))


def _dead_lettered(reason_code: str) -> float:
    labels = {"service": "trainer", "reason_code": reason_code}
    return REGISTRY.get_sample_value("docroute_dead_lettered_total", labels) or 0.0


def test_a_dead_letter_the_broker_refused_is_sent_on_the_retry_and_counted_once() -> None:
    broker = _Broker(refusals=1)
    calls: list[str] = []

    def refuse(event: Event[Any]) -> list[Outgoing]:
        calls.append(event.id)
        raise PermanentError("no such workflow", reason_code="policy_test_refused")

    before = _dead_lettered("policy_test_refused")
    _run(_service(broker), [_message(7)], refuse)
    [(topic, failed)] = broker.sent
    assert topic == "document.dead-letter" and isinstance(failed.data, DocumentFailed)
    assert (failed.data.reason_code, failed.data.original.offset) == ("policy_test_refused", 7)
    assert len(calls) == 2 and calls[0] == calls[1]  # handled again after the refusal, same event
    assert _dead_lettered("policy_test_refused") - before == 1


def test_an_output_that_breaks_its_contract_dead_letters_that_message_alone() -> None:
    broker = _Broker()

    def breaks_first(event: Event[Any]) -> list[Outgoing]:
        if event.data.request_id == first_request:
            # A bug: an event whose data is not what its type's schema says.
            return [Outgoing("model.published", "k", new_event("model.published", event.data, source="test"))]
        return _echo(event)

    messages = [_message(0), _message(1)]
    first_request = decode(messages[0].value).data.request_id
    service = _service(broker)
    for message in messages:  # one at a time, as a plain handler's stream hands them over
        _run(service, [message], breaks_first)
    [(dead_topic, dead), (sent_topic, sent)] = broker.sent
    assert (dead_topic, dead.data.reason_code, dead.data.original.offset) == (
        "document.dead-letter",
        "internal_error",
        0,
    )
    assert "violates its schema" in dead.data.reason
    assert (sent_topic, sent.id) == ("model.published", decode(messages[1].value).id)


def test_a_failing_after_produce_hook_leaves_the_sent_message_done() -> None:
    broker = _Broker()

    def hook(event: Event[Any], out: Sequence[Outgoing]) -> None:
        raise RuntimeError("metrics backend gone")

    message = _message(3)
    _run(_service(broker, on_produced=hook), [message], _echo)
    assert broker.sent == [("model.published", decode(message.value))]  # sent once, no dead letter


def test_a_message_that_is_no_event_is_dead_lettered_with_an_excerpt_of_its_bytes() -> None:
    broker = _Broker()
    handled: list[Event[Any]] = []
    _run(_service(broker), [_Message(b"\xff not json", 4), _message(5)], lambda e: handled.append(e) or [])
    [(topic, dead)] = broker.sent
    assert topic == "document.dead-letter" and dead.data.original.excerpt.endswith("not json")
    assert dead.data.original.offset == 4 and dead.data.original.event_id is None
    assert [event.type for event in handled] == ["training.requested"]  # the good one still handled
