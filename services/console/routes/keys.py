"""API keys (admin): mint a key scoped to workflows (shown once), list, revoke."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/keys", tags=["api keys"])


@router.get("", response_class=HTMLResponse)
async def keys_page(request: Request, user: UserDep, api: ApiDep) -> HTMLResponse:
    keys, workflows = await asyncio.gather(
        api.get(user.api_key, "/api-keys"), api.get(user.api_key, "/workflows")
    )
    return render(request, "keys.html", keys=keys, workflows=workflows, minted=None, error=None)


@router.post("", response_model=None)
async def mint(
    request: Request,
    user: UserDep,
    api: ApiDep,
    name: Annotated[str, Form(max_length=200)],
    workflow: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """POST /api-keys; the new key is shown on this answer only."""
    minted, error = None, None
    try:
        minted = await api.json(
            user.api_key, "POST", "/api-keys", json={"name": name, "workflow_keys": workflow or []}
        )
    except ApiError as exc:
        error = core.plain_error(exc.status, exc.detail, exc.retry_after)
    keys, workflows = await asyncio.gather(
        api.get(user.api_key, "/api-keys"), api.get(user.api_key, "/workflows")
    )
    return render(request, "keys.html", keys=keys, workflows=workflows, minted=minted, error=error)


@router.post("/{key_id}/revoke")
async def revoke(key_id: str, user: UserDep, api: ApiDep) -> RedirectResponse:
    await api.request(user.api_key, "DELETE", f"/api-keys/{key_id}")
    return RedirectResponse("/keys", status_code=303)
