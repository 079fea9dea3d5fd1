"""Request and response models of documents: acceptance, results, text, explanations, lists, retention."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.fields import ClassAliased


class DocumentAccepted(BaseModel):
    """Answer of the upload door (202): the document id to ask GET /documents/{id} about."""

    document_id: uuid.UUID
    workflow_id: uuid.UUID
    status: str
    url: str | None = None


class Classification(BaseModel):
    """Confidence of one class."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    document_class: str = Field(alias="class")
    confidence: float


class RouteInfo(BaseModel):
    """Where the router sent the document and why."""

    route: str
    topic: str | None
    reason: str | None
    threshold: float | None


class Failure(BaseModel):
    """Why a document was dead-lettered."""

    stage: str | None
    reason_code: str | None
    reason: str | None


class OcrWordOut(BaseModel):
    text: str
    confidence: float
    box: list[int]


class OcrPageOut(BaseModel):
    index: int
    width: int | None = None
    height: int | None = None
    source: str | None = None
    cropped: bool = False
    mean_confidence: float | None = None
    text: str
    words: list[OcrWordOut] = Field(default_factory=list)


class OcrOut(BaseModel):
    """The document's text (pages read, joined) and, per page, the words with boxes."""

    text: str
    pages: list[OcrPageOut]


class DocumentPublic(BaseModel):
    """What the database knows about a document."""

    document_id: uuid.UUID
    workflow_id: uuid.UUID | None
    status: str
    purpose: str | None
    label: str | None
    filename: str | None
    media_type: str | None
    page_count: int | None
    parent_id: str | None
    created_at: datetime
    updated_at: datetime


class PartPages(BaseModel):
    """A part's pages in the stack it was divided from (0-based, `last` inclusive)."""

    first: int
    last: int


class SeparatorPage(BaseModel):
    """A separator sheet of a split stack; it belongs to no part."""

    page: int = Field(description="0-based index in the stack")
    kind: Literal["blank", "barcode"]
    code: str | None = Field(default=None, description="What the barcode reads")


class SplitInfo(BaseModel):
    """How a stack was divided: every page is in exactly one part (`members`) or a separator."""

    mode: Literal["separator", "every_page", "auto", "review"] = Field(
        description="The workflow's splitting, or review: read as one document, divided by a person"
    )
    separators: list[SeparatorPage] = Field(default_factory=list)


class ProcessingResult(DocumentPublic):
    """The full result: classes, route, OCR, failure and, for a zip, its member documents."""

    predicted_class: str | None = None
    confidence: float | None = None
    classifications: list[Classification] = Field(default_factory=list)
    route: RouteInfo | None = None
    model_version: int | None = None
    unknown: bool | None = Field(default=None, description="Unlike every class seen in training")
    unknown_reason: str | None = None
    explanation: Explanation | None = None
    review: ReviewInfo | None = None
    ocr: OcrOut | None = None
    failure: Failure | None = None
    members: list[ProcessingResult] = Field(
        default_factory=list, description="A zip's member documents; a split stack's parts, in page order"
    )
    pages: PartPages | None = Field(
        default=None, description="A part of a split stack (parent_id): its pages in the stack"
    )
    split: SplitInfo | None = Field(
        default=None, description="A stack its workflow's splitting divided into parts (members)"
    )


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


class ReviewInfo(ClassAliased):
    """A reviewer's verdict on a document."""

    document_class: str = Field(alias="class")
    reviewer: str
    reviewed_at: datetime


class DocumentSummary(ClassAliased):
    """One processed document in a list: its class (the reviewer's, else the model's) and route."""

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


class ReprocessRequest(BaseModel):
    """Body of POST /workflows/{key}/documents/reprocess: which documents to send again."""

    model_config = ConfigDict(extra="forbid")

    statuses: list[Literal["failed", "review"]] = Field(
        default=["failed"],
        min_length=1,
        description="failed: dead-lettered documents; review: documents waiting in review (no person "
        "decided yet) that a model older than the live one classified",
    )
    document_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=1000, description="Only these documents; any failed one when absent"
    )
    reason_codes: list[str] | None = Field(
        default=None, max_length=50, description="Only failures with these reason codes (quota_exceeded, ...)"
    )
    stages: list[str] | None = Field(
        default=None, max_length=10, description="Only failures at these stages (ingest, ocr, classify, ...)"
    )
    limit: int = Field(default=100, ge=1, le=1000, description="At most this many documents per call")
    dry_run: bool = Field(default=False, description="List what would be sent; send and change nothing")


class ReprocessItem(BaseModel):
    """One selected document: sent (or would be, in a dry run), or skipped and why."""

    document_id: uuid.UUID
    status: str = Field(description="failed or review, before it was sent")
    filename: str | None
    stage: str | None = Field(description="Where it failed")
    reason_code: str | None
    reason: str | None = Field(description="Why it failed, or why it went to review")
    action: str = Field(description="sent, would_send or skipped")
    why: str | None = Field(default=None, description="Why it was skipped")


class ReprocessResult(BaseModel):
    """Answer of a reprocess call; `sent` counts the documents handed to ingest."""

    dry_run: bool
    sent: int
    documents: list[ReprocessItem]
