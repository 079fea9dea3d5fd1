"""Review through the API on the real broker, S3 and PostgreSQL: an unknown document waits in the
queue with its explanation; a correction routes it to `extract.<class>` once, makes it a labelled
sample, and leaves an audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.kafka import EventProducer
from tests.factories.pipeline_events import FakeDocument
from tests.fixtures.polling import wait_until
from tests.fixtures.topic_reader import TopicReader

LABELS = ["invoice", "payslip", "rental contract"]
UNKNOWN = {"invoice": 0.52, "payslip": 0.30, "rental contract": 0.18}


def create_workflow(api: httpx.Client, name: str = "review") -> str:
    response = api.post("/workflows", json={"name": name, "labels": LABELS})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def in_review(api: httpx.Client, blobstore: BlobStore, producer: EventProducer, key: str) -> FakeDocument:
    """A document the router sent to review as unknown, projected into the API's database."""
    doc = FakeDocument.store(blobstore, key, f"%PDF-1.4 {uuid.uuid4()}".encode(), text="Account statement")
    doc.send_processed(
        producer,
        UNKNOWN,
        route="review",
        unknown=True,
        reason="unlike every class seen in training (nearest: invoice)",
    )
    wait_until(
        lambda: api.get(f"/documents/{doc.document_id}").json().get("status") == "review",
        what="the document never reached review",
    )
    return doc


@pytest.fixture
def workflow(api: httpx.Client) -> str:
    return create_workflow(api)


