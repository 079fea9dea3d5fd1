"""Routing per workflow on the live API and router: each workflow's class -> topic map is set
(admin only), validated, shown (workflow, labels, OpenAPI), carried on `workflow.updated`,
provisioned, and applied by the router process."""

from __future__ import annotations

import uuid

import httpx
from kafka import KafkaConsumer

from docroute import topics
from docroute.contracts._generated import Blob, DocumentClassified
from docroute.events import Outgoing, new_event
from docroute.kafka import client_options
from tests.fixtures.polling import wait_until

LABELS = ["invoice", "w-9"]


def create(api: httpx.Client, **fields: object) -> dict:
    response = api.post("/workflows", json={"name": "routing", "labels": LABELS, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def existing_topics(settings) -> set[str]:
    consumer = KafkaConsumer(**client_options(settings.kafka))
    try:
        return set(consumer.topics())
    finally:
        consumer.close()


def classified(workflow_id: str, predicted: str) -> DocumentClassified:
    return DocumentClassified(
        document_id=uuid.uuid4(),
        workflow_id=workflow_id,
        purpose="processing",
        blob=Blob(ref="s3://b/originals/x", sha256="0" * 64, size=1, media_type="application/pdf"),
        ocr_ref="s3://b/ocr/x.json",
        page_count=1,
        model_version=1,
        embedder_id="usem3",
        probabilities={label: 0.97 if label == predicted else 0.03 for label in LABELS},
        predicted_class=predicted,
        confidence=0.97,
        unknown=False,
    )


def test_default_keeps_the_shared_topic_per_class(api: httpx.Client) -> None:
    shown = create(api)
    assert shown["routing"] == {"naming": "shared", "class_topics": {}}
    assert shown["extract_topics"] == {"invoice": "extract.invoice", "w-9": "extract.w-9"}


def test_two_workflows_with_invoice_route_to_their_own_topics(
    api: httpx.Client, settings, producer, start_docroute_service, topic_reader_factory
) -> None:
    shared = create(api)["key"]
    own = create(api, routing={"naming": "per_workflow"})
    assert own["extract_topics"]["invoice"] == f"extract.{own['key']}.invoice"
    assert f"extract.{own['key']}.invoice" in existing_topics(settings)  # provisioned at creation
    start_docroute_service("router")
    reader = topic_reader_factory(r"^extract\..*$")

    docs = {shared: classified(shared, "invoice"), own["key"]: classified(own["key"], "invoice")}
    for doc in docs.values():
        event = new_event("document.classified", doc, source="test", subject=str(doc.document_id))
        producer.send([Outgoing(topics.DOCUMENT_CLASSIFIED, str(doc.document_id), event)])

    shared_topic, _ = reader.wait_for(lambda t, e: e.subject == str(docs[shared].document_id))
    own_topic, routed = reader.wait_for(lambda t, e: e.subject == str(docs[own["key"]].document_id))
    assert (shared_topic, own_topic) == ("extract.invoice", f"extract.{own['key']}.invoice")
    assert routed.data.topic == own_topic
    # The per-workflow topic holds only that workflow's documents.
    on_own = reader.matching(lambda t, e: t == own_topic)
    assert {str(e.data.workflow_id) for _, e in on_own} == {own["key"]}


def test_operator_topic_per_class_is_applied_after_a_change(
    api: httpx.Client, settings, producer, start_docroute_service, topic_reader_factory
) -> None:
    key = create(api)["key"]
    start_docroute_service("router")
    reader = topic_reader_factory(r"^(acme-tax-forms|extract\..*)$")
    changed = api.patch(
        f"/workflows/{key}",
        json={"routing": {"naming": "per_workflow", "class_topics": {"w-9": "acme-tax-forms"}}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["extract_topics"] == {
        "invoice": f"extract.{key}.invoice",
        "w-9": "acme-tax-forms",
    }
    assert {"acme-tax-forms", f"extract.{key}.invoice"} <= existing_topics(settings)
    assert api.get(f"/workflows/{key}").json()["routing"]["class_topics"] == {"w-9": "acme-tax-forms"}
    labels = {label["name"]: label["extract_topic"] for label in api.get(f"/workflows/{key}/labels").json()}
    assert labels == {"invoice": f"extract.{key}.invoice", "w-9": "acme-tax-forms"}

    def route_of_a_new_document() -> str:
        doc = classified(key, "w-9")
        event = new_event("document.classified", doc, source="test", subject=str(doc.document_id))
        producer.send([Outgoing(topics.DOCUMENT_CLASSIFIED, str(doc.document_id), event)])
        topic, _ = reader.wait_for(lambda t, e: e.subject == str(doc.document_id))
        return topic

    # The router learns the change from `workflow.updated` on its own time: a document routed
    # before that goes by the old setting, so send new ones until the change shows, then once more.
    wait_until(lambda: route_of_a_new_document() == "acme-tax-forms", what="the router applied the change")
    assert route_of_a_new_document() == "acme-tax-forms"


def test_renaming_a_class_keeps_its_operator_topic(api: httpx.Client) -> None:
    key = create(api, routing={"class_topics": {"w-9": "acme-tax-forms"}})["key"]
    label_id = next(x["id"] for x in api.get(f"/workflows/{key}/labels").json() if x["name"] == "w-9")
    renamed = api.patch(f"/workflows/{key}/labels/{label_id}", json={"name": "W9 form"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["extract_topic"] == "acme-tax-forms"
    assert api.get(f"/workflows/{key}").json()["routing"]["class_topics"] == {"W9 form": "acme-tax-forms"}


def test_bad_topics_are_refused_with_422(api: httpx.Client) -> None:
    other = create(api)["key"]
    bad = [
        "mailroom.incoming",
        "document.routed",
        "document.dead-letter",
        "review.pending",
        "__consumer_offsets",
        "has space",
        "a" * 250,
        f"extract.{other}.invoice",
    ]
    for topic in bad:
        response = api.post(
            "/workflows",
            json={"name": "bad", "labels": LABELS, "routing": {"class_topics": {"invoice": topic}}},
        )
        assert response.status_code == 422, (topic, response.text)
    key = create(api)["key"]
    for topic in bad:
        response = api.patch(f"/workflows/{key}", json={"routing": {"class_topics": {"invoice": topic}}})
        assert response.status_code == 422, (topic, response.text)
    not_a_label = api.patch(f"/workflows/{key}", json={"routing": {"class_topics": {"payslip": "acme"}}})
    assert not_a_label.status_code == 422 and "payslip" in not_a_label.text
    unknown_naming = api.patch(f"/workflows/{key}", json={"routing": {"naming": "per_team"}})
    assert unknown_naming.status_code == 422
    # Nothing of that changed the workflow.
    assert api.get(f"/workflows/{key}").json()["extract_topics"]["invoice"] == "extract.invoice"


def test_only_the_admin_key_changes_routing(api: httpx.Client, mint_api_key, keyed_client) -> None:
    key = create(api)["key"]
    team = keyed_client(mint_api_key(key))
    refused = team.patch(f"/workflows/{key}", json={"routing": {"class_topics": {"invoice": "stolen"}}})
    assert refused.status_code == 403
    assert team.patch(f"/workflows/{key}", json={"threshold": 0.7}).status_code == 200
    assert team.get(f"/workflows/{key}").json()["extract_topics"]["invoice"] == "extract.invoice"


def test_workflow_openapi_shows_each_class_topic(api: httpx.Client) -> None:
    key = create(api, routing={"naming": "per_workflow", "class_topics": {"w-9": "acme-tax-forms"}})["key"]
    doc = api.get(f"/workflows/{key}/openapi.json").json()
    routing = doc["info"]["x-docroute-routing"]
    assert routing["naming"] == "per_workflow"
    assert routing["topics"] == {"invoice": f"extract.{key}.invoice", "w-9": "acme-tax-forms"}
    assert routing["review_topic"] == "review.pending"
    assert f"`invoice` -> `extract.{key}.invoice`" in doc["info"]["description"]
    assert "`w-9` -> `acme-tax-forms`" in doc["info"]["description"]
