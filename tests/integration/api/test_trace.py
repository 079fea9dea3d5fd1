"""`docroute trace`: the positions the projection recorded, then exactly those records.

Against the session's broker (whose topics hold every other test's events too) and the API with
its projection. The cost is asserted in records read, not in seconds.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from docroute.blobstore import BlobStore
from docroute.kafka import EventProducer, provision_topics
from docroute.processes import HOST, start_broker
from docroute.settings import KafkaSettings, ServiceSettings
from docroute.trace import read_positions, recorded_positions, scan
from tests.factories.pipeline_events import FakeDocument
from tests.fixtures.polling import wait_until

STAGES = ["document.received", "document.text_extracted", "document.classified", "document.routed"]
OTHERS = 150  # documents (600 events) sent around the traced one


def processed_among_many(api: httpx.Client, producer: EventProducer, store: BlobStore) -> str:
    """A routed document whose four events lie among many others'; its id."""
    workflow_id = str(uuid.uuid4())
    others = [FakeDocument.store(store, workflow_id, b"%PDF-1.4 other", text="OTHER") for _ in range(2)]
    target = FakeDocument.store(store, workflow_id, b"%PDF-1.4 traced", text="INVOICE")
    for i in range(OTHERS):
        if i == OTHERS // 2:
            target.send_processed(producer, {"invoice": 0.9, "payslip": 0.1}, route="extract")
        others[i % 2].send_processed(producer, {"invoice": 0.5, "payslip": 0.5}, route="review")
    wait_for_positions(api, target.document_id)
    return target.document_id


def wait_for_positions(api: httpx.Client, document_id: str) -> None:
    """Until the projection recorded the document's four events; says how it fares if not."""
    try:
        wait_until(lambda: len(api.get(f"/documents/{document_id}/events").json()) == 4, timeout_s=60)
    except TimeoutError as exc:
        events, document = api.get(f"/documents/{document_id}/events"), api.get(f"/documents/{document_id}")
        raise TimeoutError(
            f"positions: {events.status_code} {events.text[:1000]}; document: {document.status_code}; "
            f"projection: {api.get('/readyz').json()}"
        ) from exc


def test_trace_reads_only_the_documents_records(
    api: httpx.Client,
    producer: EventProducer,
    blobstore: BlobStore,
    settings: ServiceSettings,
    admin_api_key: str,
) -> None:
    document_id = processed_among_many(api, producer, blobstore)

    positions = recorded_positions(str(api.base_url), admin_api_key, document_id)
    found = read_positions(settings.kafka, document_id, positions)

    assert [hop.event.type for hop in found.hops] == STAGES
    assert all(str(hop.event.data.document_id) == document_id for hop in found.hops)
    assert (found.method, found.records_read, found.stale) == ("positions", 4, 0)
    # Positions that hold another document's records (a replaced log) are not taken for its hops.
    elsewhere = read_positions(settings.kafka, str(uuid.uuid4()), positions)
    assert (elsewhere.hops, elsewhere.stale) == ([], 4)
    # Without positions: a scan that finds the same hops but reads the other documents too.
    scanned = scan(settings.kafka, document_id)
    assert [hop.event.type for hop in scanned.hops] == STAGES
    assert scanned.records_read > 4 * OTHERS


def test_trace_positions_need_a_key_that_may_see_the_document(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore, keyed_client
) -> None:
    doc = FakeDocument.store(blobstore, str(uuid.uuid4()), b"%PDF-1.4 scoped", text="INVOICE")
    doc.send_processed(producer, {"invoice": 0.9, "payslip": 0.1}, route="extract")
    wait_for_positions(api, doc.document_id)
    assert keyed_client(None).get(f"/documents/{doc.document_id}/events").status_code == 401
    assert api.get(f"/documents/{uuid.uuid4()}/events").status_code == 404


def test_trace_says_when_the_broker_does_not_answer_and_shows_the_recorded_positions(
    api: httpx.Client,
    producer: EventProducer,
    blobstore: BlobStore,
    admin_api_key: str,
    run_dir: Path,
    service_env: dict[str, str],
) -> None:
    doc = FakeDocument.store(blobstore, str(uuid.uuid4()), b"%PDF-1.4 hung", text="INVOICE")
    doc.send_processed(producer, {"invoice": 0.9, "payslip": 0.1}, route="extract")
    wait_for_positions(api, doc.document_id)
    hung = start_broker(run_dir / "logs" / f"trace-hung-{uuid.uuid4().hex[:6]}")
    try:
        provision_topics(KafkaSettings(bootstrap_servers=f"{HOST}:{hung.port}"))
        hung.process.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
        env = {
            **service_env,
            "DOCROUTE_KAFKA__BOOTSTRAP_SERVERS": f"{HOST}:{hung.port}",
            "DOCROUTE_ADMIN_API_KEY": admin_api_key,
        }
        argv = [
            sys.executable,
            "-m",
            "docroute.cli",
            "trace",
            doc.document_id,
            "--api-url",
            str(api.base_url),
        ]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    finally:
        hung.process.send_signal(signal.SIGCONT)
        hung.stop()
    assert done.returncode == 2, done.stderr
    assert f"the broker at {HOST}:{hung.port} did not answer" in done.stderr
    lines = [line for line in done.stdout.splitlines() if not line.startswith("{")]  # not log lines
    assert [line.split()[2] for line in lines] == STAGES
    assert all(line.endswith("(as the API recorded it)") for line in lines)
