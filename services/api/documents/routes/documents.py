"""Uploads: list a workflow's processed documents, fetch an original or its OCR, delete one,
and the retention that deletes documents after N days."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.concurrency import run_in_threadpool

from docroute.errors import BlobNotFoundError
from services.api.deps import BlobStoreDep, CurrentKey, ProducerDep, ResourcesDep, SessionDep, WorkflowDep
from services.api.documents.schemas import DocumentPage, OcrOut, RetentionRun, RetentionSetting
from services.api.documents.service import retention
from services.api.documents.service.deletion import StillProcessingError, delete_document
from services.api.documents.service.lookup import find_document
from services.api.documents.service.queries import (
    BadCursorError,
    DocumentFilter,
    documents_query,
    page,
    summary,
)
from services.api.documents.service.results import ocr_view
from services.api.documents.service.status import Status
from services.api.fields import NO_NUL
from services.api.workflows.models import Workflow

router = APIRouter(tags=["uploads"])

Confidence = Annotated[float | None, Query(ge=0.0, le=1.0)]
ClassFilter = Annotated[
    str | None,
    Query(alias="class", max_length=100, pattern=NO_NUL, description="A reviewer's class, else the model's"),
]


@router.get("/workflows/{key}/documents", response_model=DocumentPage)
def list_documents(
    workflow: WorkflowDep,
    session: SessionDep,
    document_class: ClassFilter = None,
    route: Literal["extract", "review"] | None = None,
    status: Status | None = None,
    unknown: bool | None = None,
    min_confidence: Confidence = None,
    max_confidence: Confidence = None,
    since: Annotated[datetime | None, Query(description="Received at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Received before (ISO 8601)")] = None,
    purpose: Literal["processing", "preview", "training"] = "processing",
    filename: Annotated[
        str | None, Query(max_length=255, pattern=NO_NUL, description="Part of the file name, any case")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DocumentPage:
    """The workflow's documents, newest first, filtered; deleted ones are not listed."""
    where = DocumentFilter(
        purpose=purpose,
        document_class=document_class,
        route=route,
        status=status,
        unknown=unknown,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        since=since,
        until=until,
        filename=filename,
    )
    try:
        query = documents_query(workflow.id, where, cursor)
    except BadCursorError as exc:
        raise HTTPException(422, str(exc)) from exc
    rows, next_cursor = page(session, query, limit)
    return DocumentPage(items=[summary(d) for d in rows], next_cursor=next_cursor)


@router.get(
    "/documents/{document_id}/original",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/*": {}, "application/zip": {}}}},
)
def read_original(
    document_id: str, session: SessionDep, blobstore: BlobStoreDep, principal: CurrentKey
) -> Response:
    """The file as it was received, with its detected content type."""
    document = find_document(session, principal, document_id)
    ref = document.blob_ref or (f"uploads/{document.upload_id}" if document.upload_id else None)
    try:
        data = blobstore.get(ref) if ref else None
    except BlobNotFoundError:
        data = None
    if data is None:
        raise HTTPException(404, "the original of this document is not stored")
    filename = quote(document.filename or f"{document.id}", safe="")
    return Response(
        data,
        media_type=document.media_type or "application/octet-stream",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"},
    )


@router.get("/documents/{document_id}/ocr", response_model=OcrOut)
def read_ocr(document_id: str, session: SessionDep, blobstore: BlobStoreDep, principal: CurrentKey) -> OcrOut:
    """The document's text: per page, the words with their boxes and confidences."""
    document = find_document(session, principal, document_id)
    try:
        return ocr_view(blobstore.get_json(document.ocr_ref)) if document.ocr_ref else _no_ocr()
    except BlobNotFoundError:
        return _no_ocr()


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    responses={409: {"description": "Still being processed"}},
)
def delete(
    document_id: str,
    session: SessionDep,
    blobstore: BlobStoreDep,
    producer: ProducerDep,
    principal: CurrentKey,
) -> Response:
    """Delete a processed document: original (unless another document has the same bytes), OCR,
    route record; a zip's members with it; a labelled one leaves the training set. The audit
    trail keeps that it was deleted, by which key."""
    document = find_document(session, principal, document_id, for_update=True)
    try:
        delete_document(session, blobstore, producer, document, actor=f"API key {principal.name}")
    except StillProcessingError as exc:
        raise HTTPException(409, str(exc)) from exc
    return Response(status_code=204)


@router.put("/workflows/{key}/retention", response_model=RetentionSetting)
def set_retention(workflow: WorkflowDep, body: RetentionSetting, session: SessionDep) -> RetentionSetting:
    """Delete processed documents (S3 objects included) this many days after they arrived;
    null keeps them. Training samples are not affected. Sweeps run every hour in the API."""
    row = session.get(Workflow, workflow.id)
    assert row is not None  # WorkflowDep found it
    row.retention_days = body.retention_days
    session.commit()
    return RetentionSetting(retention_days=row.retention_days)


@router.get("/workflows/{key}/retention", response_model=RetentionSetting)
def read_retention(workflow: WorkflowDep) -> RetentionSetting:
    return RetentionSetting(retention_days=workflow.retention_days)


@router.post("/workflows/{key}/retention/run", response_model=RetentionRun)
async def run_retention(workflow: WorkflowDep, resources: ResourcesDep) -> RetentionRun:
    """Apply the retention now instead of at the next sweep; says what it deleted."""
    deleted = await run_in_threadpool(retention.sweep, resources, workflow_id=workflow.id)
    ids = deleted.get(workflow.id, [])
    return RetentionRun(
        workflow_id=workflow.id, retention_days=workflow.retention_days, deleted=len(ids), document_ids=ids
    )


def _no_ocr() -> OcrOut:
    raise HTTPException(404, "this document has no text (yet)")
