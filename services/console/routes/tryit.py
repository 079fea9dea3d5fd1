"""Try it: a document through the live version (POST /processing/{key}?wait=): its page,
confidence per class, the route and why, the nearest samples and strongest terms, or unknown;
the newest candidate version's answer beside it on request (POST /processing/{key}/preview)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["try it"])
WAIT_S = 60


@router.get("/try", response_class=HTMLResponse)
async def try_form(request: Request, wf: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    workflow = await api.workflow(user.api_key, wf)
    return render(request, "tryit.html", workflow=workflow, tab="try")


@router.post("/try", response_class=HTMLResponse)
async def try_document(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    file: Annotated[UploadFile, File()],
    candidate: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """The live version's answer; with `candidate`, the newest candidate's beside it (a preview:
    not routed, not counted)."""
    data = await file.read()
    part = (file.filename or "document", data, file.content_type or "application/octet-stream")
    calls = [
        api.json(user.api_key, "POST", f"/processing/{wf}", params={"wait": WAIT_S}, files={"file": part})
    ]
    if candidate:
        path = f"/processing/{wf}/preview"
        calls.append(api.json(user.api_key, "POST", path, params={"wait": WAIT_S}, files={"file": part}))
    answers = await asyncio.gather(*calls, return_exceptions=True)
    live = answers[0]
    if isinstance(live, ApiError):
        message = core.plain_error(live.status, live.detail, live.retry_after)
        return render(request, "error_fragment.html", message=message)
    if isinstance(live, BaseException):
        raise live
    results: list[tuple[str, Any, list[tuple[str, float]], str | None]] = [
        ("Live version", live, core.classifications(live), None)
    ]
    if candidate:
        preview = answers[1]
        if isinstance(preview, ApiError):
            note = core.plain_error(preview.status, preview.detail, preview.retry_after)
            results.append(("Candidate", None, [], note))
        elif isinstance(preview, dict):
            results.append(("Candidate (preview)", preview, core.classifications(preview), None))
    return render(request, "try_result.html", wf=wf, results=results)
