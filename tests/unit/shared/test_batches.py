"""docroute.batches: a batch's results settle as one message at a time would: in order, a bad
message dead-lettered alone, the rest retried from a transient failure on."""

from __future__ import annotations

import uuid

import pytest

from docroute.batches import Result, outcome, settle
from docroute.contracts._generated import TrainingRequested
from docroute.errors import BlobNotFoundError, PermanentError, StorageUnavailableError
from docroute.events import Outgoing, new_event


def _out(document_id: str) -> list[Outgoing]:
    """An event standing for a handler's output (its kind does not matter here)."""
    data = TrainingRequested(workflow_id=uuid.uuid4(), request_id=uuid.uuid4())
    return [Outgoing("training.requested", document_id, new_event("training.requested", data, source="test"))]


def test_each_message_keeps_its_own_outputs_in_order_and_a_bad_one_is_dead_lettered_alone() -> None:
    missing = BlobNotFoundError("ocr/m-2.json")
    results: list[Result] = [_out("d-0"), [], missing, _out("d-3"), _out("d-4")]
    settled = settle(["m-0", "m-1", "m-2", "m-3", "m-4"], results)
    assert [(m, list(out)) for m, out in settled.produced] == [
        ("m-0", results[0]),
        ("m-1", []),
        ("m-3", results[3]),
        ("m-4", results[4]),
    ]
    assert settled.dead == [("m-2", missing, missing)]
    assert settled.retried == [] and settled.transient is None


def test_a_bug_met_by_one_message_dead_letters_it_as_an_internal_error() -> None:
    bug = KeyError("probabilities")
    settled = settle(["m-0", "m-1"], [bug, _out("d-1")])
    [(message, error, raised)] = settled.dead
    assert (message, error.reason_code, raised) == ("m-0", "internal_error", bug)
    assert "KeyError('probabilities')" in str(error)
    assert [m for m, _ in settled.produced] == ["m-1"]


def test_a_transient_failure_retries_that_message_and_those_after_it_in_order() -> None:
    down = StorageUnavailableError("S3 answers 503")
    results: list[Result] = [_out("d-0"), PermanentError("bad", reason_code="x"), down, _out("d-3")]
    settled = settle(["m-0", "m-1", "m-2", "m-3"], results)
    # One at a time would have handled m-0 and m-1, then kept retrying m-2 before reaching m-3.
    assert [m for m, _ in settled.produced] == ["m-0"]
    assert [m for m, _, _ in settled.dead] == ["m-1"]
    assert settled.retried == ["m-2", "m-3"]
    assert settled.transient is down


def test_results_must_match_the_messages_one_for_one() -> None:
    with pytest.raises(ValueError, match="1 results for 2 messages"):
        settle(["m-0", "m-1"], [[]])


def test_outcome_is_the_value_or_the_error_raised() -> None:
    assert outcome(lambda: 42) == 42
    error = outcome(lambda: int("x"))
    assert isinstance(error, ValueError)
