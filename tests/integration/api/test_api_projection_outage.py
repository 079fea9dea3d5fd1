"""The projection outlives its broker: a broker that hangs (SIGSTOP) or dies and comes back.

Each test runs a Tansu of its own (the session's broker serves every other test) and an API
whose projection reads from it, in a consumer group of its own. Documents are the four events
the services send (tests/factories/pipeline_events.py).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docroute.blobstore import BlobStore
from docroute.errors import BrokerUnavailableError
from docroute.kafka import EventProducer, provision_topics
from docroute.processes import HOST, ManagedProcess, start_broker
from docroute.settings import KafkaSettings, ServiceSettings
from tests.factories.pipeline_events import FakeDocument
from tests.fixtures.polling import wait_until

PROBABILITIES = {"invoice": 0.93, "payslip": 0.07}
# The promise: everything routed during an outage is visible this soon after it ends.
VISIBLE_WITHIN_S = 30.0


@pytest.fixture
def own_broker(run_dir: Path) -> Iterator[ManagedProcess]:
    broker = start_broker(run_dir / "logs" / f"outage-{uuid.uuid4().hex[:6]}")
    yield broker
    if broker.running():
        broker.process.send_signal(signal.SIGCONT)  # a failed test may leave it stopped
    broker.stop()


def kafka_of(broker: ManagedProcess) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=f"{HOST}:{broker.port}", partitions=2)


@pytest.fixture
def projected_api(own_broker: ManagedProcess, serve_api: Callable[..., Any]) -> Iterator[httpx.Client]:
    """An API with its projection on `own_broker`, ready."""
    provision_topics(kafka_of(own_broker))
    group = f"docroute-api-outage-{uuid.uuid4().hex[:8]}"
    with serve_api(projection_enabled=True, kafka=kafka_of(own_broker), consumer_group=group) as api:
        wait_until(lambda: api.get("/readyz").status_code == 200, timeout_s=60, what="API ready")
        yield api


def processed(store: BlobStore, n: int) -> list[FakeDocument]:
    workflow_id = str(uuid.uuid4())
    return [
        FakeDocument.store(store, workflow_id, f"%PDF-1.4 outage {uuid.uuid4()}".encode(), text="INVOICE")
        for _ in range(n)
    ]


def routed(api: httpx.Client, docs: list[FakeDocument]) -> bool:
    for doc in docs:
        response = api.get(f"/documents/{doc.document_id}")
        if response.status_code != 200 or response.json()["status"] != "routed":
            return False
    return True


def send_until_acknowledged(producer: EventProducer, docs: list[FakeDocument]) -> None:
    """What a service does while the broker hangs: retry each document's events until acknowledged
    (a resend after a timeout may duplicate them; the projection is idempotent)."""
    for doc in docs:
        while True:
            try:
                doc.send_processed(producer, PROBABILITIES, route="extract")
                break
            except BrokerUnavailableError:
                continue


def projection_state(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/healthz")
    assert response.status_code == 200, response.text  # alive throughout: never dies
    return dict(response.json()["projection"])


def test_a_hung_broker_is_noticed_and_everything_sent_meanwhile_shows_after_it_returns(
    own_broker: ManagedProcess, projected_api: httpx.Client, blobstore: BlobStore
) -> None:
    api, producer = projected_api, EventProducer(kafka_of(own_broker))
    try:
        before = processed(blobstore, 3)
        for doc in before:
            doc.send_processed(producer, PROBABILITIES, route="extract")
        wait_until(lambda: routed(api, before), timeout_s=30, what="documents before the outage")

        own_broker.process.send_signal(signal.SIGSTOP)  # connections hang, nothing is refused
        wait_until(
            lambda: projection_state(api)["state"] == "reconnecting",
            timeout_s=30,
            what="projection says it is reconnecting",
        )
        # Sent while the broker hangs: they reach it once it runs again.
        during = processed(blobstore, 5)
        sender = threading.Thread(target=send_until_acknowledged, args=(producer, during), daemon=True)
        sender.start()
        # The outage lasts until the projection has failed to reconnect once more, at least.
        wait_until(lambda: projection_state(api)["reconnects"] >= 2, timeout_s=60, what="retried")
        own_broker.process.send_signal(signal.SIGCONT)
        returned = time.monotonic()

        after = processed(blobstore, 5)
        for doc in after:
            doc.send_processed(producer, PROBABILITIES, route="extract")
        sender.join(60)
        wait_until(
            lambda: routed(api, during + after), timeout_s=VISIBLE_WITHIN_S, what="documents of the outage"
        )
        assert time.monotonic() - returned < VISIBLE_WITHIN_S
        health = projection_state(api)
        assert health["reconnects"] >= 1
        assert health["last_error"]
        wait_until(lambda: projection_state(api)["state"] == "current", timeout_s=30, what="current again")
    finally:
        producer.close()


def test_a_broker_killed_and_started_again_is_reconnected_to(
    own_broker: ManagedProcess, projected_api: httpx.Client, blobstore: BlobStore, run_dir: Path
) -> None:
    api, port = projected_api, own_broker.port
    own_broker.process.kill()  # connections refused, then a new broker (empty: in memory)
    own_broker.process.wait(10)
    wait_until(
        lambda: projection_state(api)["state"] == "reconnecting",
        timeout_s=30,
        what="projection says it is reconnecting",
    )
    replacement = start_broker(run_dir / "logs" / f"outage-again-{uuid.uuid4().hex[:6]}", port=port)
    try:
        returned = time.monotonic()
        provision_topics(kafka_of(replacement))
        producer = EventProducer(kafka_of(replacement))
        after = processed(blobstore, 5)
        for doc in after:
            doc.send_processed(producer, PROBABILITIES, route="extract")
        producer.close()
        wait_until(lambda: routed(api, after), timeout_s=VISIBLE_WITHIN_S, what="documents after return")
        assert time.monotonic() - returned < VISIBLE_WITHIN_S
        assert projection_state(api)["reconnects"] >= 1
    finally:
        replacement.stop()


def test_a_durable_broker_restarted_keeps_the_projection_going(
    serve_api: Callable[..., Any],
    blobstore: BlobStore,
    run_dir: Path,
    s3_endpoint: str,
    settings: ServiceSettings,
) -> None:
    """Tansu on S3 storage, stopped (SIGTERM) and started again on the same storage and port."""
    bucket = f"tansu-{uuid.uuid4().hex[:8]}"
    BlobStore(settings.s3.model_copy(update={"bucket": bucket})).ensure_bucket()
    logs = run_dir / "logs" / f"durable-{bucket}"
    broker = start_broker(logs, s3_endpoint=s3_endpoint, bucket=bucket)
    port, kafka = broker.port, kafka_of(broker)
    provision_topics(kafka)
    group = f"docroute-api-durable-{uuid.uuid4().hex[:8]}"
    try:
        with serve_api(projection_enabled=True, kafka=kafka, consumer_group=group) as api:
            wait_until(lambda: api.get("/readyz").status_code == 200, timeout_s=60, what="API ready")
            producer = EventProducer(kafka)
            before = processed(blobstore, 3)
            for doc in before:
                doc.send_processed(producer, PROBABILITIES, route="extract")
            producer.close()
            wait_until(lambda: routed(api, before), timeout_s=30, what="documents before the restart")

            broker.stop()
            wait_until(lambda: projection_state(api)["state"] == "reconnecting", timeout_s=30, what="noticed")
            broker = start_broker(logs, port=port, s3_endpoint=s3_endpoint, bucket=bucket)
            returned = time.monotonic()
            producer = EventProducer(kafka)
            after = processed(blobstore, 5)
            for doc in after:
                send_until_acknowledged(producer, [doc])
            producer.close()
            wait_until(
                lambda: routed(api, after), timeout_s=VISIBLE_WITHIN_S, what="documents after the restart"
            )
            assert time.monotonic() - returned < VISIBLE_WITHIN_S
            assert routed(api, before)  # nothing the database held was lost or rewound
    finally:
        broker.stop()
