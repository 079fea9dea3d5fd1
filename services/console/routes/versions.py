"""Versions: accuracy, macro-F1, calibration, samples and training time of each; the selected
version's confusion matrix as a heatmap, per-class precision and recall, the threshold table;
train, promote, pin and roll back."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["versions"])


@router.get("/versions", response_class=HTMLResponse)
async def versions_page(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    v: Annotated[int | None, Query(ge=1)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """`after=N`: a training was requested when version N was the newest; the page waits for
    a newer one without a reload."""
    workflow, versions = await asyncio.gather(
        api.workflow(user.api_key, wf), api.get(user.api_key, f"/workflows/{wf}/versions")
    )
    newest = max((x["version"] for x in versions), default=0)
    waiting = after is not None and newest <= after
    chosen = v or (core.live_summary(versions) or {}).get("version") or (newest or None)
    detail: dict[str, Any] | None = None
    thresholds: dict[str, Any] | None = None
    if chosen:
        detail = await api.get(user.api_key, f"/workflows/{wf}/versions/{chosen}")
        try:
            thresholds = await api.get(user.api_key, f"/workflows/{wf}/thresholds")
        except ApiError:
            thresholds = None
    template = "versions_body.html" if request.headers.get("hx-request") else "versions.html"
    return render(
        request,
        template,
        workflow=workflow,
        versions=sorted(versions, key=lambda x: -x["version"]),
        detail=detail,
        heat=core.heatmap(detail.get("confusion_matrix") or []) if detail else [],
        thresholds=thresholds,
        waiting=waiting,
        after=after,
        tab="versions",
    )


@router.post("/train")
async def train(request: Request, wf: str, user: UserDep, api: ApiDep) -> RedirectResponse:
    versions = await api.get(user.api_key, f"/workflows/{wf}/versions")
    newest = max((x["version"] for x in versions), default=0)
    await api.request(user.api_key, "POST", f"/workflows/{wf}/train")
    return RedirectResponse(f"/workflows/{wf}/versions?after={newest}", status_code=303)


@router.post("/versions/{version}/{action}")
async def change_live(
    request: Request, wf: str, version: int, action: str, user: UserDep, api: ApiDep
) -> RedirectResponse:
    """promote, pin (POST /workflows/{key}/versions/{n}/<action>) or rollback."""
    path = "/versions/rollback" if action == "rollback" else f"/versions/{version}/{action}"
    if action not in ("promote", "pin", "rollback"):
        raise ApiError(404, f"no action {action!r}")
    await api.request(user.api_key, "POST", f"/workflows/{wf}{path}", json={})
    return RedirectResponse(f"/workflows/{wf}/versions", status_code=303)


@router.post("/threshold")
async def set_threshold(
    request: Request, wf: str, user: UserDep, api: ApiDep, threshold: Annotated[float, Form(ge=0, le=1)]
) -> RedirectResponse:
    await api.request(user.api_key, "PATCH", f"/workflows/{wf}", json={"threshold": threshold})
    return RedirectResponse(f"/workflows/{wf}/versions", status_code=303)
