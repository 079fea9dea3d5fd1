"""The events the API emits, built from values: no I/O here."""

from __future__ import annotations

import uuid

from docroute import topics
from docroute.contracts._generated import (
    Attachment,
    DocumentSpec,
    MailReceived,
    Routing,
    SampleDeleted,
    SampleLabelled,
    TrainingRequested,
    WorkflowUpdated,
)
from docroute.events import Outgoing, new_event, stable_id
from services.api.models import Workflow

SOURCE = "api"


def workflow_updated(workflow: Workflow) -> Outgoing:
    """The workflow's full settings; the last event per key wins (key = workflow id)."""
    data = WorkflowUpdated(
        workflow_id=workflow.id,
        name=workflow.name,
        labels=list(workflow.labels),
        document_spec=DocumentSpec.model_validate(workflow.document_spec),
        threshold=workflow.threshold,
        class_thresholds=dict(workflow.class_thresholds),
        retrain_every=workflow.retrain_every,
        archived=workflow.archived,
        # Absent while the workflow keeps the shared default: readers from before it agree.
        routing=Routing.model_validate(workflow.routing) if workflow.routing else None,
    )
    event = new_event("workflow.updated", data, source=SOURCE, subject=str(workflow.id))
    return Outgoing(topics.WORKFLOW_UPDATED, key=str(workflow.id), event=event)


def upload_received(
    *,
    workflow_id: uuid.UUID,
    document_id: uuid.UUID,
    upload_id: str,
    s3_ref: str,
    filename: str,
    purpose: str,
    label: str | None,
    model_version: int | None = None,
) -> Outgoing:
    """A file taken in at the upload door, for ingest (key = document id); a preview names the
    model version to classify with."""
    data = MailReceived(
        mail_id=upload_id,
        door="upload",
        workflow_id=workflow_id,
        purpose=purpose,  # type: ignore[arg-type]  # checked by the route
        label=label,
        attachments=[Attachment(filename=filename, s3_ref=s3_ref, document_id=document_id)],
        model_version=model_version,
    )
    event = new_event(
        "mail.received",
        data,
        source=SOURCE,
        subject=str(document_id),
        event_id=stable_id("upload", upload_id),
    )
    return Outgoing(topics.INGEST_UPLOADS, key=str(document_id), event=event)


def training_requested(workflow_id: uuid.UUID, request_id: uuid.UUID) -> Outgoing:
    data = TrainingRequested(workflow_id=workflow_id, request_id=request_id)
    event = new_event("training.requested", data, source=SOURCE, subject=str(workflow_id))
    return Outgoing(topics.TRAINING_REQUESTED, key=str(workflow_id), event=event)


def sample_labelled(
    *,
    document_id: uuid.UUID,
    workflow_id: uuid.UUID,
    label: str | None,
    ocr_ref: str,
    labelled_by: str | None = None,
    event_id: str | None = None,
) -> Outgoing:
    """A sample got a label; `label` None takes it out of the training set (its label was
    retired, or the sample removed).

    Key = workflow id: one trainer replica owns a workflow's set and sees its labels in order.
    The default id is stable (a training upload's own label, which a replayed projection sends
    again); a person's label passes a fresh one.
    """
    data = SampleLabelled(
        sample_id=document_id,
        workflow_id=workflow_id,
        label=label,
        ocr_ref=ocr_ref,
        labelled_by=labelled_by,
    )
    event = new_event(
        "sample.labelled",
        data,
        source=SOURCE,
        subject=str(document_id),
        event_id=event_id or stable_id("labelled", document_id, label, ocr_ref),
    )
    return Outgoing(topics.SAMPLE_LABELLED, key=str(workflow_id), event=event)


def sample_deleted(
    workflow_id: uuid.UUID, sample_ids: list[uuid.UUID], *, deleted_by: str | None
) -> Outgoing:
    """Deleted documents every classify replica must drop from its models now (key =
    workflow id; one partition, read whole by every replica)."""
    data = SampleDeleted(
        workflow_id=workflow_id,
        sample_ids=sample_ids,
        deleted_by=deleted_by[:200] if deleted_by else None,
    )
    event = new_event(
        "sample.deleted",
        data,
        source=SOURCE,
        subject=str(workflow_id),
        event_id=stable_id("deleted", workflow_id, *sorted(str(i) for i in sample_ids)),
    )
    return Outgoing(topics.SAMPLE_DELETED, key=str(workflow_id), event=event)
