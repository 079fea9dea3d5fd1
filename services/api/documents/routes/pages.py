"""A document's page as an image: what the console shows beside the labels."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from docroute.errors import BlobNotFoundError
from docroute.ocr_result import crop_key
from services.api.deps import BlobStoreDep, CurrentKey, SessionDep
from services.api.documents.service.lookup import find_document
from services.api.documents.service.pages import MAX_WIDTH, page_png

router = APIRouter(prefix="/documents", tags=["documents"])


@router.get(
    "/{document_id}/pages/{page}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}},
        404: {"description": "No such document or page (view=cropped: the page was not cut out of a photo)"},
    },
)
async def read_page_image(
    document_id: str,
    session: SessionDep,
    blobstore: BlobStoreDep,
    principal: CurrentKey,
    page: Annotated[int, Path(ge=1, le=100_000, description="1-based page number")],
    width: Annotated[int, Query(ge=1, le=MAX_WIDTH, description="Width in pixels")] = 900,
    view: Annotated[
        Literal["original", "cropped"],
        Query(description="cropped: the page as OCR read it after cutting it out of a photo"),
    ] = "original",
) -> Response:
    """Page `page` of the document (a training sample too) rendered as PNG, `width` pixels wide:
    PDF pages through pdfium, scans and photos scaled; `view=cropped` the page cut out of a photo
    (the image OCR read, which its word boxes refer to). Private, cacheable for an hour."""
    document = find_document(session, principal, document_id)
    if view == "cropped":
        try:
            crop = await run_in_threadpool(blobstore.get, crop_key(str(document.id), page - 1))
        except BlobNotFoundError:
            raise HTTPException(
                404, f"page {page} was not cut out of a photo: the original is what OCR read"
            ) from None
        png = await run_in_threadpool(page_png, crop, "image/jpeg", 1, width)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
    ref = document.blob_ref or (f"uploads/{document.upload_id}" if document.upload_id else None)
    try:
        data = await run_in_threadpool(blobstore.get, ref) if ref else None
    except BlobNotFoundError:
        data = None
    if data is None:
        raise HTTPException(404, "the original of this document is not stored")
    png = await run_in_threadpool(page_png, data, document.media_type, page, width)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
