"""SIGTERM during OCR: a message that ends within the grace period is finished and committed
(nothing lost, nothing done twice); one that does not is given up uncommitted and redelivered,
and the service exits within its grace period either way, even with the broker gone."""

from __future__ import annotations

import random
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from docroute import topics
from docroute.kafka import provision_topics
from docroute.processes import HOST, ManagedProcess, free_port, start_broker, start_service
from docroute.settings import KafkaSettings
from tests.factories.documents import document_lines, make_scanned_tiff
from tests.factories.workflows import send_workflow, workflow_settings
from tests.fixtures.infra import wait_until_ready
from tests.fixtures.polling import wait_until
from tests.integration.services.test_ocr_service import _submit

PADDLE = '["paddle"]'
# Shorter than two PaddleOCR pages take (7-10 CPU-s each).
SHORT_GRACE_S = 6.0
# Paddle reads the two-page scan in ~16 s on a quiet core and five times that on a saturated one
# (a CI run beside other work gave it up past the default 45 s grace): a grace it fits in.
LONG_GRACE_S = 240.0


def _in_flight(service: ManagedProcess) -> float:
    """`docroute_messages_in_flight` from the service's /metrics (0 when not yet reported)."""
    try:
        text = httpx.get(f"http://{HOST}:{service.port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return 0.0
    for family in text_string_to_metric_families(text):
        if family.name == "docroute_messages_in_flight":
            return sum(sample.value for sample in family.samples)
    return 0.0


def _two_page_scan(seed: int) -> bytes:
    rng = random.Random(seed)
    return make_scanned_tiff([document_lines("invoice", rng), document_lines("payslip", rng)])


def _extracted(reader, document_id: str) -> list:
    return reader.matching(lambda t, e: t == topics.DOCUMENT_TEXT_EXTRACTED and e.subject == document_id)


def test_stop_during_ocr_finishes_and_commits(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    workflow_id = send_workflow(producer, workflow_settings(labels=["a", "b"], ocr_engine="paddle"))
    ocr = start_docroute_service(
        "ocr", DOCROUTE_WARM_ENGINES=PADDLE, DOCROUTE_SHUTDOWN_GRACE_S=str(LONG_GRACE_S)
    )
    reader = topic_reader_factory(r"^document\.text-extracted$")
    document_id = _submit(producer, blobstore, workflow_id, _two_page_scan(9), "image/tiff", pages=2)
    wait_until(lambda: _in_flight(ocr) == 1, 90, "OCR never took the document")

    ocr.terminate()
    _, event = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=LONG_GRACE_S)
    assert event.data.pages_used == [0, 1]
    assert ocr.process.wait(60) == 0

    again = start_docroute_service("ocr", DOCROUTE_WARM_ENGINES=PADDLE)
    marker = _submit(producer, blobstore, workflow_id, make_scanned_tiff([["Marker page"]]), "image/tiff")
    reader.wait_for(lambda t, e: e.subject == marker, timeout_s=90)
    assert len(_extracted(reader, document_id)) == 1
    again.stop()  # the next test starts its own, with other settings


def test_stop_during_long_ocr_gives_it_up_within_grace_and_it_is_redelivered(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    workflow_id = send_workflow(producer, workflow_settings(labels=["a", "b"], ocr_engine="paddle"))
    ocr = start_docroute_service(
        "ocr", DOCROUTE_WARM_ENGINES=PADDLE, DOCROUTE_SHUTDOWN_GRACE_S=str(SHORT_GRACE_S)
    )
    reader = topic_reader_factory(r"^document\.text-extracted$")
    document_id = _submit(producer, blobstore, workflow_id, _two_page_scan(10), "image/tiff", pages=2)
    wait_until(lambda: _in_flight(ocr) == 1, 90, "OCR never took the document")

    signalled = time.monotonic()
    ocr.terminate()
    ocr.process.wait(SHORT_GRACE_S + 10)
    assert time.monotonic() - signalled < SHORT_GRACE_S + 5
    assert ocr.log_path is not None and "gave up 1 message(s)" in ocr.log_path.read_text()
    assert _extracted(reader, document_id) == []

    start_docroute_service("ocr", DOCROUTE_WARM_ENGINES=PADDLE)
    _, event = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=120)
    assert event.data.pages_used == [0, 1]
    marker = _submit(producer, blobstore, workflow_id, make_scanned_tiff([["Marker page"]]), "image/tiff")
    reader.wait_for(lambda t, e: e.subject == marker, timeout_s=90)
    assert len(_extracted(reader, document_id)) == 1


def test_stop_while_the_broker_is_gone_still_ends_within_grace(service_env, run_dir: Path, blobstore):
    logs = run_dir / "logs" / "broker-gone"
    broker = start_broker(logs)
    port = free_port()
    bootstrap = f"{HOST}:{broker.port}"
    provision_topics(KafkaSettings(bootstrap_servers=bootstrap, partitions=2))
    env = {
        **service_env,
        "DOCROUTE_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "DOCROUTE_HEALTH_PORT": str(port),
        "DOCROUTE_SHUTDOWN_GRACE_S": str(SHORT_GRACE_S),
    }
    router = start_service("router", env, logs, port=port)
    try:
        wait_until_ready(router, port, 120)
        broker.process.kill()
        broker.stop()
        signalled = time.monotonic()
        router.terminate()
        router.process.wait(SHORT_GRACE_S + 10)
        assert time.monotonic() - signalled < SHORT_GRACE_S + 5
    finally:
        router.stop()
        broker.stop()
