"""Usage: pages, documents and credits this month against the plan, and per day; the workflow's API: code
snippets with copy buttons, its own OpenAPI document rendered with bundled Swagger UI, and the event
API's AsyncAPI page (its Kafka topics), served through the console from the API."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["usage and API"])


@router.get("/usage", response_class=HTMLResponse)
async def usage_page(request: Request, wf: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    workflow, usage, days = await asyncio.gather(
        api.workflow(user.api_key, wf),
        api.get(user.api_key, f"/workflows/{wf}/usage"),
        api.get(user.api_key, f"/workflows/{wf}/usage/days"),
    )
    allowance = usage.get("page_allowance")
    share = min(1.0, usage["pages"] / allowance) if allowance else None
    most = max((d["pages"] for d in days), default=0) or 1
    return render(
        request, "usage.html", workflow=workflow, usage=usage, share=share, days=days, most=most, tab="usage"
    )


@router.get("/api", response_class=HTMLResponse)
async def api_page(request: Request, wf: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    workflow, snippets = await asyncio.gather(
        api.workflow(user.api_key, wf), api.get(user.api_key, f"/workflows/{wf}/snippets")
    )
    return render(request, "api.html", workflow=workflow, snippets=snippets, tab="api")


@router.get("/api/openapi.json")
async def workflow_openapi(wf: str, user: UserDep, api: ApiDep) -> JSONResponse:
    """The workflow's OpenAPI document, for the Swagger UI on the API page."""
    document: dict[str, Any] = await api.get(user.api_key, f"/workflows/{wf}/openapi.json")
    return JSONResponse(document)


@router.get("/api/asyncapi.html", response_class=HTMLResponse)
async def event_api_page(wf: str, user: UserDep, api: ApiDep) -> Response:
    """The event API's AsyncAPI page (the same for every workflow), from the API: no CDN."""
    await api.workflow(user.api_key, wf)  # the key may see this workflow
    page = await api.request(user.api_key, "GET", "/asyncapi.html")
    return HTMLResponse(page.text, status_code=page.status_code)