def test_unknown_document_waits_in_review_with_its_explanation(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    doc = in_review(api, blobstore, producer, workflow)
    result = api.get(f"/documents/{doc.document_id}").json()
    assert result["unknown"] is True
    assert "unlike every class seen in training" in result["unknown_reason"]
    assert "0.55" in result["unknown_reason"] and "0.27" in result["unknown_reason"]
    assert [c["class"] for c in result["classifications"]] == ["invoice", "payslip", "rental contract"]
    assert result["route"]["route"] == "review" and result["model_version"] == 1
    explanation = result["explanation"]
    assert explanation["nearest_samples"][0]["label"] == "invoice"
    assert [t["term"] for t in explanation["terms"]] == ["total", "due"]

    queue = api.get(f"/workflows/{workflow}/review", params={"unknown": True}).json()
    [item] = queue["items"]
    assert item["document_id"] == doc.document_id and item["unknown"] is True
    assert item["classifications"] == UNKNOWN and item["explanation"]["novelty"] == 0.55
    assert api.get(f"/workflows/{workflow}/review", params={"unknown": False}).json()["items"] == []


def test_correction_routes_once_becomes_a_sample_and_is_audited(
    api: httpx.Client,
    blobstore: BlobStore,
    producer: EventProducer,
    workflow: str,
    topic_reader_factory: Callable[[str], TopicReader],
) -> None:
    doc = in_review(api, blobstore, producer, workflow)
    reader = topic_reader_factory(r"^(extract\.bank|extract\.payslip|document\.routed|sample\.labelled)$")
    body = {"class": "payslip", "reviewer": "ann"}
    response = api.post(f"/documents/{doc.document_id}/review", json=body)
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["action"] == "corrected" and outcome["class"] == "payslip"
    assert outcome["original_class"] == "invoice" and outcome["topic"] == "extract.payslip"

    def about(topic: str) -> Callable[[str, Any], bool]:
        return lambda t, e: t == topic and e.subject == doc.document_id

    _, routed = reader.wait_for(about("extract.payslip"))
    assert routed.type == "document.routed" and routed.data.route == "extract"
    assert routed.data.reason == "corrected by ann" and routed.data.document_class == "payslip"
    assert routed.data.ocr_ref == doc.ocr_ref and routed.data.blob.sha256 == doc.blob.sha256
    reader.wait_for(lambda t, e: t == topics.DOCUMENT_ROUTED and e.id == routed.id)
    _, sample = reader.wait_for(
        lambda t, e: t == topics.SAMPLE_LABELLED and str(e.data.sample_id) == doc.document_id
    )
    assert sample.data.label == "payslip" and sample.data.ocr_ref == doc.ocr_ref
    assert str(sample.data.workflow_id) == workflow and sample.data.labelled_by == "ann"

    # Idempotent: the same verdict answers the same and routes nothing more; another one conflicts.
    again = api.post(f"/documents/{doc.document_id}/review", json=body)
    assert again.status_code == 200 and again.json() == outcome
    conflict = api.post(f"/documents/{doc.document_id}/review", json={"class": "invoice", "reviewer": "bob"})
    assert conflict.status_code == 409 and "already reviewed as 'payslip' by ann" in conflict.text
    reader.read_to_end()  # the API produces before it answers: a second route would be there
    assert len(reader.matching(about("extract.payslip"))) == 1

    result = wait_until(
        lambda: (r := api.get(f"/documents/{doc.document_id}").json())["status"] == "routed" and r
    )
    assert result["route"] == {
        "route": "extract",
        "topic": "extract.payslip",
        "reason": "corrected by ann",
        "threshold": 0.8,
    }
    assert result["review"]["class"] == "payslip" and result["review"]["reviewer"] == "ann"
    assert result["predicted_class"] == "invoice", "the model's prediction stays on record"
    assert api.get(f"/workflows/{workflow}/review").json()["items"] == []

    [entry] = api.get(f"/documents/{doc.document_id}/audit").json()
    assert entry["action"] == "corrected" and entry["actor"] == "ann" and entry["new_class"] == "payslip"
    assert entry["original_class"] == "invoice" and entry["original_confidence"] == 0.52
    assert entry["original_route"] == "review" and entry["original_unknown"] is True
    assert entry["original_probabilities"] == UNKNOWN and entry["at"]


def test_confirming_keeps_the_model_class(
    api: httpx.Client, blobstore: BlobStore, producer: EventProducer, workflow: str
) -> None:
    doc = in_review(api, blobstore, producer, workflow)
    response = api.post(f"/documents/{doc.document_id}/review", json={"class": "invoice", "reviewer": "cy"})
    assert response.status_code == 200 and response.json()["action"] == "confirmed"
    listed = api.get(
        f"/workflows/{workflow}/documents", params={"class": "invoice", "route": "extract"}
    ).json()
    assert doc.document_id in [d["document_id"] for d in listed["items"]]


def test_bad_verdicts_are_refused(
    api: httpx.Client,
    blobstore: BlobStore,
    producer: EventProducer,
    workflow: str,
    mint_api_key: Callable[..., str],
    keyed_client: Callable[[str | None], httpx.Client],
) -> None:
    doc = in_review(api, blobstore, producer, workflow)
    url = f"/documents/{doc.document_id}/review"
    assert api.post(url, json={"class": "memo", "reviewer": "ann"}).status_code == 422
    assert api.post(url, json={"class": "invoice"}).status_code == 422
    assert (
        api.post(f"/documents/{uuid.uuid4()}/review", json={"class": "invoice", "reviewer": "a"}).status_code
        == 404
    )
    other = keyed_client(mint_api_key(create_workflow(api, "someone else's")))
    assert other.post(url, json={"class": "invoice", "reviewer": "eve"}).status_code == 404
    assert other.get(f"/documents/{doc.document_id}/audit").status_code == 404
    assert other.get(f"/workflows/{workflow}/review").status_code == 404
    mine = keyed_client(mint_api_key(workflow))
    assert mine.post(url, json={"class": "invoice", "reviewer": "ann"}).status_code == 200
    assert "with API key" in mine.get(f"/documents/{doc.document_id}/audit").json()[0]["detail"]

    in_flight = FakeDocument.store(blobstore, workflow, b"%PDF-1.4 in flight", text="x")
    in_flight.send_received(producer)
    wait_until(lambda: api.get(f"/documents/{in_flight.document_id}").status_code == 200)
    refused = api.post(
        f"/documents/{in_flight.document_id}/review", json={"class": "invoice", "reviewer": "a"}
    )
    assert refused.status_code == 409


def test_a_routed_document_corrected_to_another_class_is_recalled_from_its_first_topic(
    api: httpx.Client,
    blobstore: BlobStore,
    producer: EventProducer,
    workflow: str,
    topic_reader_factory: Callable[[str], TopicReader],
) -> None:
    """The extraction service of the class the model chose got the document; a person's other
    class sends it to another topic, and the first one is told to drop it."""
    doc = FakeDocument.store(blobstore, workflow, f"%PDF-1.4 {uuid.uuid4()}".encode(), text="Pay slip")
    doc.send_processed(producer, {"invoice": 0.9, "payslip": 0.06, "rental contract": 0.04}, route="extract")
    wait_until(
        lambda: api.get(f"/documents/{doc.document_id}").json().get("status") == "routed",
        what="the document was never routed",
    )
    reader = topic_reader_factory(r"^(extract\.invoice|extract\.payslip|document\.routed)$")
    response = api.post(f"/documents/{doc.document_id}/review", json={"class": "payslip", "reviewer": "ann"})
    assert response.status_code == 200, response.text

    _, recall = reader.wait_for(lambda t, e: t == "extract.invoice" and e.subject == doc.document_id)
    assert recall.type == "document.superseded" and recall.version == 2
    assert (recall.data.topic, recall.data.document_class) == ("extract.invoice", "invoice")
    assert (recall.data.rerouted_to.topic, recall.data.rerouted_to.document_class) == (
        "extract.payslip",
        "payslip",
    )
    _, routed = reader.wait_for(lambda t, e: t == "extract.payslip" and e.subject == doc.document_id)
    assert routed.type == "document.routed" and routed.data.reason == "corrected by ann"
    reader.wait_for(lambda t, e: t == topics.DOCUMENT_ROUTED and e.id == recall.id)
    # The projection records the recall among the document's events (`docroute trace` shows it)
    # and keeps the reviewer's route.
    wait_until(
        lambda: (
            "document.superseded"
            in [e["type"] for e in api.get(f"/documents/{doc.document_id}/events").json()]
        ),
        what="the projection never saw the recall",
    )
    result = api.get(f"/documents/{doc.document_id}").json()
    assert result["status"] == "routed" and result["route"]["topic"] == "extract.payslip"
    assert result["review"]["class"] == "payslip"
