"""Sign in with an API key (the API says whose it is), sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, SessionDep, render

router = APIRouter(tags=["sign in"])


@router.get("/signin", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    return render(request, "signin.html", error=None)


@router.post("/signin", response_model=None)
async def sign_in(
    request: Request, session: SessionDep, api: ApiDep, api_key: Annotated[str, Form(max_length=500)]
) -> Response:
    """The key is checked with GET /api-keys/me; a valid one is kept in the encrypted cookie."""
    key = api_key.strip()
    try:
        me = await api.get(key, "/api-keys/me")
    except ApiError as exc:
        message = "That key is not valid." if exc.status == 401 else core.plain_error(exc.status, exc.detail)
        return render(request, "signin.html", status_code=401 if exc.status == 401 else 502, error=message)
    request.state.session = session.signed_in(key, me.get("name") or "admin", bool(me.get("admin")))
    return RedirectResponse("/", status_code=303)


@router.post("/signout")
def sign_out(request: Request, session: SessionDep) -> RedirectResponse:
    request.state.session = session.anonymous()
    return RedirectResponse("/signin", status_code=303)
