"""Tansu on the local S3 server: a consumer that reads while several producers write one partition
reads every acknowledged record. Two produces take offsets N and N+1 one after the other, but
their batches can be stored the other way round; a fetch in between that saw N+1 and not N
moved the reader past N for good (a mail lost between two gateways and ingest, in CI)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from docroute.blobstore import BlobStore
from docroute.processes import HOST, start_broker
from docroute.settings import ServiceSettings
from tests.fixtures.polling import wait_until

PRODUCERS = 8
RECORDS_EACH = 40
ROUNDS = 3


def test_a_reader_beside_concurrent_producers_misses_no_record(
    s3_endpoint: str, run_dir: Path, settings: ServiceSettings
) -> None:
    bucket = f"tansu-{uuid.uuid4().hex[:8]}"
    BlobStore(settings.s3.model_copy(update={"bucket": bucket})).ensure_bucket()
    broker = start_broker(run_dir / "logs" / f"race-{bucket}", s3_endpoint=s3_endpoint, bucket=bucket)
    bootstrap = f"{HOST}:{broker.port}"
    try:
        # The race is a matter of timing: a few rounds make a skipped batch likely where it can happen.
        for _ in range(ROUNDS):
            acknowledged, read = _write_while_reading(bootstrap, f"race-{uuid.uuid4().hex[:6]}")
            assert len(acknowledged) == PRODUCERS * RECORDS_EACH
            assert read == acknowledged
    finally:
        broker.stop()


def _write_while_reading(bootstrap: str, topic: str) -> tuple[set[bytes], set[bytes]]:
    """Records acknowledged to the producers, and those a reader polling all the while read."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    partition = TopicPartition(topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    acknowledged: set[bytes] = set()
    read: set[bytes] = set()

    def write(writer: int) -> None:
        producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, enable_idempotence=False)
        for i in range(RECORDS_EACH):
            value = f"{writer}-{i}".encode()
            producer.send(topic, partition=0, value=value).get(30)
            acknowledged.add(value)
        producer.close()

    def poll(timeout_ms: int) -> set[bytes]:
        for records in consumer.poll(timeout_ms=timeout_ms).values():
            read.update(record.value for record in records)
        return read

    writers = [threading.Thread(target=write, args=(w,)) for w in range(PRODUCERS)]
    for thread in writers:
        thread.start()
    while any(thread.is_alive() for thread in writers):  # reading while they write: when it skipped
        poll(50)
    try:
        wait_until(lambda: acknowledged <= poll(200), timeout_s=30, what="every record read")
    finally:
        consumer.close()
    return acknowledged, read
