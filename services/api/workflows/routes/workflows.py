"""Workflows: create (admin), list, read, change, archive, ask for training, list model versions."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from docroute.kafka import provision_topics
from services.api import outgoing
from services.api.adapters import Resources
from services.api.deps import AdminKey, CurrentKey, ResourcesDep, SessionDep, WorkflowAnyStateDep, WorkflowDep
from services.api.workflows.models import Workflow
from services.api.workflows.schemas import TrainingAccepted, WorkflowCreate, WorkflowPublic, WorkflowUpdate
from services.api.workflows.service import labels, routing
from services.api.workflows.service.changes import apply_update, new_workflow, save_and_publish

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.post("", status_code=201, response_model=WorkflowPublic)
def create_workflow(
    body: WorkflowCreate, session: SessionDep, resources: ResourcesDep, admin: AdminKey
) -> WorkflowPublic:
    """Create a workflow (admin key): its row, its extraction topics (`routing`: shared
    extract.<class>, per-workflow extract.<key>.<class>, or named per class), and
    `workflow.updated` for the services. Then mint a key for it with POST /api-keys.

    All or nothing: the row commits only after the topics exist and the event is acknowledged.
    """
    workflow = new_workflow(body)
    workflow.plan = resources.settings.usage.default_plan
    workflow.routing = body.routing.rule().to_dict()
    routing.check(workflow)
    session.add(workflow)
    session.flush()
    labels.record_created(session, workflow, api_key_id=admin.key_id)
    provision_topics(resources.settings.kafka, extra=sorted(set(routing.topics_of(workflow).values())))
    resources.producer.send([outgoing.workflow_updated(workflow)])
    session.commit()
    logger.info("workflow %r created", workflow.name, extra={"workflow_id": workflow.id})
    return WorkflowPublic.model_validate(workflow)


@router.get("", response_model=list[WorkflowPublic])
def list_workflows(
    session: SessionDep,
    principal: CurrentKey,
    include_archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[WorkflowPublic]:
    """The workflows the key may use (every one for the admin key), oldest first."""
    query = select(Workflow).order_by(Workflow.created_at, Workflow.id)
    if not principal.admin:
        query = query.where(Workflow.id.in_(principal.workflow_ids))
    if not include_archived:
        query = query.where(Workflow.archived.is_(False))
    rows = session.scalars(query.limit(limit).offset(offset))
    return [WorkflowPublic.model_validate(w) for w in rows]


@router.get("/{key}", response_model=WorkflowPublic)
def read_workflow(workflow: WorkflowAnyStateDep) -> WorkflowPublic:
    """A workflow, archived or not."""
    return WorkflowPublic.model_validate(workflow)


@router.patch(
    "/{key}",
    response_model=WorkflowPublic,
    responses={
        403: {"description": "Routing changed without the admin key"},
        409: {"description": "Fixed setting"},
    },
)
def update_workflow(
    found: WorkflowDep,
    body: WorkflowUpdate,
    session: SessionDep,
    resources: ResourcesDep,
    principal: CurrentKey,
) -> WorkflowPublic:
    """Change name, description, thresholds, retrain_every, the document spec, the splitting, the
    wording languages (taken by the next training) or (admin key only) the routing.

    Fixed after creation (409 naming the field): document_spec.character_set, text_style,
    ocr_engine and cropping; relevant_pages once the workflow has a training sample. Every
    change publishes the full `workflow.updated`.
    """
    if body.routing is not None and not principal.admin:
        raise HTTPException(403, "routing decides which team receives the documents: admin key only")
    workflow = session.get_one(Workflow, found.id)
    changed = apply_update(session, workflow, body)
    if changed:
        save_and_publish(session, resources, workflow, routing_changed="routing" in changed)
    return WorkflowPublic.model_validate(workflow)


@router.post("/{key}/archive", response_model=WorkflowPublic)
def archive_workflow(
    found: WorkflowAnyStateDep, session: SessionDep, resources: ResourcesDep
) -> WorkflowPublic:
    """Archive: the workflow takes no documents (404 at its doors) until unarchived."""
    return _set_archived(session, resources, found, archived=True)


@router.post("/{key}/unarchive", response_model=WorkflowPublic)
def unarchive_workflow(
    found: WorkflowAnyStateDep, session: SessionDep, resources: ResourcesDep
) -> WorkflowPublic:
    return _set_archived(session, resources, found, archived=False)


def _set_archived(
    session: Session, resources: Resources, found: Workflow, *, archived: bool
) -> WorkflowPublic:
    workflow = session.get_one(Workflow, found.id)
    if workflow.archived != archived:
        workflow.archived = archived
        save_and_publish(session, resources, workflow)
    return WorkflowPublic.model_validate(workflow)


@router.post("/{key}/train", status_code=202, response_model=TrainingAccepted)
async def request_training(workflow: WorkflowDep, resources: ResourcesDep) -> TrainingAccepted:
    """Ask the trainer for a new model version now (it answers with `model.published`)."""
    request_id = uuid.uuid4()
    await run_in_threadpool(resources.producer.send, [outgoing.training_requested(workflow.id, request_id)])
    logger.info("training requested", extra={"workflow_id": workflow.id})
    return TrainingAccepted(request_id=request_id, workflow_id=workflow.id)
