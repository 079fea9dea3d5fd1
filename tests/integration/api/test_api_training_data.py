"""Training data through the API with the real ingest and OCR services: batches of files and
zips (class folders label their members), progress, annotation, readiness, and the CLI."""

from __future__ import annotations

import argparse
import io
import random
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition
from rich.console import Console

from docroute import topics
from docroute.cli_samples import run as upload_dir
from docroute.events import decode
from docroute.kafka import client_options
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.polling import wait_until

LABELS = ["invoice", "payslip"]


@pytest.fixture(scope="module")
def pipeline(start_docroute_service: Any) -> None:
    for name in ("ingest", "ocr"):
        start_docroute_service(name)


def pdf(kind: str, rng: random.Random) -> bytes:
    return make_text_pdf(document_lines(kind, rng))


def class_folder_zip(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice/a.pdf", pdf("invoice", rng))
        archive.writestr("Invoice/b.pdf", pdf("invoice", rng))
        archive.writestr("payslip/c.pdf", pdf("payslip", rng))
        archive.writestr("misc/d.pdf", pdf("payslip", rng))  # not a label: unlabelled
        archive.writestr("payslip/broken.pdf", b"%PDF-1.4 not really")  # fails in OCR or ingest
    return buffer.getvalue()


def done(api: httpx.Client, url: str) -> Any:
    batch = api.get(url).json()
    return batch if batch["done"] else None


def sample_labelled_keys(settings: Any, sample_id: str) -> list[tuple[str, str | None]]:
    """(key, label) of every `sample.labelled` about this sample, in topic order."""
    consumer = KafkaConsumer(**client_options(settings.kafka), group_id=None, enable_auto_commit=False)
    partitions = [
        TopicPartition(topics.SAMPLE_LABELLED, p)
        for p in consumer.partitions_for_topic(topics.SAMPLE_LABELLED)
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends, found = consumer.end_offsets(partitions), []
    while any(consumer.position(p) < ends[p] for p in partitions):
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                event = decode(record.value)
                if str(event.data.sample_id) == sample_id:
                    found.append((record.key.decode(), event.data.label))
    consumer.close()
    return found


def test_a_batch_of_class_folders_labels_its_members(
    api: httpx.Client, pipeline: None, settings: Any
) -> None:
    rng = random.Random(3)
    key = api.post("/workflows", json={"name": "training data", "labels": LABELS}).json()["key"]
    files = [
        ("files", ("classes.zip", class_folder_zip(rng))),
        ("files", ("loose.pdf", pdf("invoice", rng))),
        ("files", ("notes.txt", b"just some text")),
    ]
    response = api.post(f"/workflows/{key}/batches", files=files)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert (accepted["files_total"], accepted["files_rejected"]) == (3, 1)
    assert accepted["rejected"][0]["reason_code"] == "unsupported_type"

    batch = wait_until(lambda: done(api, accepted["url"]), timeout_s=120, what="the batch to finish")
    assert batch["files_accepted"] == 2
    assert (batch["documents_ocred"], batch["documents_labelled"], batch["documents_unlabelled"]) == (5, 3, 2)
    [failure] = batch["failures"]
    assert (failure["filename"], failure["stage"]) == ("broken.pdf", "ingest")
    assert "payslip/broken.pdf" in failure["reason"]

    labelled = api.get(f"/workflows/{key}/samples", params={"state": "labelled"}).json()
    assert sorted((s["member_path"], s["label"]) for s in labelled) == [
        ("Invoice/b.pdf", "invoice"),
        ("invoice/a.pdf", "invoice"),
        ("payslip/c.pdf", "payslip"),
    ]
    unlabelled = api.get(f"/workflows/{key}/samples", params={"state": "unlabelled"}).json()
    assert sorted(s["filename"] for s in unlabelled) == ["d.pdf", "loose.pdf"]

    # Annotate: label, relabel, remove; each a sample.labelled keyed by the workflow.
    loose = next(s for s in unlabelled if s["filename"] == "loose.pdf")["sample_id"]
    labelled_now = api.put(f"/workflows/{key}/samples/{loose}/label", json={"label": "payslip"})
    assert labelled_now.status_code == 200 and labelled_now.json()["state"] == "labelled"
    assert labelled_now.json()["labelled_by"] == "admin"
    assert (
        api.put(f"/workflows/{key}/samples/{loose}/label", json={"label": "invoice"}).json()["label"]
        == "invoice"
    )
    assert api.put(f"/workflows/{key}/samples/{loose}/label", json={"label": "memo"}).status_code == 422
    assert api.delete(f"/workflows/{key}/samples/{loose}").status_code == 204
    assert [
        s["sample_id"] for s in api.get(f"/workflows/{key}/samples", params={"state": "removed"}).json()
    ] == [loose]
    assert wait_until(
        lambda: len(sample_labelled_keys(settings, loose)) == 3 and sample_labelled_keys(settings, loose)
    ) == [(key, "payslip"), (key, "invoice"), (key, None)]
    member = next(s for s in labelled if s["member_path"] == "payslip/c.pdf")["sample_id"]
    assert sample_labelled_keys(settings, member) == [(key, "payslip")]  # the projection's, by workflow too

    readiness = api.get(f"/workflows/{key}/readiness").json()
    assert [(c["label"], c["samples"], c["missing"]) for c in readiness["classes"]] == [
        ("invoice", 2, 23),
        ("payslip", 1, 24),
    ]
    assert (readiness["live_version"], readiness["samples_unlabelled"], readiness["ready"]) == (0, 1, False)
    assert readiness["advice"][:2] == [
        "add more invoice: 2 of 25 (23 more)",
        "add more payslip: 1 of 25 (24 more)",
    ]
    assert (
        api.get(f"/workflows/{key}/readiness", params={"hard": True}).json()["classes"][0]["recommended"]
        == 50
    )


def test_cli_uploads_a_folder_per_class_with_progress(
    api: httpx.Client, pipeline: None, admin_api_key: str, tmp_path: Path
) -> None:
    rng = random.Random(4)
    key = api.post("/workflows", json={"name": "cli upload", "labels": LABELS}).json()["key"]
    for label in LABELS:
        (tmp_path / label).mkdir()
        for i in range(3):
            (tmp_path / label / f"{label}-{i}.pdf").write_bytes(pdf(label, rng))
    (tmp_path / "unsorted.pdf").write_bytes(pdf("invoice", rng))
    args = argparse.Namespace(
        dir=tmp_path,
        workflow=key,
        api=str(api.base_url),
        api_key=admin_api_key,
        request_mib=0.001,
        timeout=120.0,
        no_wait=False,
    )  # one file per request
    output = io.StringIO()
    started = time.monotonic()
    assert upload_dir(args, Console(file=output, width=200)) == 0, output.getvalue()
    assert time.monotonic() - started < 120
    assert "7 of 7 files accepted, 7 documents read, 6 labelled, 1 unlabelled, 0 failed" in output.getvalue()
    labelled = api.get(f"/workflows/{key}/samples", params={"state": "labelled"}).json()
    assert sorted(s["filename"] for s in labelled if s["label"] == "payslip") == [
        "payslip-0.pdf",
        "payslip-1.pdf",
        "payslip-2.pdf",
    ]
    assert len({s["batch_id"] for s in labelled}) == 1  # seven requests, one batch
