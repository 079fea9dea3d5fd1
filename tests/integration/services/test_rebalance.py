"""A second replica joins and leaves a running service's consumer group, as scaling on lag does
all day: the first keeps running, measures its lag on what it holds after each rebalance, and
keeps processing."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from docroute import topics
from docroute.processes import HOST, ManagedProcess, free_port, start_service
from tests.factories.documents import make_text_pdf
from tests.factories.workflows import send_workflow, workflow_settings
from tests.fixtures.infra import wait_until_ready
from tests.fixtures.polling import wait_until
from tests.integration.services.test_ocr_service import _submit

PARTITIONS = 2  # DOCROUTE_KAFKA__PARTITIONS of the test run


def _lag_partitions(service: ManagedProcess) -> set[str]:
    """Partitions of document.received whose lag `service` reports."""
    assert service.running(), f"{service.name} stopped; see {service.log_path}"
    text = httpx.get(f"http://{HOST}:{service.port}/metrics", timeout=5).text
    return {
        sample.labels["partition"]
        for family in text_string_to_metric_families(text)
        if family.name == "docroute_consumer_lag_messages"
        for sample in family.samples
        if sample.labels["topic"] == topics.DOCUMENT_RECEIVED
    }


def _replica(service_env: dict[str, str], run_dir: Path) -> ManagedProcess:
    """A second OCR process; `service_env` holds the module's consumer groups."""
    port = free_port()
    env = {**service_env, "DOCROUTE_HEALTH_PORT": str(port)}
    replica = start_service("ocr", env, run_dir / "logs" / "replica", port=port)
    wait_until_ready(replica, port, 120)
    return replica


def test_replica_joining_and_leaving_leaves_the_first_running(
    start_docroute_service, service_env, module_group_env, run_dir, producer, blobstore, topic_reader_factory
):
    workflow_id = send_workflow(producer, workflow_settings(labels=["a", "b"]))
    first = start_docroute_service("ocr")
    reader = topic_reader_factory(r"^document\.text-extracted$")
    wait_until(lambda: len(_lag_partitions(first)) == PARTITIONS, 60, "first never measured its lag")

    for leave in ("terminate", "kill"):  # a clean leave, then a member that vanishes
        replica = _replica({**service_env, **module_group_env}, run_dir)
        try:
            wait_until(lambda: len(_lag_partitions(first)) < PARTITIONS, 60, "no partition moved")
        finally:
            getattr(replica.process, leave)()
            replica.stop()
        wait_until(lambda: len(_lag_partitions(first)) == PARTITIONS, 90, "partitions never came back")
        assert first.running()

    pdf = make_text_pdf(["After the rebalances", "still processing"])
    document_id = _submit(producer, blobstore, workflow_id, pdf, "application/pdf")
    reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=90)
    assert first.running()
