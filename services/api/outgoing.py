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
from docroute.events import Outgoing, emit
from services.api.workflows.models import Workflow

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
        # Absent while `none`: the update goes out as v1, which readers from before it read.
        splitting=workflow.splitting if workflow.splitting not in (None, "none") else None,
        # Absent while `class`: the update goes out as v3 or older, which readers from before it read.
        wording_languages=workflow.wording_languages if workflow.wording_languages == "workflow" else None,
    )
    key = str(workflow.id)
    return emit(topics.WORKFLOW_UPDATED, "workflow.updated", data, source=SOURCE, key=key, step=None)


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
        purpose=purpose,  # checked by the route
        label=label,
        attachments=[Attachment(filename=filename, s3_ref=s3_ref, document_id=document_id)],
        model_version=model_version,
    )
    return emit(
        topics.INGEST_UPLOADS,
        "mail.received",
        data,
        source=SOURCE,
        key=str(document_id),
        step="upload",
        about=(upload_id,),
    )


def training_requested(workflow_id: uuid.UUID, request_id: uuid.UUID) -> Outgoing:
    data = TrainingRequested(workflow_id=workflow_id, request_id=request_id)
    key = str(workflow_id)
    return emit(topics.TRAINING_REQUESTED, "training.requested", data, source=SOURCE, key=key, step=None)


def sample_labelled(
    *,
    document_id: uuid.UUID,
    workflow_id: uuid.UUID,
    label: str | None,
    ocr_ref: str,
    labelled_by: str | None = None,
    step: str | None = "labelled",
) -> Outgoing:
    """A sample got a label; `label` None takes it out of the training set (its label was
    retired, or the sample removed).

    Key = workflow id: one trainer replica owns a workflow's set and sees its labels in order.
    The id derives from `step` and the sample, label and text (a training upload's own label,
    which a replayed projection sends again, keeps its id); a person's label passes
    `step=None`, a new fact with a fresh id.
    """
    data = SampleLabelled(
        sample_id=document_id,
        workflow_id=workflow_id,
        label=label,
        ocr_ref=ocr_ref,
        labelled_by=labelled_by,
    )
    return emit(
        topics.SAMPLE_LABELLED,
        "sample.labelled",
        data,
        source=SOURCE,
        key=str(workflow_id),
        subject=str(document_id),
        step=step,
        about=(document_id, label, ocr_ref),
    )


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
    return emit(
        topics.SAMPLE_DELETED,
        "sample.deleted",
        data,
        source=SOURCE,
        key=str(workflow_id),
        step="deleted",
        about=(workflow_id, *sorted(str(i) for i in sample_ids)),
    )
