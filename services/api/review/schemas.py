"""Request and response models of review: verdicts, outcomes, the queue and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.documents.schemas import DocumentSummary, Explanation
from services.api.fields import CLASS_ALIAS, NO_NUL


class ReviewRequest(BaseModel):
    """Body of POST /documents/{id}/review: the class a person confirms or corrects it to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, **CLASS_ALIAS)

    document_class: str = Field(alias="class", min_length=1, max_length=100, pattern=NO_NUL)
    reviewer: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class ReviewOutcome(BaseModel):
    """What a review did: routed to the class's extraction topic, and learnt as a sample."""

    model_config = CLASS_ALIAS

    document_id: uuid.UUID
    action: Literal["confirmed", "corrected"]
    document_class: str = Field(alias="class")
    original_class: str | None
    reviewer: str
    reviewed_at: datetime
    topic: str


class AuditEntry(BaseModel):
    """One action on a document and the prediction as it stood before it."""

    model_config = ConfigDict(from_attributes=True)

    action: Literal["confirmed", "corrected", "deleted"]
    actor: str
    at: datetime
    original_class: str | None
    original_confidence: float | None
    original_probabilities: dict[str, float] | None
    original_route: str | None
    original_unknown: bool | None
    model_version: int | None
    new_class: str | None
    detail: str | None


class ReviewItem(DocumentSummary):
    """A document waiting for a person, with everything needed to decide."""

    classifications: dict[str, float]
    unknown_reason: str | None
    explanation: Explanation | None


class ReviewQueue(BaseModel):
    """Documents in review, oldest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[ReviewItem]
    next_cursor: str | None
