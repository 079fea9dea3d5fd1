"""Training data: upload files and zips of class folders as a batch; follow each batch (files
accepted, read, labelled, failed with the reason); counts per class against the rule of thumb."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from services.console import core
from services.console.adapters import ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["training data"])


@router.get("/data", response_class=HTMLResponse)
async def training_data(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    notice: Annotated[str | None, Query(max_length=600)] = None,
) -> HTMLResponse:
    workflow, readiness, batches, openapi = await asyncio.gather(
        api.workflow(user.api_key, wf),
        api.get(user.api_key, f"/workflows/{wf}/readiness"),
        api.get(user.api_key, f"/workflows/{wf}/batches"),
        # Its limits: the page sends a big batch in requests under the API's body cap.
        api.get(user.api_key, f"/workflows/{wf}/openapi.json"),
    )
    return render(
        request,
        "training.html",
        workflow=workflow,
        readiness=readiness,
        batches=batches[:5],
        notice=notice,
        max_request_bytes=core.request_cap(openapi),
        tab="data",
    )


@router.post("/data", response_class=HTMLResponse)
async def upload(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    files: Annotated[list[UploadFile], File()],
    label: Annotated[str, Form()] = "",
    paths: Annotated[list[str] | None, Form()] = None,
    batch_id: Annotated[uuid.UUID | None, Form()] = None,
) -> HTMLResponse:
    """The files as one batch (POST /workflows/{key}/batches), or added to `batch_id` (a big
    batch comes in several requests, each under the API's body cap); its progress fragment
    follows it. `paths`, one per file, where a folder was dropped or chosen: each file's path
    inside it, so class folders label their files (per-file `labels`) as a zip's do."""
    parts = [
        ("files", (f.filename or "file", f.file, f.content_type or "application/octet-stream")) for f in files
    ]
    data: dict[str, Any] | None = {"label": label} if label else None
    if paths and len(paths) == len(files) and any(paths):
        workflow = await api.workflow(user.api_key, wf)
        data = {"labels": core.folder_labels(paths, label, workflow["labels"])}
    path = f"/workflows/{wf}/batches" + (f"/{batch_id}/files" if batch_id else "")
    try:
        batch = await api.json(user.api_key, "POST", path, files=parts, data=data)
    except ApiError as exc:
        names = [f.filename or "file" for f in files]
        message = core.plain_error(exc.status, exc.detail, exc.retry_after)
        return render(request, "upload_refused.html", status_code=200, message=message, names=names)
    return await _batch_fragment(request, wf, user.api_key, api, batch)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
async def batch_progress(
    request: Request, wf: str, batch_id: str, user: UserDep, api: ApiDep
) -> HTMLResponse:
    batch = await api.get(user.api_key, f"/workflows/{wf}/batches/{batch_id}")
    return await _batch_fragment(request, wf, user.api_key, api, batch)


async def _batch_fragment(
    request: Request, wf: str, key: str | None, api: ApiDep, batch: dict[str, Any]
) -> HTMLResponse:
    samples = await api.get(key, f"/workflows/{wf}/samples", batch_id=batch["batch_id"], limit=500)
    return render(request, "batch.html", wf=wf, batch=batch, samples=samples)
