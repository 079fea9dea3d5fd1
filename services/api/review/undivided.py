"""A document read as one that a person may divide in review (review/boundaries.py): a
multi-page PDF or TIFF of a workflow whose splitting is `separator`, `auto` or `every_page` that
was read as one document (no separator sheet found, no boundary seen), routed or in review and
not reviewed yet. It is divided as a stack of one part, itself. Not under `none`: such a
workflow promised one file, one document, and its consumers may know only v1 events (the parts
are v2, the recall of a routed one `document.superseded`).
"""

from __future__ import annotations

from typing import Any

from services.api.documents.models import Document
from services.api.errors import ConflictError

CUTTABLE = frozenset({"application/pdf", "image/tiff"})


def divisible(document: Document, splitting: str | None) -> bool:
    """A document read as one that a person may divide (review shows it with its pages)."""
    try:
        check_divisible(document, splitting)
    except ConflictError:
        return False
    return True


def check_divisible(document: Document, splitting: str | None) -> None:
    """:raises ConflictError: saying why `document` (no stack) cannot be divided by pages."""
    if document.purpose != "processing" or not document.page_count or document.page_count < 2:
        raise ConflictError("not a stack its workflow's splitting divided by pages: nothing to move")
    if document.first_page is not None:
        raise ConflictError(f"a part of the stack {document.parent_id}: move that stack's boundaries")
    if document.media_type not in CUTTABLE:
        raise ConflictError(f"a {document.media_type} cannot be cut into pages; only a PDF or a TIFF")
    if (splitting or "none") == "none":
        raise ConflictError(
            "the workflow's splitting is none: one file is one document (its consumers may know only"
            " v1 events); set its splitting to separator, auto or every_page to divide files"
        )
    if document.reviewed_at is not None:
        raise ConflictError(
            f"already reviewed as {document.reviewed_class!r}, and a training sample of that class:"
            " a reviewed document is not divided"
        )
    if document.status not in ("routed", "review"):
        raise ConflictError(f"the document is {document.status}: only one routed or in review is divided")


def as_one(document: Document) -> dict[str, Any]:
    """The division of a document read as one: one part, itself."""
    last = (document.page_count or 1) - 1
    return {
        "mode": "none",
        "separators": [],
        "parts": [{"document_id": str(document.id), "first_page": 0, "last_page": last}],
    }
