"""The hot-folder door against the real broker and S3: a half-written file is published once it
is complete, a file still named `*.part` never, a refused one lands in failed/ with its reason,
a large one goes through the inbox, and a restart republishes the same mail (same id)."""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.gateway_folder import FolderGateway, Inbox
from docroute.kafka import EventProducer, client_options
from docroute.settings import ServiceSettings
from services.ingest.core import Inbox as IngestInbox
from services.ingest.core import mailroom_ref_reason
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.polling import wait_until


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _mails(settings: ServiceSettings, workflow_id: str) -> list[dict[str, Any]]:
    """Every mail of this workflow on mailroom.incoming (other tests put garbage there too)."""
    consumer = KafkaConsumer(**client_options(settings.kafka), group_id=None, enable_auto_commit=False)
    try:
        parts = [
            TopicPartition(topics.MAILROOM_INCOMING, p)
            for p in consumer.partitions_for_topic(topics.MAILROOM_INCOMING)
        ]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: list[dict[str, Any]] = []

        def at_end() -> bool:
            for records in consumer.poll(timeout_ms=300).values():
                for record in records:
                    try:
                        event = json.loads(record.value)
                    except ValueError:
                        continue
                    if (
                        isinstance(event, dict)
                        and (event.get("data") or {}).get("workflow_id") == workflow_id
                    ):
                        found.append({**event, "key": record.key.decode()})
            return all(consumer.position(tp) >= end for tp, end in ends.items())

        wait_until(at_end, 60, "did not read mailroom.incoming to its end", interval_s=0)
        return found
    finally:
        consumer.close()


def test_half_written_and_part_files_are_published_once_complete(
    tmp_path: Path, producer: EventProducer, settings: ServiceSettings
) -> None:
    workflow_id, clock = str(uuid.uuid4()), _Clock()
    gateway = FolderGateway(tmp_path, workflow_id, producer, settle_s=2.0, clock=clock)
    pdf = make_text_pdf(document_lines("invoice", random.Random(3)))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(pdf[: len(pdf) // 2])  # the scanner is still writing
    (tmp_path / "other.pdf.part").write_bytes(pdf)  # a writer that renames when done
    assert gateway.scan() == []  # first sight
    with scan.open("ab") as half:
        half.write(pdf[len(pdf) // 2 :])
    assert gateway.scan() == []  # it changed since
    assert gateway.scan() == []  # unchanged, but changed less than 2 s ago
    clock.now = time.time() + 3
    assert gateway.scan() == ["scan.pdf"]
    clock.now += 60
    assert gateway.scan() == []  # `.part` is never taken, however old
    (tmp_path / "other.pdf.part").rename(tmp_path / "other.pdf")
    assert gateway.scan() == [] and gateway.scan() == ["other.pdf"]

    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["other.pdf", "scan.pdf"]
    assert [p.name for p in tmp_path.iterdir()] == ["done"]
    mails = _mails(settings, workflow_id)
    assert sorted(m["data"]["attachments"][0]["filename"] for m in mails) == ["other.pdf", "scan.pdf"]
    for mail in mails:
        assert mail["key"] == mail["data"]["mail_id"] and mail["type"] == "mail.received"
        assert base64.b64decode(mail["data"]["attachments"][0]["content_base64"]) == pdf


def test_refused_large_and_restarted(
    tmp_path: Path, producer: EventProducer, settings: ServiceSettings, blobstore: BlobStore
) -> None:
    workflow_id, clock = str(uuid.uuid4()), _Clock()
    inbox = Inbox(blobstore, "inbox/")
    gateway = FolderGateway(tmp_path, workflow_id, producer, inbox, inline_limit=100, clock=clock)
    pdf = make_text_pdf(["A letter", "long enough to go by reference"])
    (tmp_path / "notes.txt").write_bytes(b"plain text is not a document")
    (tmp_path / "letter.pdf").write_bytes(pdf)
    clock.now += 10
    assert gateway.scan() == [] and sorted(gateway.scan()) == ["letter.pdf", "notes.txt"]
    reason = (tmp_path / "failed" / "notes.txt.reason.txt").read_text()
    assert reason.startswith("unsupported_type: ") and (tmp_path / "failed" / "notes.txt").exists()

    # A crash after publishing, before the move: after the restart the file is there again.
    (tmp_path / "letter.pdf").write_bytes(pdf)
    restarted = FolderGateway(tmp_path, workflow_id, producer, inbox, inline_limit=100, clock=clock)
    clock.now = time.time() + 10
    assert restarted.scan() == [] and restarted.scan() == ["letter.pdf"]
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["letter.1.pdf", "letter.pdf"]

    first, again = _mails(settings, workflow_id)  # the refused file was never published
    assert (first["id"], first["data"]) == (again["id"], again["data"])  # the same mail: one document
    ref = first["data"]["attachments"][0]["s3_ref"]
    assert blobstore.get(ref) == pdf
    ingest_inbox = IngestInbox.configured(None, "inbox/", True, blobstore.bucket)
    assert mailroom_ref_reason(ref, ingest_inbox, workflow_id) is None  # ingest will read it
