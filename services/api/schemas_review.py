"""Request and response models of explanations, review, thresholds, document lists and retention."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_CLASS_ALIAS = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class NearestSample(BaseModel):
    """A labelled training sample close to the document (cosine similarity of embeddings)."""

    sample_id: str
    label: str
    similarity: float


class TermWeight(BaseModel):
    """A word of the document and its contribution to the predicted class's (calibrated) logit."""

    term: str
    weight: float


class Explanation(BaseModel):
    """Why the model chose its class: nearest samples, strongest words, distance to training."""

    nearest_samples: list[NearestSample]
    terms: list[TermWeight]
    novelty: float = Field(description="1 - mean cosine similarity to the nearest training samples")
    unknown_threshold: float = Field(description="Novelty above which the document is unknown")


class ReviewInfo(BaseModel):
    """A reviewer's verdict on a document."""

    model_config = _CLASS_ALIAS

    document_class: str = Field(alias="class")
    reviewer: str
    reviewed_at: datetime


class ReviewRequest(BaseModel):
    """Body of POST /documents/{id}/review: the class a person confirms or corrects it to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, **_CLASS_ALIAS)

    document_class: str = Field(alias="class", min_length=1, max_length=100, pattern=NO_NUL)
    reviewer: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class ReviewOutcome(BaseModel):
    """What a review did: routed to the class's extraction topic, and learnt as a sample."""

    model_config = _CLASS_ALIAS

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


class DocumentSummary(BaseModel):
    """One processed document in a list: its class (the reviewer's, else the model's) and route."""

    model_config = _CLASS_ALIAS

    document_id: uuid.UUID
    status: str
    purpose: str | None
    filename: str | None
    media_type: str | None
    page_count: int | None
    parent_id: str | None
    document_class: str | None = Field(alias="class")
    predicted_class: str | None
    confidence: float | None
    unknown: bool | None
    route: str | None
    route_reason: str | None
    model_version: int | None
    review: ReviewInfo | None
    created_at: datetime


class DocumentPage(BaseModel):
    """A page of documents, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[DocumentSummary]
    next_cursor: str | None


class ReviewItem(DocumentSummary):
    """A document waiting for a person, with everything needed to decide."""

    classifications: dict[str, float]
    unknown_reason: str | None
    explanation: Explanation | None


class ReviewQueue(BaseModel):
    """Documents in review, oldest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[ReviewItem]
    next_cursor: str | None


class ThresholdFigures(BaseModel):
    """What routing at a threshold did on the cross-validated (out-of-fold) predictions."""

    threshold: float | None = Field(description="None overall: each class uses its own")
    n_documents: int = Field(description="Documents (predicted as this class, per class)")
    n_routed: int
    routed_share: float = Field(description="Share routed automatically (confidence >= threshold)")
    expected_error: float | None = Field(description="Share of wrong classes among those routed")


class ThresholdRow(ThresholdFigures):
    """One candidate threshold applied to every class."""

    per_class: dict[str, ThresholdFigures]


class ThresholdReport(BaseModel):
    """What the workflow's thresholds mean, measured on the version's out-of-fold predictions."""

    version: int
    n_samples: int
    threshold: float
    class_thresholds: dict[str, float]
    current: ThresholdFigures
    current_per_class: dict[str, ThresholdFigures]
    table: list[ThresholdRow]
    note: str


class RetentionSetting(BaseModel):
    """Body and answer of PUT /workflows/{key}/retention."""

    model_config = ConfigDict(extra="forbid")

    retention_days: int | None = Field(
        ge=1, le=36_500, description="Delete processed documents older than this; null keeps them"
    )


class RetentionRun(BaseModel):
    """What one retention sweep deleted."""

    workflow_id: uuid.UUID
    retention_days: int | None
    deleted: int
    document_ids: list[uuid.UUID]
