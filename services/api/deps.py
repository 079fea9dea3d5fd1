"""Dependencies of the routes, as `Annotated` types (`SessionDep`, `WorkflowDep`, ...)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from services.api.adapters import LazyProducer, Resources
from services.api.models import Workflow
from services.api.settings import ApiSettings


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings(resources: ResourcesDep) -> ApiSettings:
    return resources.settings


def get_session(resources: ResourcesDep) -> Iterator[Session]:
    with resources.sessions() as session:
        yield session


def get_blobstore(resources: ResourcesDep) -> BlobStore:
    return resources.blobstore


def get_producer(resources: ResourcesDep) -> LazyProducer:
    return resources.producer


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
BlobStoreDep = Annotated[BlobStore, Depends(get_blobstore)]
ProducerDep = Annotated[LazyProducer, Depends(get_producer)]


def parse_key(key: str) -> uuid.UUID | None:
    """A workflow key as a UUID; None when it is not one (which is just another unknown key)."""
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


def get_workflow(key: str, resources: ResourcesDep) -> Workflow:
    """The active workflow `key` names (detached); 404 when there is none or it is archived.

    Its own short session: the upload door may wait a minute and must not hold a connection.
    """
    workflow_id = parse_key(key)
    workflow = None
    if workflow_id is not None:
        with resources.sessions() as session:
            workflow = session.get(Workflow, workflow_id)
    if workflow is None or workflow.archived:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no active workflow with key {key!r}")
    return workflow


WorkflowDep = Annotated[Workflow, Depends(get_workflow)]
