"""Workflows: create, read, ask for training, list model versions."""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from docroute.kafka import provision_topics
from docroute.topics import extract_topic
from services.api import crud, outgoing
from services.api.deps import ResourcesDep, SessionDep, WorkflowDep
from services.api.schemas import TrainingAccepted, VersionPublic, WorkflowCreate, WorkflowPublic

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.post("", status_code=201, response_model=WorkflowPublic)
def create_workflow(
    body: WorkflowCreate, session: SessionDep, resources: ResourcesDep
) -> WorkflowPublic:
    """Create a workflow: its row, its extraction topics, and `workflow.updated` for the services.

    All or nothing: the row commits only after the topics exist and the event is acknowledged.
    """
    workflow = crud.new_workflow(body)
    session.add(workflow)
    session.flush()
    provision_topics(resources.settings.kafka, extra=[extract_topic(x) for x in workflow.labels])
    resources.producer.send([outgoing.workflow_updated(workflow)])
    session.commit()
    logger.info("workflow %r created", workflow.name, extra={"workflow_id": workflow.id})
    return WorkflowPublic.model_validate(workflow)


@router.get("/{key}", response_model=WorkflowPublic)
def read_workflow(workflow: WorkflowDep) -> WorkflowPublic:
    return WorkflowPublic.model_validate(workflow)


@router.post("/{key}/train", status_code=202, response_model=TrainingAccepted)
async def request_training(workflow: WorkflowDep, resources: ResourcesDep) -> TrainingAccepted:
    """Ask the trainer for a new model version now (it answers with `model.published`)."""
    request_id = uuid.uuid4()
    await run_in_threadpool(
        resources.producer.send, [outgoing.training_requested(workflow.id, request_id)]
    )
    logger.info("training requested", extra={"workflow_id": workflow.id})
    return TrainingAccepted(request_id=request_id, workflow_id=workflow.id)


@router.get("/{key}/versions", response_model=list[VersionPublic])
def list_versions(workflow: WorkflowDep, session: SessionDep) -> list[VersionPublic]:
    """Published model versions, newest first; `live` marks the one serving predictions."""
    return [VersionPublic.model_validate(v) for v in crud.versions(session, workflow.id)]
