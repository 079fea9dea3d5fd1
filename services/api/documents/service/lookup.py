"""Finding the document a request names, within what the caller's API key may see."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.api.access.service.auth import Principal, parse_key, require_scope
from services.api.documents.models import Document
from services.api.errors import NotFoundError


def find_document(
    session: Session,
    principal: Principal,
    document_id: str,
    *,
    for_update: bool = False,
    deleted_too: bool = False,
) -> Document:
    """The document, 404 when it does not exist, is deleted, or belongs to another workflow."""
    missing = f"no document with id {document_id!r}"
    key = parse_key(document_id)
    document = session.get(Document, key, with_for_update=for_update) if key else None
    if document is None or (document.deleted_at is not None and not deleted_too):
        raise NotFoundError(missing)
    require_scope(principal, document.workflow_id, missing)
    return document
