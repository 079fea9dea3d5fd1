"""The pipeline resumes after faults, nothing lost or doubled: text PDFs stream through the
mailroom while each service in turn is killed with SIGKILL and started again, then the broker
(restarted on the same durable storage: Tansu's log in the local S3 server).

The run has its own S3 server, broker and database (`bench/_stack.py`): it restarts the broker,
which the session's must not see. The same run at 1,000 documents: `bench/faults.py`.
"""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench._corpus import text_docs, training_samples
from bench._faults import (
    MailStream,
    RoutedLog,
    api_statuses,
    expected_statuses,
    stream_with_faults,
    trained_workflow,
)
from bench._stack import SERVICES, Stack
from tests.fixtures.auth import bearer
from tests.fixtures.polling import wait_until

pytestmark = pytest.mark.slow

DOCUMENTS = 40


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("faults")), durable_broker=True)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def test_every_document_routed_once_through_kills_and_a_broker_restart(stack: Stack) -> None:
    rng = random.Random(12)
    with httpx.Client(base_url=stack.api_url, headers=bearer(stack.admin_api_key), timeout=60) as api:
        probe, *_ = text_docs(1, 1, rng, prefix="probe")
        key = trained_workflow(stack, api, training_samples(3, rng), probe)
        log = RoutedLog(stack.kafka)
        stream = MailStream(stack.kafka, key)
        try:
            run = stream_with_faults(stack, stream, text_docs(DOCUMENTS, 1, rng, "faults"), signal.SIGKILL)
            for name in SERVICES:
                stack.wait_ready(name, 240)
            log.wait_done(run.ids, 240)
            tally = log.snapshot()
        finally:
            stream.close()
            log.close()

        assert [target for target, _ in run.exits] == [*SERVICES, "broker"]
        assert len(set(run.ids)) == DOCUMENTS
        # Two gateways wrote the same partitions at once, before and after the broker restart:
        # on an S3 server without compare-and-swap, Tansu refuses some of those writes.
        assert stream.refused == {}
        assert tally.lost(run.ids) == []
        # One routing event per document; a copy of that same event (same id) may follow a kill
        # of the router between the broker's acknowledgement and its offset's commit.
        assert tally.doubled(run.ids) == []
        decisions = {i: {(r.topic, r.document_class) for r in tally.routed.get(i, [])} for i in run.ids}
        assert all(len(d) <= 1 for d in decisions.values())
        # Valid text PDFs: a kill is no reason to dead-letter one.
        assert tally.dead_letter_reasons(run.ids) == {}, tally.dead_letter_reasons(run.ids)

        # The API (itself killed, and cut off by the broker restart) reports each decision.
        expected = expected_statuses(tally, run.ids)
        assert len(expected) == DOCUMENTS

        def reported() -> bool:
            return api_statuses(api, run.ids) == expected

        try:
            wait_until(reported, 60, "the API reports every decision")
        except TimeoutError:
            reported_now = api_statuses(api, run.ids)
            wrong = {i: (reported_now[i], expected[i]) for i in run.ids if reported_now[i] != expected[i]}
            pytest.fail(f"{len(wrong)} documents reported otherwise than routed (API, topics): {wrong}")
