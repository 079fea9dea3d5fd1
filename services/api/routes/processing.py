"""Processing: classify and route a file, optionally waiting for the result."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from services.api import crud, door
from services.api.adapters import Resources
from services.api.deps import MeteredWorkflowDep, ResourcesDep
from services.api.models import Document
from services.api.results import build_result
from services.api.routes.documents import document_url
from services.api.schemas import DocumentAccepted, ProcessingResult
from services.api.status import is_final

router = APIRouter(prefix="/processing", tags=["processing"])

POLL_S = 0.2


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
    deadline = time.monotonic() + min(wait, settings.max_wait_s)
    while True:
        current = await run_in_threadpool(_status, resources, accepted.document_id)
        if current is not None and is_final(current):
            response.status_code = 200
            return await run_in_threadpool(_result, resources, accepted.document_id)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            accepted.status = current or accepted.status
            return accepted
        await asyncio.sleep(min(POLL_S, remaining))


def _status(resources: Resources, document_id: uuid.UUID) -> str | None:
    with resources.sessions() as session:
        return crud.effective_status(session, document_id)


def _result(resources: Resources, document_id: uuid.UUID) -> ProcessingResult:
    with resources.sessions() as session:
        document = session.get(Document, document_id)
        assert document is not None  # its row was committed before it was accepted
        return build_result(session, resources.blobstore, document)
