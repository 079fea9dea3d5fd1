"""Preview: run a candidate version on a document without routing it or counting it as usage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from services.api.adapters import Resources
from services.api.deps import ResourcesDep, WorkflowDep
from services.api.documents.routes.results import document_url
from services.api.documents.schemas import DocumentAccepted, ProcessingResult
from services.api.documents.service import door
from services.api.documents.service.waiting import result_within
from services.api.versions.models import ModelVersion
from services.api.versions.service.history import live_state
from services.api.workflows.models import Workflow

router = APIRouter(prefix="/processing", tags=["processing"])
# A preview is done once classified: the router ignores previews, so it is never routed.
DONE = frozenset({"classified", "failed"})


@router.post(
    "/{key}/preview",
    status_code=202,
    response_model=ProcessingResult | DocumentAccepted,
    responses={
        200: {"model": ProcessingResult, "description": "The candidate's classification within `wait`"},
        409: {"description": "No candidate version to preview"},
    },
)
async def preview(
    workflow: WorkflowDep,
    resources: ResourcesDep,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG or TIFF (one document, not a zip)")],
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Version to try; default: the newest candidate")
    ] = None,
    wait: Annotated[float | None, Query(ge=0, description="Seconds to wait for the classification")] = None,
) -> ProcessingResult | DocumentAccepted:
    """Classify a document with a candidate version (OCR and classification as in production):
    not routed, not metered, the live version untouched. The result's `model_version` says
    which version answered."""
    settings = resources.settings
    chosen = await run_in_threadpool(_version, resources, workflow, version)
    accepted = await door.take_upload(
        resources, workflow, file, purpose="preview", model_version=chosen, allow_zip=False
    )
    accepted.url = document_url(request, settings, accepted.document_id)
    if not wait:
        return accepted
    return await result_within(resources, accepted, wait, response, DONE.__contains__)


def _version(resources: Resources, workflow: Workflow, requested: int | None) -> int:
    """The requested version if published, else the newest candidate (newer than the live one)."""
    with resources.sessions() as session:
        if requested is not None:
            if session.get(ModelVersion, (workflow.id, requested)) is None:
                raise HTTPException(404, f"this workflow has no version {requested}")
            return requested
        live = live_state(session, workflow.id).version
        newest = session.scalar(
            select(ModelVersion.version)
            .where(ModelVersion.workflow_id == workflow.id, ModelVersion.version > live)
            .where(ModelVersion.live.is_(False))
            .order_by(ModelVersion.version.desc())
            .limit(1)
        )
    if newest is None:
        raise HTTPException(
            409, f"no candidate newer than the live v{live}: pass ?version=N to preview a published version"
        )
    return int(newest)
