"""Annotation: list samples, label or relabel one, remove one (each a `sample.labelled`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from services.api.deps import BlobStoreDep, CurrentKey, ProducerDep, SessionDep, WorkflowDep
from services.api.documents.models import Document
from services.api.training.schemas import SampleLabel, SamplePublic, SampleState
from services.api.training.service import annotation
from services.api.training.service.predictions import live_guesses

router = APIRouter(prefix="/workflows", tags=["training data"])


@router.get("/{key}/samples", response_model=list[SamplePublic])
def list_samples(
    workflow: WorkflowDep,
    session: SessionDep,
    blobstore: BlobStoreDep,
    state: Annotated[SampleState | None, Query(description="Only samples in this state")] = None,
    label: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    batch_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SamplePublic]:
    """Training samples, oldest first; `state=unlabelled` is the annotation queue (each with the
    live version's `prediction` where it has one)."""
    query = annotation.samples_query(workflow.id, state)
    if label is not None:
        query = query.where(Document.label == label)
    if batch_id is not None:
        query = query.where(Document.batch_id == batch_id)
    rows = list(session.scalars(query.order_by(Document.created_at, Document.id).limit(limit).offset(offset)))
    unlabelled = [str(doc.id) for doc in rows if annotation.state_of(doc) == "unlabelled"]
    guesses = live_guesses(session, blobstore, workflow.id, unlabelled)
    return [annotation.public(doc, guesses) for doc in rows]


@router.get("/{key}/samples/{sample_id:uuid}", response_model=SamplePublic)
def get_sample(
    workflow: WorkflowDep, session: SessionDep, blobstore: BlobStoreDep, sample_id: uuid.UUID
) -> SamplePublic:
    """One sample; unlabelled, with the live version's `prediction` (class, confidence)."""
    doc = annotation.find(session, workflow, str(sample_id))
    wanted = [str(doc.id)] if annotation.state_of(doc) == "unlabelled" else []
    return annotation.public(doc, live_guesses(session, blobstore, workflow.id, wanted))


@router.put("/{key}/samples/{sample_id}/label", response_model=SamplePublic)
async def label_sample(
    workflow: WorkflowDep,
    session: SessionDep,
    producer: ProducerDep,
    principal: CurrentKey,
    sample_id: str,
    body: SampleLabel,
) -> SamplePublic:
    """Label or relabel a read sample; the trainer gets it as `sample.labelled` (409 while the
    sample is still being read or when it failed)."""
    doc = annotation.find(session, workflow, sample_id)
    await run_in_threadpool(annotation.label, session, producer, workflow, doc, body.label, principal.name)
    return annotation.public(doc)


@router.delete("/{key}/samples/{sample_id}", status_code=204)
async def remove_sample(
    workflow: WorkflowDep, session: SessionDep, producer: ProducerDep, principal: CurrentKey, sample_id: str
) -> Response:
    """Take a sample out of the training set (`sample.labelled` with label null)."""
    doc = annotation.find(session, workflow, sample_id)
    await run_in_threadpool(annotation.remove, session, producer, doc, principal.name)
    return Response(status_code=204)
