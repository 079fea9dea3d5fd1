"""Document listing: cursors round-trip, foreign cursors are refused, filters compile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects import postgresql

from services.api.documents.models import Document
from services.api.documents.service.queries import (
    BadCursorError,
    DocumentFilter,
    decode_cursor,
    documents_query,
    encode_cursor,
)


def test_cursor_round_trip() -> None:
    doc = Document(id=uuid.uuid4(), created_at=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC))
    assert decode_cursor(encode_cursor(doc)) == (doc.created_at, doc.id)


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90IGEgY3Vyc29y", "MjAyNi0wMS0wMnxub3QtYS11dWlk"])
def test_foreign_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursorError):
        decode_cursor(cursor)


def test_filters_become_conditions() -> None:
    where = DocumentFilter(document_class="invoice", route="review", min_confidence=0.2, unknown=True)
    sql = str(documents_query(uuid.uuid4(), where, None).compile(dialect=postgresql.dialect()))
    assert "coalesce(documents.reviewed_class, documents.predicted_class)" in sql
    assert "documents.deleted_at IS NULL" in sql and "documents.unknown IS true" in sql
    assert "ORDER BY documents.created_at DESC, documents.id DESC" in sql
