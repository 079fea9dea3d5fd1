"""One workflow end to end, every service a real process on the real broker, S3 and database:
3 classes x 10 labelled samples (text PDFs and scans), training, then new documents through
both doors land on the right `extract.*` topic, and an ambiguous one in review."""

from __future__ import annotations

import base64
import io
import random
import uuid

import httpx
from PIL import Image

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import Outgoing, new_event
from tests.factories.documents import document_lines, make_scanned_image, make_text_pdf
from tests.fixtures.polling import wait_until
from tests.fixtures.training_set import holds_every_sample

CLASSES = {"invoice": "invoice", "payslip": "payslip", "rental-contract": "rental_contract"}
SAMPLES_PER_CLASS = 10
SCANS_PER_CLASS = 3


def test_documents_route_by_class_after_training(
    pipeline: httpx.Client, producer, topic_reader_factory, blobstore: BlobStore
):
    rng = random.Random(11)
    response = pipeline.post(
        "/workflows",
        json={
            "name": "mailroom e2e",
            "labels": list(CLASSES),
            "retrain_every": 1000,
            "document_spec": {"cropping": True, "character_set": "latin", "text_style": "printed"},
        },
    )
    assert response.status_code == 201, response.text
    key = response.json()["key"]

    sample_ids = []
    for label, kind in CLASSES.items():
        for i in range(SAMPLES_PER_CLASS):
            lines = document_lines(kind, rng)
            scanned = i < SCANS_PER_CLASS
            data = make_scanned_image(lines, background=i == 0) if scanned else make_text_pdf(lines)
            name = f"{kind}-{i}.{'png' if scanned else 'pdf'}"
            upload = pipeline.post(
                f"/workflows/{key}/samples", files={"file": (name, data)}, data={"label": label}
            )
            assert upload.status_code == 202, upload.text
            sample_ids.append(upload.json()["document_id"])

    def samples_extracted() -> bool:
        statuses = [pipeline.get(f"/documents/{d}").json()["status"] for d in sample_ids]
        assert "failed" not in statuses
        return all(s == "extracted" for s in statuses)

    wait_until(samples_extracted, 240, "samples were not all OCR'd")
    wait_until(holds_every_sample(blobstore, key, sample_ids), 60, "the trainer lacks some labels", 0.5)
    # The page OCR cut out of the photo (the first sample) is kept: the cropped view shows it,
    # the size its word boxes refer to; a PDF has none.
    photo, pdf = sample_ids[0], sample_ids[SCANS_PER_CLASS]
    page = pipeline.get(f"/documents/{photo}/ocr").json()["pages"][0]
    assert page["cropped"]
    cropped = pipeline.get(f"/documents/{photo}/pages/1.png", params={"view": "cropped", "width": 2000})
    assert cropped.status_code == 200 and cropped.headers["content-type"] == "image/png"
    width, height = Image.open(io.BytesIO(cropped.content)).size
    original = Image.open(io.BytesIO(pipeline.get(f"/documents/{photo}/pages/1.png").content)).size
    assert abs(width / height - page["width"] / page["height"]) < 0.01
    assert abs(width / height - original[0] / original[1]) > 0.05  # the desk around it is gone
    not_cropped = pipeline.get(f"/documents/{pdf}/pages/1.png", params={"view": "cropped"})
    assert not_cropped.status_code == 404 and "not cut out of a photo" in not_cropped.json()["detail"]
    assert pipeline.post(f"/workflows/{key}/train").status_code == 202

    def trained() -> list:
        versions = pipeline.get(f"/workflows/{key}/versions").json()
        return [v for v in versions if v["metrics"]["n_samples"] == len(sample_ids)]

    [version] = wait_until(trained, 120, "no version trained on every sample")
    assert version["metrics"]["accuracy"] >= 0.9

    reader = topic_reader_factory(r"^(extract\..*|review\.pending)$")
    # Door 1: HTTP upload, synchronous result.
    invoice = make_text_pdf(document_lines("invoice", rng))
    result = pipeline.post(f"/processing/{key}", params={"wait": 60}, files={"file": ("new.pdf", invoice)})
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["route"]["topic"] == "extract.invoice"
    assert body["ocr"]["pages"][0]["source"] == "text-layer"
    topic, _ = reader.wait_for(lambda t, e: str(e.data.document_id) == body["document_id"])
    assert topic == "extract.invoice"

    # Door 2: the mailroom topic, a scanned payslip.
    mail_id = f"mail-{uuid.uuid4()}"
    scan = make_scanned_image(document_lines("payslip", rng))
    mail = MailReceived(
        mail_id=mail_id,
        workflow_id=key,
        attachments=[Attachment(filename="payslip.png", content_base64=base64.b64encode(scan).decode())],
    )
    producer.send(
        [Outgoing(topics.MAILROOM_INCOMING, mail_id, new_event("mail.received", mail, source="test"))]
    )
    topic, routed = reader.wait_for(
        lambda t, e: str(e.data.workflow_id) == key and e.data.blob.size == len(scan), 120
    )
    assert topic == "extract.payslip"
    wait_until(
        lambda: pipeline.get(f"/documents/{routed.data.document_id}").json()["status"] == "routed",
        30,
        "the API never showed the mailroom document as routed",
    )

    # Ambiguous: half an invoice, half a payslip.
    mixed = document_lines("invoice", rng)[:8] + document_lines("payslip", rng)[:8]
    result = pipeline.post(
        f"/processing/{key}", params={"wait": 60}, files={"file": ("mixed.pdf", make_text_pdf(mixed))}
    )
    assert result.status_code == 200, result.text
    assert result.json()["route"]["route"] == "review"
    topic, _ = reader.wait_for(lambda t, e: str(e.data.document_id) == result.json()["document_id"])
    assert topic == topics.REVIEW_PENDING


