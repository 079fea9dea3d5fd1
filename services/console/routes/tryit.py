"""Try it: a document through the live version (POST /processing/{key}?wait=): its page,
confidence per class, the route and why, the nearest samples and strongest terms, or unknown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
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
    request: Request, wf: str, user: UserDep, api: ApiDep, file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    part = {"file": (file.filename or "document", file.file, file.content_type or "application/octet-stream")}
    try:
        result = await api.json(
            user.api_key, "POST", f"/processing/{wf}", params={"wait": WAIT_S}, files=part
        )
    except ApiError as exc:
        message = core.plain_error(exc.status, exc.detail, exc.retry_after)
        return render(request, "error_fragment.html", message=message)
    return render(request, "try_result.html", wf=wf, result=result, bars=core.classifications(result))
