"""Listing a workflow's documents: filters, keyset pagination (opaque cursors), list views."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from services.api.documents.models import Document
from services.api.documents.schemas import DocumentSummary
from services.api.documents.service.explanations import explanation_view, review_view, unknown_reason
from services.api.review.schemas import ReviewItem

Order = Literal["newest", "oldest"]
# The reviewer's class when a person decided, otherwise the model's.
EFFECTIVE_CLASS = func.coalesce(Document.reviewed_class, Document.predicted_class)


class BadCursorError(ValueError):
    """A cursor this API did not hand out."""


@dataclass(frozen=True)
class DocumentFilter:
    """Conditions on a workflow's documents; None means any."""

    purpose: str | None = "processing"
    document_class: str | None = None
    route: str | None = None
    status: str | None = None
    unknown: bool | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    filename: str | None = None  # part of the file name, any case


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def encode_cursor(document: Document) -> str:
    raw = f"{document.created_at.isoformat()}|{document.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (created_at, id) position a cursor stands for; raises BadCursorError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursorError(f"not a cursor from this API: {cursor[:50]!r}") from exc


def documents_query(
    workflow_id: uuid.UUID, where: DocumentFilter, cursor: str | None, order: Order = "newest"
) -> Select[Document]:
    """The workflow's live (not deleted) documents matching `where`, after `cursor`."""
    query = select(Document).where(Document.workflow_id == workflow_id, Document.deleted_at.is_(None))
    conditions: list[ColumnElement[bool] | None] = [
        Document.purpose == where.purpose if where.purpose else None,
        # The column on the left: `str == column` types as a bool.
        EFFECTIVE_CLASS == where.document_class if where.document_class else None,  # noqa: SIM300
        Document.route == where.route if where.route else None,
        Document.status == where.status if where.status else None,
        Document.unknown.is_(where.unknown) if where.unknown is not None else None,
        Document.confidence >= where.min_confidence if where.min_confidence is not None else None,
        Document.confidence <= where.max_confidence if where.max_confidence is not None else None,
        Document.created_at >= where.since if where.since else None,
        Document.created_at < where.until if where.until else None,
        Document.filename.ilike(_contains(where.filename), escape="\\") if where.filename else None,
    ]
    query = query.where(*(c for c in conditions if c is not None))
    newest = order == "newest"
    if cursor:
        stamp, ident = decode_cursor(cursor)
        if newest:
            after = or_(Document.created_at < stamp, and_(Document.created_at == stamp, Document.id < ident))
        else:
            after = or_(Document.created_at > stamp, and_(Document.created_at == stamp, Document.id > ident))
        query = query.where(after)
    if newest:
        return query.order_by(Document.created_at.desc(), Document.id.desc())
    return query.order_by(Document.created_at.asc(), Document.id.asc())


def page(session: Session, query: Select[Document], limit: int) -> tuple[list[Document], str | None]:
    """At most `limit` rows and the cursor of the next page (None on the last)."""
    rows = list(session.scalars(query.limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1])
    return rows, None


def summary(document: Document) -> DocumentSummary:
    return DocumentSummary(**_summary_fields(document))


def review_item(document: Document) -> ReviewItem:
    return ReviewItem(
        **_summary_fields(document),
        classifications=dict(document.probabilities or {}),
        unknown_reason=unknown_reason(document),
        explanation=explanation_view(document),
    )


def _summary_fields(document: Document) -> dict[str, object]:
    return {
        "document_id": document.id,
        "status": document.status,
        "purpose": document.purpose,
        "filename": document.filename,
        "media_type": document.media_type,
        "page_count": document.page_count,
        "parent_id": document.parent_id,
        "document_class": document.reviewed_class or document.predicted_class,
        "predicted_class": document.predicted_class,
        "confidence": document.confidence,
        "unknown": document.unknown,
        "route": document.route,
        "route_reason": document.route_reason,
        "model_version": document.model_version,
        "review": review_view(document),
        "created_at": document.created_at,
    }
