"""Several messages of a stream handed to one handler call: what a batch's results mean.

A handler that works cheaper on several events at once (one S3 round trip after another done in
parallel, one embedding call for many texts) is a `BatchHandler`: it takes the events the stream
had ready and returns one result per event, in their order: the events to emit, or the error
that event alone raised. `settle` turns those results into what the bus does, as it would one
message at a time: the messages before the first transient failure are done (produced, or
dead-lettered alone when their error is permanent); that message and those after it are tried
again after a back-off, in order, exactly as a one-at-a-time loop would not have reached them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiokafka.errors import KafkaError

from docroute.errors import PermanentError, TransientError
from docroute.events import Event, Outgoing

M = TypeVar("M")
R = TypeVar("R")
Out = TypeVar("Out")  # what a message's outputs are at settling (the events, or them encoded)

# One result per event: the events it leads to, or the error that event raised.
Result = Sequence[Outgoing] | Exception
BatchHandler = Callable[[Sequence[Event[Any]]], Sequence[Result]]
# Most events a batch handler gets at once (the stream reads that many ahead per lane).
DEFAULT_MAX_EVENTS = 16


@dataclass(frozen=True)
class Batched:
    """A route whose handler takes the events ready at once (`docroute.bus.StreamService`).

    Usage::

        StreamService("classify", settings, {topic: Batched(handler.on_texts_extracted)})
    """

    handle: BatchHandler
    max_events: int = DEFAULT_MAX_EVENTS


@dataclass
class Settled(Generic[M, Out]):
    """What the bus does with a batch's messages; each list keeps the batch's order."""

    produced: list[tuple[M, Out]] = field(default_factory=list)
    dead: list[tuple[M, PermanentError, Exception]] = field(default_factory=list)  # error as raised too
    retried: list[M] = field(default_factory=list)
    transient: Exception | None = None  # the failure that stopped the batch, when one did


def settle(messages: Sequence[M], results: Sequence[Out | Exception]) -> Settled[M, Out]:
    """Sort a batch's messages by their results (one each, same order): see the module docstring.

    An error neither permanent nor transient is a bug met by that message alone: it is
    dead-lettered as `internal_error`, as the one-at-a-time loop does.
    """
    if len(messages) != len(results):
        raise ValueError(f"{len(results)} results for {len(messages)} messages")
    settled: Settled[M, Out] = Settled()
    for index, (message, result) in enumerate(zip(messages, results, strict=True)):
        if isinstance(result, TransientError | KafkaError):
            settled.transient = result
            settled.retried = list(messages[index:])
            break
        if isinstance(result, PermanentError):
            settled.dead.append((message, result, result))
        elif isinstance(result, Exception):
            internal = PermanentError(f"internal error: {result!r}"[:1000], reason_code="internal_error")
            settled.dead.append((message, internal, result))
        else:
            settled.produced.append((message, result))
    return settled


def outcome(fn: Callable[[], R]) -> R | Exception:
    """`fn()`, or the exception it raised: one item's failure kept as that item's result."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - handed on as the item's result; the bus decides
        return exc
