"""Labels on the live API: add, rename, retire, restore; history kept, `workflow.updated`
published, extraction topics provisioned, samples follow their label."""

from __future__ import annotations

import hashlib
import uuid

import httpx
from kafka import KafkaAdminClient

from docroute import topics
from docroute.contracts._generated import Blob, DocumentTextExtracted
from docroute.events import Outgoing, new_event
from docroute.kafka import client_options
from tests.factories.documents import make_text_pdf

PDF = make_text_pdf(["hand-made"])  # a real PDF: the door counts its pages


def create_workflow(api: httpx.Client) -> str:
    body = {
        "name": "labels",
        "labels": ["Invoice", "Pay Slip", "W-9"],
        "class_thresholds": {"Invoice": 0.9},
    }
    response = api.post("/workflows", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def label_ids(api: httpx.Client, key: str) -> dict[str, int]:
    return {label["name"]: label["id"] for label in api.get(f"/workflows/{key}/labels").json()}


def extracted_sample(api, producer, blobstore, key: str, label: str) -> str:
    """A training upload whose text the (hand-made) OCR event reports extracted."""
    upload = api.post(f"/workflows/{key}/samples", files={"file": ("s.pdf", PDF)}, data={"label": label})
    document_id = upload.json()["document_id"]
    sha = hashlib.sha256(PDF).hexdigest()
    ocr_ref = str(blobstore.put_json(f"ocr/{document_id}.json", {"pages": []}))
    data = DocumentTextExtracted(
        document_id=document_id,
        workflow_id=key,
        purpose="training",
        label=None,
        blob=Blob(
            ref=str(blobstore.ref(f"x/{sha}")),
            sha256=sha,
            size=len(PDF),
            media_type="application/pdf",
        ),
        ocr_ref=ocr_ref,
        page_count=1,
        pages_used=[0],
        sources=["text-layer"],
        text_chars=12,
    )
    event = new_event("document.text_extracted", data, source="test", subject=document_id)
    producer.send([Outgoing(topics.DOCUMENT_TEXT_EXTRACTED, document_id, event)])
    return str(document_id)


def test_add_provisions_the_topic_and_publishes(api: httpx.Client, settings, topic_reader_factory) -> None:
    key = create_workflow(api)
    reader = topic_reader_factory(r"^workflow\.updated$")
    added = api.post(f"/workflows/{key}/labels", json={"name": "Credit Note"})
    assert added.status_code == 201, added.text
    assert (added.json()["status"], added.json()["extract_topic"]) == (
        "active",
        "extract.credit-note",
    )
    assert [h["action"] for h in added.json()["history"]] == ["added"]
    reader.wait_for(lambda t, e: str(e.data.workflow_id) == key and "Credit Note" in e.data.labels, 30)
    admin = KafkaAdminClient(**client_options(settings.kafka))
    try:
        assert "extract.credit-note" in admin.list_topics()
    finally:
        admin.close()
    clash = api.post(f"/workflows/{key}/labels", json={"name": "credit note"})
    assert clash.status_code == 409 and "extract.credit-note" in clash.json()["detail"]
    assert api.post(f"/workflows/{key}/labels", json={"name": "***"}).status_code == 422


def test_rename_keeps_history_publishes_and_relabels_samples(
    api: httpx.Client, producer, blobstore, topic_reader_factory
) -> None:
    key = create_workflow(api)
    samples = topic_reader_factory(r"^sample\.labelled$")
    updates = topic_reader_factory(r"^workflow\.updated$")
    sample_id = extracted_sample(api, producer, blobstore, key, "Invoice")
    samples.wait_for(lambda t, e: str(e.data.sample_id) == sample_id and e.data.label == "Invoice", 30)

    invoice = label_ids(api, key)["Invoice"]
    renamed = api.patch(f"/workflows/{key}/labels/{invoice}", json={"name": "Bill"})
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert (body["id"], body["name"], body["extract_topic"]) == (invoice, "Bill", "extract.bill")
    assert [(h["action"], h["old_name"], h["new_name"]) for h in body["history"]] == [
        ("created", None, "Invoice"),
        ("renamed", "Invoice", "Bill"),
    ]
    _, event = updates.wait_for(lambda t, e: str(e.data.workflow_id) == key and "Bill" in e.data.labels, 30)
    assert event.data.labels == ["Bill", "Pay Slip", "W-9"]
    assert event.data.class_thresholds == {"Bill": 0.9}
    samples.wait_for(lambda t, e: str(e.data.sample_id) == sample_id and e.data.label == "Bill", 30)
    assert api.get(f"/documents/{sample_id}").json()["label"] == "Bill"
    assert api.get(f"/workflows/{key}").json()["extract_topics"]["Bill"] == "extract.bill"
    taken = api.patch(f"/workflows/{key}/labels/{invoice}", json={"name": "pay slip"})
    assert taken.status_code == 409
    assert api.patch(f"/workflows/{key}/labels/999999", json={"name": "x"}).status_code == 404


def test_retire_keeps_the_label_in_history_and_restore_brings_it_back(
    api: httpx.Client, producer, blobstore, topic_reader_factory
) -> None:
    key = create_workflow(api)
    samples = topic_reader_factory(r"^sample\.labelled$")
    sample_id = extracted_sample(api, producer, blobstore, key, "W-9")
    samples.wait_for(lambda t, e: str(e.data.sample_id) == sample_id and e.data.label == "W-9", 30)
    ids = label_ids(api, key)

    retired = api.delete(f"/workflows/{key}/labels/{ids['W-9']}")
    assert retired.status_code == 200, retired.text
    assert (retired.json()["status"], retired.json()["retired_at"] is not None) == ("retired", True)
    samples.wait_for(lambda t, e: str(e.data.sample_id) == sample_id and e.data.label is None, 30)
    workflow = api.get(f"/workflows/{key}").json()
    assert workflow["labels"] == ["Invoice", "Pay Slip"]
    listed = api.get(f"/workflows/{key}/labels").json()
    assert [(x["name"], x["status"]) for x in listed] == [
        ("Invoice", "active"),
        ("Pay Slip", "active"),
        ("W-9", "retired"),
    ]
    assert api.get(f"/documents/{sample_id}").json()["label"] == "W-9"  # kept for a restore

    too_few = api.delete(f"/workflows/{key}/labels/{ids['Pay Slip']}")
    assert too_few.status_code == 409 and "at least 2" in too_few.json()["detail"]
    into_retired = api.patch(f"/workflows/{key}/labels/{ids['Invoice']}", json={"name": "w-9"})
    assert into_retired.status_code == 409 and "retired" in into_retired.json()["detail"]
    sample = api.post(f"/workflows/{key}/samples", files={"file": PDF}, data={"label": "W-9"})
    assert sample.status_code == 422  # not an active label any more

    restored = api.post(f"/workflows/{key}/labels", json={"name": "W-9"})
    assert restored.status_code == 201
    assert (restored.json()["id"], restored.json()["status"]) == (ids["W-9"], "active")
    assert [h["action"] for h in restored.json()["history"]] == ["created", "retired", "restored"]
    samples.wait_for(lambda t, e: str(e.data.sample_id) == sample_id and e.data.label == "W-9", 30)
    assert api.get(f"/workflows/{key}").json()["labels"] == ["Invoice", "Pay Slip", "W-9"]
    assert api.delete(f"/workflows/{key}/labels/{uuid.uuid4().int % 10**6 + 10**6}").status_code == 404
