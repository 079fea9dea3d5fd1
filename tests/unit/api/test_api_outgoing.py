"""Every event the API builds validates against its schema and carries the right key/topic."""

from __future__ import annotations

import uuid

from docroute import topics
from docroute.events import decode, encode
from services.api import outgoing
from services.api.workflows.schemas import WorkflowCreate
from services.api.workflows.service.changes import new_workflow


def _workflow():
    body = WorkflowCreate(
        name="Mail",
        labels=["Invoice", "W-9"],
        document_spec={"relevant_pages": "first 2", "ocr_engine": "paddle"},
        class_thresholds={"W-9": 0.6},
    )
    return new_workflow(body)


def test_workflow_updated() -> None:
    workflow = _workflow()
    out = outgoing.workflow_updated(workflow)
    assert (out.topic, out.key) == (topics.WORKFLOW_UPDATED, str(workflow.id))
    event = decode(encode(out.event))
    assert event.data.labels == ["Invoice", "W-9"]
    assert event.data.document_spec.relevant_pages == "first 2"
    assert event.data.document_spec.ocr_engine == "paddle"
    assert event.data.class_thresholds == {"W-9": 0.6}
    assert event.data.archived is False


def test_upload_received() -> None:
    document_id, workflow_id = uuid.uuid4(), uuid.uuid4()
    out = outgoing.upload_received(
        workflow_id=workflow_id,
        document_id=document_id,
        upload_id="u-1",
        s3_ref="s3://bucket/uploads/u-1",
        filename="a.pdf",
        purpose="training",
        label="Invoice",
    )
    assert (out.topic, out.key) == (topics.INGEST_UPLOADS, str(document_id))
    event = decode(encode(out.event))
    assert (event.data.door, event.data.purpose, event.data.label) == (
        "upload",
        "training",
        "Invoice",
    )
    assert event.data.mail_id == "u-1"
    [attachment] = event.data.attachments
    assert attachment.document_id == document_id
    assert attachment.s3_ref == "s3://bucket/uploads/u-1"


def test_training_requested_and_sample_labelled() -> None:
    workflow_id, request_id, sample_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    training = outgoing.training_requested(workflow_id, request_id)
    assert training.topic == topics.TRAINING_REQUESTED
    assert decode(encode(training.event)).data.request_id == request_id
    sample = outgoing.sample_labelled(
        document_id=sample_id, workflow_id=workflow_id, label="W-9", ocr_ref="s3://b/ocr/x.json"
    )
    # Keyed by workflow: one trainer replica owns a workflow's labelled set.
    assert (sample.topic, sample.key) == (topics.SAMPLE_LABELLED, str(workflow_id))
    assert training.key == str(workflow_id)
    again = outgoing.sample_labelled(
        document_id=sample_id, workflow_id=workflow_id, label="W-9", ocr_ref="s3://b/ocr/x.json"
    )
    assert sample.event.id == again.event.id  # a replayed projection emits the same event id
