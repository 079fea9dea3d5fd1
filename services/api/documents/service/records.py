"""Database work of the routes: values in, rows out. No HTTP and no Kafka here."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api.documents.models import Document
from services.api.documents.service.status import aggregate


def members(session: Session, document: Document, *, superseded: bool = False) -> list[Document]:
    """Documents expanded from this upload (a zip's members, in archive order) or divided from
    this stack (its parts, in page order); ``superseded``: also the parts a correction of the
    stack's boundaries replaced."""
    parents = [str(document.id)] + ([document.upload_id] if document.upload_id else [])
    query = (
        select(Document)
        .where(Document.parent_id.in_(parents), Document.id != document.id)
        .order_by(Document.member_path, Document.first_page, Document.created_at)
    )
    if not superseded:
        query = query.where(Document.status != "superseded")
    found = list(session.scalars(query))
    # Parts that share a page (receipts of one photo) tie on first_page: the stack's own list of
    # parts says their order, whichever of them the projection saw first.
    listed = [str(p.get("document_id")) for p in (document.split or {}).get("parts", [])]
    place = {part_id: i for i, part_id in enumerate(listed)}
    return sorted(found, key=lambda m: place.get(str(m.id), len(place)))


def effective_status(session: Session, document_id: uuid.UUID) -> str | None:
    """The document's status, a zip's from its members; None when the document is unknown."""
    document = session.get(Document, document_id)
    if document is None:
        return None
    return status_with(document, members(session, document))


def status_with(document: Document, children: list[Document]) -> str:
    """A document's status with its members': a zip's, or a split stack's once the API has heard
    of every part it was divided into (until then, its own: not final)."""
    parts = (document.split or {}).get("parts", [])
    if len(children) < len(parts):
        return document.status
    return aggregate(document.status, [c.status for c in children])


def mark_failed(
    session: Session, document_id: uuid.UUID, *, stage: str, reason_code: str, reason: str
) -> None:
    """Record why an accepted document cannot go on (the API shows the reason)."""
    document = session.get(Document, document_id)
    if document is None:
        return
    document.status = "failed"
    document.failed_stage = stage
    document.reason_code = reason_code
    document.reason = reason[:2000]
    session.commit()
