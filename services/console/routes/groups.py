"""Label by groups: the unlabelled samples in groups of alike text (the API groups them), each
a wall of thumbnails; uncheck the odd ones, then label the rest of the group in one request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["label by groups"])


@router.get("/groups", response_class=HTMLResponse)
async def groups_page(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    k: Annotated[int | None, Query(ge=1, le=50)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    workflow = await api.workflow(user.api_key, wf)
    grouped = await api.get(user.api_key, f"/workflows/{wf}/samples/groups", k=k)
    return render(request, "groups.html", workflow=workflow, grouped=grouped, k=k, error=error, tab="groups")


@router.post("/groups", response_model=None)
async def label_group(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    label: Annotated[str, Form()],
    sample: Annotated[list[str], Form()],
) -> Response:
    """The checked members of a group get `label` (POST /workflows/{key}/samples/labels)."""
    body = {"labels": [{"sample_id": s, "label": label} for s in sample]}
    try:
        await api.request(user.api_key, "POST", f"/workflows/{wf}/samples/labels", json=body)
    except ApiError as exc:
        message = core.plain_error(exc.status, exc.detail, exc.retry_after)
        return render(request, "error.html", status_code=exc.status, message=message)
    return RedirectResponse(f"/workflows/{wf}/groups", status_code=303)