def _metric(port: int, name: str, **labels: str) -> float:
    """Sum of a metric's samples with these labels, scraped from a service's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_moved_as_the_documents_did(services, pipeline):
    """Runs after the pipeline test in this module: 30 samples + 3 documents went through."""
    port = {name: process.port for name, process in services.items()}
    received = _metric(port["ingest"], "docroute_documents_total", stage="ingest")
    assert received >= SAMPLES_PER_CLASS * len(CLASSES) + 3
    assert _metric(port["ocr"], "docroute_pages_total", stage="ocr", source="text-layer") >= 2
    assert _metric(
        port["ocr"], "docroute_pages_total", stage="ocr", source="tesseract"
    ) >= SCANS_PER_CLASS * len(CLASSES)
    # Samples are not classified; the three new documents are. The suite's earlier modules leave
    # documents in flight on the pipeline's topics (the adversarial stack's OCR output, for one),
    # which these services (groups `docroute-<service>`) drain too: the counts are floors here;
    # the routes of this module's own documents are asserted exactly from the topics above.
    assert _metric(port["classify"], "docroute_documents_total", stage="classify") >= 3
    assert _metric(port["router"], "docroute_routed_total", route="extract", document_class="invoice") >= 1
    assert _metric(port["router"], "docroute_routed_total", route="extract", document_class="payslip") >= 1
    assert _metric(port["router"], "docroute_routed_total", route="review") >= 1
    assert _metric(port["router"], "docroute_confidence_count") >= 3
    assert _metric(port["trainer"], "docroute_training_seconds_count") >= 1
    assert _metric(port["classify"], "docroute_model_version") >= 1
    assert (
        _metric(
            port["ingest"], "docroute_messages_processed_total", service="ingest", outcome="dead_lettered"
        )
        == 0
    )
    # Lag is measured every 5 s from the partitions' high watermarks; everything is consumed by now.
    wait_until(
        lambda: (
            'docroute_consumer_lag_messages{partition="0",service="ocr"'
            in httpx.get(f"http://127.0.0.1:{port['ocr']}/metrics").text
        ),
        15,
        "ocr reports no lag gauge",
    )
    assert (
        _metric(port["ocr"], "docroute_consumer_lag_messages", service="ocr", topic="document.received") == 0
    )


def test_every_event_on_the_wire_validates(pipeline, topic_reader_factory):
    """Runs after the pipeline test: every message any service produced decodes against its schema."""
    from docroute.events import EVENT_MODELS

    # docroute's topics, not faust's internal ones; and not `mailroom.incoming`: services only read
    # it, and what other systems (and the adversarial tests) write there is checked at the door.
    reader = topic_reader_factory(r"^(?!mailroom\.incoming$)[a-z]+\.[a-z0-9.-]+$")
    # TopicReader decodes every record, validating envelope and data; a violation raises.
    reader.read_to_end(60)
    seen_types = {event.type for _, event in reader.seen}
    # The happy path dead-letters nothing, promotes no version by hand, deletes no sample,
    # splits no stack and recalls nothing (tests/e2e/test_stacks.py sends stacks and divides them).
    emitted = set(EVENT_MODELS) - {
        "document.failed",
        "model.promoted",
        "sample.deleted",
        "document.split",
        "document.superseded",
    }
    assert emitted <= seen_types, f"never seen on the wire: {emitted - seen_types}"
