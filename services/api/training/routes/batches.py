"""Training data batches: many files (images, PDFs, zips of class folders) per request."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, HTTPException, Request, UploadFile
from sqlalchemy import select

from services.api.deps import CurrentKey, ResourcesDep, SessionDep, WorkflowDep
from services.api.settings import ApiSettings
from services.api.training.models import TrainingBatch
from services.api.training.schemas import BatchProgress
from services.api.training.service import batches
from services.api.workflows.models import Workflow

router = APIRouter(prefix="/workflows", tags=["training data"])

FILES_HELP = (
    "PDF, PNG, JPEG, TIFF or ZIP files. A zip may hold one folder per class: a member in a folder "
    "named like a label is labelled with it. The whole request is capped at the upload limit "
    "(DOCROUTE_MAX_UPLOAD_BYTES plus 1 MiB): send big sets in several requests to one batch."
)
LABEL_HELP = "Label for every file (zip members in class folders keep their folder's label)"
LABELS_HELP = "One label per file, in order ('' for none); instead of `label`"


@router.post("/{key}/batches", status_code=202, response_model=BatchProgress)
async def create_batch(
    workflow: WorkflowDep,
    resources: ResourcesDep,
    principal: CurrentKey,
    request: Request,
    background: BackgroundTasks,
    files: Annotated[list[UploadFile], File(description=FILES_HELP)],
    label: Annotated[str | None, Form(description=LABEL_HELP)] = None,
    labels: Annotated[list[str] | None, Form(description=LABELS_HELP)] = None,
) -> BatchProgress:
    """Upload training files; they are handed to ingest in the background (202). Follow the
    batch with GET /workflows/{key}/batches/{batch_id}."""
    return await _add(workflow, resources, request, background, None, files, label, labels, principal.name)


@router.post("/{key}/batches/{batch_id}/files", status_code=202, response_model=BatchProgress)
async def add_to_batch(
    workflow: WorkflowDep,
    resources: ResourcesDep,
    request: Request,
    background: BackgroundTasks,
    batch_id: uuid.UUID,
    files: Annotated[list[UploadFile], File(description=FILES_HELP)],
    label: Annotated[str | None, Form(description=LABEL_HELP)] = None,
    labels: Annotated[list[str] | None, Form(description=LABELS_HELP)] = None,
) -> BatchProgress:
    """Add more files to a batch (a big training set in several requests)."""
    with resources.sessions() as session:
        _batch(session, workflow, batch_id)
    return await _add(workflow, resources, request, background, batch_id, files, label, labels, None)


@router.get("/{key}/batches/{batch_id}", response_model=BatchProgress)
def read_batch(
    workflow: WorkflowDep, session: SessionDep, request: Request, resources: ResourcesDep, batch_id: uuid.UUID
) -> BatchProgress:
    """Progress: files accepted, documents received, OCR'd, labelled, failed (with reasons)."""
    result = batches.progress(session, _batch(session, workflow, batch_id))
    result.url = _url(request, resources.settings, workflow, batch_id)
    return result


@router.get("/{key}/batches", response_model=list[BatchProgress])
def list_batches(workflow: WorkflowDep, session: SessionDep) -> list[BatchProgress]:
    """The workflow's batches, newest first (the last 50)."""
    rows = session.scalars(
        select(TrainingBatch)
        .where(TrainingBatch.workflow_id == workflow.id)
        .order_by(TrainingBatch.created_at.desc())
        .limit(50)
    )
    return [batches.progress(session, row) for row in rows]


async def _add(
    workflow: Workflow,
    resources: ResourcesDep,
    request: Request,
    background: BackgroundTasks,
    batch_id: uuid.UUID | None,
    files: list[UploadFile],
    label: str | None,
    labels: list[str] | None,
    created_by: str | None,
) -> BatchProgress:
    """Check the request, count its files into the batch (a new one without `batch_id`) and
    schedule their handing-on."""
    chosen = batches.labels_for(files, label, labels, workflow)
    incoming, rejected = await batches.read_files(files, chosen, resources.settings)
    with resources.sessions() as session:
        if batch_id is None:
            batch = batches.open_batch(session, workflow.id, created_by)
        else:
            batch = session.get_one(TrainingBatch, batch_id, with_for_update=True)
        batches.add_files(session, batch, len(incoming), rejected)
        result = batches.progress(session, batch)
    background.add_task(batches.hand_on, resources, workflow, result.batch_id, incoming)
    result.url = _url(request, resources.settings, workflow, result.batch_id)
    return result


def _batch(session: SessionDep, workflow: Workflow, batch_id: uuid.UUID) -> TrainingBatch:
    batch = session.get(TrainingBatch, batch_id)
    if batch is None or batch.workflow_id != workflow.id:
        raise HTTPException(404, f"no batch {batch_id} in this workflow")
    return batch


def _url(request: Request, settings: ApiSettings, workflow: Workflow, batch_id: uuid.UUID) -> str:
    base = settings.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/workflows/{workflow.id}/batches/{batch_id}"
