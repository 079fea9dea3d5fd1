"""Documents: the result of one document, whichever door it came through."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request

from services.api.access.service.auth import parse_key, require_scope
from services.api.deps import BlobStoreDep, CurrentKey, SessionDep
from services.api.documents.models import Document
from services.api.documents.schemas import ProcessingResult
from services.api.documents.service.results import build_result
from services.api.settings import ApiSettings

router = APIRouter(prefix="/documents", tags=["documents"])


def document_url(request: Request, settings: ApiSettings, document_id: uuid.UUID) -> str:
    base = settings.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/documents/{document_id}"


@router.get("/{document_id}", response_model=ProcessingResult)
def read_document(
    document_id: str, session: SessionDep, blobstore: BlobStoreDep, principal: CurrentKey
) -> ProcessingResult:
    """Status, confidence per class, route, OCR, failure reason and, for a zip, its members."""
    key = parse_key(document_id)
    document = session.get(Document, key) if key else None
    missing = f"no document with id {document_id!r}"
    if document is None or document.deleted_at is not None:
        raise HTTPException(404, missing)
    require_scope(principal, document.workflow_id, missing)
    return build_result(session, blobstore, document)
