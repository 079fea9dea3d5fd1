"""Dependencies of the routes, as `Annotated` types (`SessionDep`, `WorkflowDep`, ...)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from services.api import usage
from services.api.adapters import LazyProducer, Resources
from services.api.auth import Principal, authenticate
from services.api.models import Workflow
from services.api.ratelimit import RateLimiter, retry_after_header
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


_BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
_API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <API key>`")


def get_current_key(
    request: Request,
    resources: ResourcesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    api_key: Annotated[str | None, Depends(_API_KEY_HEADER)],
) -> Principal:
    """Who calls: 401 without a valid key, 429 past the key's rate limit (not for the admin)."""
    token = api_key or (bearer.credentials if bearer else None)
    challenge = {"WWW-Authenticate": "Bearer"}
    if not token:
        detail = "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`"
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers=challenge)
    with resources.sessions() as session:
        principal = authenticate(session, resources.settings.admin_api_key, token)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key", challenge)
    limiter: RateLimiter = request.app.state.rate_limiter
    wait_s = 0.0 if principal.admin else limiter.take(principal.key_id)
    if wait_s:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"rate limit exceeded: {limiter.per_second:g} requests/s per API key and replica "
            f"(bursts of {limiter.burst}); retry in {wait_s:.1f}s",
            headers={"Retry-After": retry_after_header(wait_s)},
        )
    request.state.principal = principal
    return principal


CurrentKey = Annotated[Principal, Depends(get_current_key)]


def require_admin(principal: CurrentKey) -> Principal:
    """403 unless the caller holds the admin key."""
    if not principal.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin API key")
    return principal


AdminKey = Annotated[Principal, Depends(require_admin)]


def require_scope(principal: Principal, workflow_id: uuid.UUID | None, what: str) -> None:
    """404 (never 403: existence stays hidden) when the key may not use `workflow_id`."""
    if not principal.can_use(workflow_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, what)


def _load_workflow(
    key: str, resources: Resources, principal: Principal, *, archived_too: bool
) -> Workflow:
    workflow_id = parse_key(key)
    workflow = None
    if workflow_id is not None and principal.can_use(workflow_id):
        with resources.sessions() as session:
            workflow = session.get(Workflow, workflow_id)
    if workflow is None or (workflow.archived and not archived_too):
        adjective = "" if archived_too else "active "
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {adjective}workflow with key {key!r}")
    return workflow


def get_workflow(key: str, resources: ResourcesDep, principal: CurrentKey) -> Workflow:
    """The active workflow `key` names (detached); 404 when there is none, it is archived, or
    the caller's key may not use it.

    Its own short session: the upload door may wait a minute and must not hold a connection.
    """
    return _load_workflow(key, resources, principal, archived_too=False)


def get_workflow_any_state(key: str, resources: ResourcesDep, principal: CurrentKey) -> Workflow:
    """Like `get_workflow`, archived workflows included (to read, change or unarchive them)."""
    return _load_workflow(key, resources, principal, archived_too=True)


WorkflowDep = Annotated[Workflow, Depends(get_workflow)]
WorkflowAnyStateDep = Annotated[Workflow, Depends(get_workflow_any_state)]


def get_metered_workflow(workflow: WorkflowDep, resources: ResourcesDep) -> Workflow:
    """The workflow, if its plan's monthly page allowance is not used up (429 otherwise)."""
    with resources.sessions() as session:
        usage.refuse_over_allowance(session, resources.settings.usage, workflow)
    return workflow


MeteredWorkflowDep = Annotated[Workflow, Depends(get_metered_workflow)]
