"""The development stack on its own: S3 with the bucket made, a durable broker with the topics
provisioned, the services' environment pointing at both, a broker started again as it was (same
port, same storage: a topic it was not told to provision is still there), and everything stopped
at the end."""

from __future__ import annotations

import signal
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.devstack import DevStack
from docroute.kafka import client_options
from docroute.settings import KafkaSettings


def _topics(settings: KafkaSettings, create: str | None = None) -> set[str]:
    admin = KafkaAdminClient(**client_options(settings), request_timeout_ms=15000)
    try:
        if create is not None:
            admin.create_topics([NewTopic(create, num_partitions=1, replication_factor=1)])
        return set(admin.list_topics())
    finally:
        admin.close()


def test_a_durable_stack_starts_provisions_restarts_and_stops(tmp_path: Path) -> None:
    stack = DevStack(tmp_path)
    try:
        s3 = stack.start_s3("devstack-test")
        kafka = stack.start_broker(KafkaSettings(partitions=2), durable=True)

        BlobStore(s3).put("probe", b"kept")
        assert BlobStore(s3).get("probe") == b"kept"
        assert {spec.name for spec in topics.PIPELINE_TOPICS} <= _topics(kafka)
        assert stack.env["DOCROUTE_S3__ENDPOINT_URL"] == str(s3.endpoint_url)
        assert stack.env["DOCROUTE_S3__BUCKET"] == "devstack-test"
        assert stack.env["DOCROUTE_KAFKA__BOOTSTRAP_SERVERS"] == kafka.bootstrap_servers
        assert stack.env["DOCROUTE_KAFKA__PARTITIONS"] == "2"

        assert "devstack.kept" in _topics(kafka, create="devstack.kept")  # provisioning skips it

        broker = stack.processes["broker"]
        broker.process.send_signal(signal.SIGTERM)
        broker.stop()
        again = stack.relaunch("broker")
        assert again.running() and again.port == broker.port
        assert stack.processes["broker"] is again
        assert {"devstack.kept", *(spec.name for spec in topics.PIPELINE_TOPICS)} <= _topics(kafka)
    finally:
        started = list(stack.processes.values())
        stack.stop()
    assert started and not any(process.running() for process in started)
    assert not stack.processes
