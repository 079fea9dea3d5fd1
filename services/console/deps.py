"""Dependencies of the console's routes: the session, the signed-in user, the API client, the
CSRF check, and rendering a template with what every page needs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.console.adapters import ApiClient
from services.console.session import CSRF_FIELD, CSRF_HEADER, Session

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequiredError(Exception):
    """Nobody is signed in (or the API no longer takes the session's key)."""


def get_session(request: Request) -> Session:
    session: Session = request.state.session
    return session


def get_user(request: Request) -> Session:
    session = get_session(request)
    if not session.api_key:
        raise SignInRequiredError
    return session


def get_api(request: Request) -> ApiClient:
    api: ApiClient = request.app.state.api
    return api


async def check_csrf(request: Request) -> None:
    """Every unsafe request carries the session's token: header (htmx) or form field."""
    if request.method not in UNSAFE:
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not get_session(request).csrf_matches(token):
        raise HTTPException(403, "this form has expired: reload the page and try again")


SessionDep = Annotated[Session, Depends(get_session)]
UserDep = Annotated[Session, Depends(get_user)]
ApiDep = Annotated[ApiClient, Depends(get_api)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The template with the session (name, CSRF token) and the request in its context."""
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("session", get_session(request))
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
