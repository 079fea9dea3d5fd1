"""Training samples: labelled files through the upload door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile

from docroute.intake import unknown_label_reason
from services.api.deps import ResourcesDep, WorkflowDep
from services.api.documents.routes.results import document_url
from services.api.documents.schemas import DocumentAccepted
from services.api.documents.service import door

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
    unknown = unknown_label_reason(label, list(workflow.labels))
    if unknown:
        raise HTTPException(422, f"{unknown} (unknown_label)")
    accepted = await door.take_upload(resources, workflow, file, purpose="training", label=label)
    accepted.url = document_url(request, resources.settings, accepted.document_id)
    return accepted
