"""Processing: classify and route a file, optionally waiting for the result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from services.api.deps import MeteredWorkflowDep, ResourcesDep
from services.api.documents.routes.results import document_url
from services.api.documents.schemas import DocumentAccepted, ProcessingResult
from services.api.documents.service import door
from services.api.documents.service.status import is_final
from services.api.documents.service.waiting import result_within

router = APIRouter(prefix="/processing", tags=["processing"])


@router.post(
    "/{key}",
    status_code=202,
    response_model=ProcessingResult | DocumentAccepted,
    responses={
        200: {"model": ProcessingResult, "description": "Final result within `wait`"},
        429: {"description": "Monthly page allowance used up, or the key's rate limit"},
    },
)
async def process(
    workflow: MeteredWorkflowDep,
    resources: ResourcesDep,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, TIFF or ZIP")],
    wait: Annotated[float | None, Query(ge=0, description="Seconds to wait for the final result")] = None,
) -> ProcessingResult | DocumentAccepted:
    """Accept a document (202); with `wait`, answer 200 with the result if it is final in time."""
    settings = resources.settings
    accepted = await door.take_upload(resources, workflow, file, purpose="processing")
    accepted.url = document_url(request, settings, accepted.document_id)
    if not wait:
        return accepted
    return await result_within(resources, accepted, wait, response, is_final)
