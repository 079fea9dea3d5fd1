"""Request and response models of review: verdicts, outcomes, the queue and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.documents.schemas import DocumentSummary, Explanation
from services.api.fields import NO_NUL, ClassAliased


class ReviewRequest(ClassAliased):
    """Body of POST /documents/{id}/review: the class a person confirms or corrects it to."""

    # Merged with ClassAliased's config.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    document_class: str = Field(alias="class", min_length=1, max_length=100, pattern=NO_NUL)
    reviewer: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class ReviewOutcome(ClassAliased):
    """What a review did: routed to the class's extraction topic, and learnt as a sample."""

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

    action: Literal["confirmed", "corrected", "deleted", "divided"]
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


class StackPart(ClassAliased):
    """A part of a split stack: its pages in the stack (0-based, `last_page` inclusive), its class
    and how sure the model was of it and of the part's boundaries."""

    document_id: uuid.UUID
    first_page: int
    last_page: int
    status: str
    document_class: str | None = Field(alias="class")
    confidence: float | None = Field(default=None, description="The model's confidence in its class")
    boundary_confidence: float | None = Field(
        default=None,
        description="How sure `splitting: auto` was of the part's pages (below the workflow's threshold:"
        " the boundary is in doubt); null for a part cut at separators, by page or by a person",
    )
    route_reason: str | None


class StackView(BaseModel):
    """The whole stack a part was cut from, for moving its boundaries: every part in page order
    (every page is in exactly one part or is a separator sheet)."""

    document_id: uuid.UUID = Field(description="The stack's id (the parts' parent_id)")
    filename: str | None
    page_count: int
    mode: str = Field(
        description="How it was divided: separator, every_page, auto, review (a document read as one"
        " that a person divided) or none (read as one document: its one part is itself)"
    )
    separators: list[int] = Field(description="Separator sheets (0-based pages), in no part")
    parts: list[StackPart]
    movable: bool = Field(
        description="Whether a person can move its boundaries (POST /documents/{id}/boundaries): false"
        " for one page, or where parts share a page (documents found on a photo)"
    )


class ReviewItem(DocumentSummary):
    """A document waiting for a person, with everything needed to decide."""

    classifications: dict[str, float]
    unknown_reason: str | None
    explanation: Explanation | None
    stack: StackView | None = Field(
        default=None,
        description="A part of a split stack: the whole stack, so a person can move a boundary"
        " (POST /documents/{stack}/boundaries); a multi-page document of a workflow that splits,"
        " read as one: itself as a stack of one part, so a person can divide it",
    )


class BoundariesRequest(BaseModel):
    """Body of POST /documents/{stack}/boundaries: the pages where the stack's documents begin.

    Split a part at page n: add n; join a part with the previous one: leave out its first page."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    starts: list[int] = Field(
        min_length=1,
        max_length=1000,
        description="0-based pages that begin a document, ascending, 0 first; not separator sheets",
    )
    reviewer: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class BoundariesOutcome(BaseModel):
    """The stack as divided now: its parts (new ones are read, classified and routed), the parts
    the correction replaced (superseded: out of review and of the stack's result), who and when."""

    stack: StackView
    starts: list[int]
    superseded: list[uuid.UUID] = Field(
        description="The parts replaced; a document read as one that was divided: its own id (divided)"
    )
    corrected_by: str
    corrected_at: datetime


class ReviewQueue(BaseModel):
    """Documents in review, oldest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[ReviewItem]
    next_cursor: str | None
