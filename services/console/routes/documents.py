"""Documents: the workflow's processed documents filtered by class, route, status, date and
file name;
one document's page, result and audit trail; download, delete; the retention setting."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["documents"])


@router.get("/documents", response_class=HTMLResponse)
async def documents_page(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    document_class: Annotated[str | None, Query(alias="class", max_length=100)] = None,
    route: Annotated[str | None, Query(pattern="^(extract|review)?$")] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    filters = {
        "class": document_class or None,
        "route": route or None,
        "status": status or None,
        "filename": filename or None,
    }
    params = {**filters, "since": since or None, "cursor": cursor, "limit": 50}
    workflow, page, retention = await asyncio.gather(
        api.workflow(user.api_key, wf),
        api.get(user.api_key, f"/workflows/{wf}/documents", **params),
        api.get(user.api_key, f"/workflows/{wf}/retention"),
    )
    return render(
        request,
        "documents.html",
        workflow=workflow,
        page=page,
        filters={**filters, "since": since},
        retention=retention,
        tab="documents",
    )


@router.get("/documents/{document_id}", response_class=HTMLResponse)
async def document_page(
    request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep
) -> HTMLResponse:
    return await _document(request, wf, document_id, user, api)


async def _document(
    request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep, error: str | None = None
) -> HTMLResponse:
    """The document's page; `error`: a refusal to show above its result."""
    workflow, result, trail = await asyncio.gather(
        api.workflow(user.api_key, wf),
        api.get(user.api_key, f"/documents/{document_id}"),
        api.get(user.api_key, f"/documents/{document_id}/audit"),
    )
    return render(
        request,
        "document.html",
        workflow=workflow,
        result=result,
        bars=core.classifications(result),
        trail=trail,
        divisible=core.divisible(result, workflow),
        error=error,
        tab="documents",
    )


@router.post("/documents/{document_id}/divide", response_class=HTMLResponse)
async def divide(
    request: Request,
    wf: str,
    document_id: str,
    user: UserDep,
    api: ApiDep,
    starts: Annotated[list[int], Form()],
) -> Response:
    """POST /documents/{id}/boundaries with the ticked pages: a document read as one becomes the
    documents it holds; the page then shows them (or the refusal in words)."""
    body = {"starts": sorted(set(starts)), "reviewer": user.name or "console"}
    try:
        await api.json(user.api_key, "POST", f"/documents/{document_id}/boundaries", json=body)
    except ApiError as exc:
        error = core.plain_error(exc.status, exc.detail)
        return await _document(request, wf, document_id, user, api, error=error)
    return RedirectResponse(f"/workflows/{wf}/documents/{document_id}", status_code=303)


@router.get("/documents/{document_id}/original")
async def download(wf: str, document_id: str, user: UserDep, api: ApiDep) -> Response:
    answer = await api.request(user.api_key, "GET", f"/documents/{document_id}/original")
    # The API answers inline (a browser shows it); this link is to save the file.
    disposition = answer.headers.get("content-disposition", "attachment")
    headers = {"Content-Disposition": disposition.replace("inline", "attachment", 1)}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


@router.post("/documents/{document_id}/delete")
async def delete(wf: str, document_id: str, user: UserDep, api: ApiDep) -> RedirectResponse:
    await api.request(user.api_key, "DELETE", f"/documents/{document_id}")
    return RedirectResponse(f"/workflows/{wf}/documents", status_code=303)


@router.post("/retention", response_model=None)
async def set_retention(
    request: Request, wf: str, user: UserDep, api: ApiDep, retention_days: Annotated[str, Form()] = ""
) -> Response:
    days = int(retention_days) if retention_days.strip().isdigit() else None
    try:
        await api.request(user.api_key, "PUT", f"/workflows/{wf}/retention", json={"retention_days": days})
    except ApiError as exc:
        message = core.plain_error(exc.status, exc.detail, exc.retry_after)
        return render(request, "error.html", status_code=exc.status, message=message)
    return RedirectResponse(f"/workflows/{wf}/documents", status_code=303)
