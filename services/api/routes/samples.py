"""Training samples: labelled files through the upload door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from services.api import door
from services.api.deps import ResourcesDep, WorkflowDep
from services.api.routes.documents import document_url
from services.api.schemas import DocumentAccepted

router = APIRouter(prefix="/workflows", tags=["samples"])


@router.post("/{key}/samples", status_code=202, response_model=DocumentAccepted)
async def upload_sample(
    workflow: WorkflowDep,
    resources: ResourcesDep,
    request: Request,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, TIFF or ZIP")],
    label: Annotated[str, Form(description="One of the workflow's labels")],
) -> DocumentAccepted:
    """Accept a labelled sample; once its text is extracted it goes to the trainer."""
    if label not in workflow.labels:
        raise HTTPException(
            422, f"label {label!r} is not one of the workflow's labels {workflow.labels}"
        )
    data = await door.read_capped(file, resources.settings.max_upload_bytes)
    media_type = door.check_file(data)
    accepted = await run_in_threadpool(
        door.accept,
        resources,
        workflow,
        data=data,
        media_type=media_type,
        filename=door.safe_filename(file.filename),
        purpose="training",
        label=label,
    )
    accepted.url = document_url(request, resources.settings, accepted.document_id)
    return accepted
