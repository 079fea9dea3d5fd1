"""Dependencies of the routes, as `Annotated` types (`SessionDep`, `WorkflowDep`, ...)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Sequence
from types import UnionType
from typing import Annotated, Any, Union, cast, get_args, get_origin

from fastapi import Depends, HTTPException, Request, params, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from services.api.access.service import usage
from services.api.access.service.auth import Principal, authenticate, parse_key
from services.api.access.service.ratelimit import RateLimiter, retry_after_header
from services.api.adapters import LazyProducer, Resources
from services.api.settings import ApiSettings
from services.api.workflows.models import Workflow


def get_resources(request: Request) -> Resources:
    return cast(Resources, request.app.state.resources)


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


_BOTH_HEADERS = (
    " Send the key in one of the two headers; a request that sends both must send the same key"
    " in each (400 otherwise). `Authorization` with another scheme than Bearer is ignored."
)
_BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`." + _BOTH_HEADERS)
_API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="`X-API-Key: <API key>`." + _BOTH_HEADERS
)


def presented_key(bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> str | None:
    """The key a request presents; 400 when its two headers carry different keys.

    No precedence: a proxy that sets one header while the client sets the other would
    otherwise decide, silently, which key (and whose workflows) the request uses.
    """
    bearer_key = bearer.credentials if bearer else None
    if bearer_key and api_key and not hmac.compare_digest(bearer_key.encode(), api_key.encode()):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "`Authorization: Bearer` and `X-API-Key` carry different keys: send one key, in one header",
        )
    return api_key or bearer_key


def get_current_key(
    request: Request,
    resources: ResourcesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    api_key: Annotated[str | None, Depends(_API_KEY_HEADER)],
) -> Principal:
    """Who calls: 401 without a valid key, 429 past the key's rate limit (not for the admin)."""
    token = presented_key(bearer, api_key)
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


async def refuse_repeated_form_fields(request: Request) -> None:
    """422 when a form field the route takes once (`file`, `label`) comes more than once, or
    when a form's text holds NUL: otherwise the last part would win and the others vanish."""
    single = single_form_fields(request.scope.get("route"))
    if single is None:
        return
    form = await request.form()  # FastAPI has parsed it already: this is the same, cached form
    errors = [
        {"loc": ("body", name), "type": "field_repeated", "msg": f"send one `{name}` part, not several"}
        for name in single
        if len(form.getlist(name)) > 1
    ]
    errors += [
        {"loc": ("body", name), "type": "string_nul", "msg": "the text holds a NUL character (\\u0000)"}
        for name, value in form.multi_items()
        if isinstance(value, str) and "\x00" in value
    ]
    if errors:
        raise RequestValidationError(errors)


def single_form_fields(route: object) -> list[str] | None:
    """Names of the form fields `route` takes one of; None when it takes no form."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    fields = [f for f in _body_params(dependant) if isinstance(f.field_info, params.Form)]
    if not fields:
        return None
    return [f.alias for f in fields if not _takes_many(f.field_info.annotation)]


def _body_params(dependant: Any) -> Iterator[Any]:
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _body_params(sub)


def _takes_many(annotation: object) -> bool:
    """`list[UploadFile]`, `list[str] | None`, ...: a field a form may repeat."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_takes_many(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset) or (
        isinstance(origin, type) and issubclass(origin, Sequence) and origin is not str
    )


def require_admin(principal: CurrentKey) -> Principal:
    """403 unless the caller holds the admin key."""
    if not principal.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin API key")
    return principal


AdminKey = Annotated[Principal, Depends(require_admin)]


def _load_workflow(key: str, resources: Resources, principal: Principal, *, archived_too: bool) -> Workflow:
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
