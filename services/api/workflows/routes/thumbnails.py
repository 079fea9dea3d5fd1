"""A workflow's thumbnail: a small PNG or JPEG kept in S3, served back to key holders."""

from __future__ import annotations

import hashlib
import io
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from PIL import Image, UnidentifiedImageError

from docroute.errors import BlobNotFoundError
from services.api.adapters import Resources
from services.api.deps import ResourcesDep, SessionDep, WorkflowAnyStateDep, WorkflowDep
from services.api.documents.service import door
from services.api.workflows.models import Workflow
from services.api.workflows.schemas import WorkflowPublic
from services.api.workflows.service.changes import save_and_publish

router = APIRouter(prefix="/workflows", tags=["workflows"])

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_SIDE = 1024


def check_thumbnail(data: bytes) -> str:
    """The media type of a thumbnail; 422 unless a PNG or JPEG at most MAX_SIDE pixels a side.

    Only the header is read (no decoding), so a huge image cannot cost memory.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the thumbnail is not an image") from exc
    if fmt not in FORMATS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"send a PNG or JPEG thumbnail, not {fmt}")
    if max(width, height) > MAX_SIDE:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the thumbnail is {width}x{height}: at most {MAX_SIDE} pixels a side",
        )
    return FORMATS[fmt]


@router.put("/{key}/thumbnail", response_model=WorkflowPublic)
async def put_thumbnail(
    found: WorkflowDep,
    resources: ResourcesDep,
    file: Annotated[UploadFile, File(description="PNG or JPEG, at most 1024 px a side")],
) -> WorkflowPublic:
    """Set the thumbnail (413 past `max_thumbnail_bytes`, 256 KiB by default)."""
    data = await door.read_capped(file, resources.settings.max_thumbnail_bytes)
    media_type = check_thumbnail(data)
    return await run_in_threadpool(_store, resources, found, data, media_type)


def _store(resources: Resources, found: Workflow, data: bytes, media_type: str) -> WorkflowPublic:
    digest = hashlib.sha256(data).hexdigest()
    ref = str(resources.blobstore.put(f"thumbnails/{found.id}/{digest}", data, content_type=media_type))
    with resources.sessions() as session:
        workflow = session.get_one(Workflow, found.id)
        old = workflow.thumbnail_ref
        if old != ref:
            workflow.thumbnail_ref = ref
            save_and_publish(session, resources, workflow)
            if old:
                resources.blobstore.delete(old)
        return WorkflowPublic.model_validate(workflow)


@router.get(
    "/{key}/thumbnail",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The image"}},
)
def get_thumbnail(workflow: WorkflowAnyStateDep, resources: ResourcesDep) -> Response:
    if not workflow.thumbnail_ref:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the workflow has no thumbnail")
    try:
        data = resources.blobstore.get(workflow.thumbnail_ref)
    except BlobNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the workflow's thumbnail is gone") from exc
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=300"})


@router.delete("/{key}/thumbnail", response_model=WorkflowPublic)
def delete_thumbnail(found: WorkflowDep, session: SessionDep, resources: ResourcesDep) -> WorkflowPublic:
    """Remove the thumbnail (the S3 object is deleted once the change is published)."""
    workflow = session.get_one(Workflow, found.id)
    ref = workflow.thumbnail_ref
    if ref:
        workflow.thumbnail_ref = None
        save_and_publish(session, resources, workflow)
        resources.blobstore.delete(ref)
    return WorkflowPublic.model_validate(workflow)
