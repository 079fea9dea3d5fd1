"""Request and response models of workflow changes: settings, labels, code snippets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.api.schemas import (
    PAGES_HELP,
    ROUTING_HELP,
    Description,
    Label,
    Name,
    Probability,
    RoutingIn,
    normalize_relevant_pages,
)

FIXED_HELP = (
    "character_set, text_style, ocr_engine and cropping are fixed after creation; relevant_pages "
    "is fixed once the workflow has a training sample"
)


class DocumentSpecPatch(BaseModel):
    """Document spec fields to change; a fixed field may only be sent with its current value."""

    model_config = ConfigDict(extra="forbid")

    cropping: bool | None = None
    character_set: Literal["latin", "japanese"] | None = None
    text_style: Literal["printed", "handwritten", "both"] | None = None
    relevant_pages: str | None = Field(default=None, description=f"{PAGES_HELP}; null: all pages")
    ocr_engine: Literal["tesseract", "paddle"] | None = None

    @field_validator("relevant_pages")
    @classmethod
    def _pages(cls, value: str | None) -> str | None:
        return normalize_relevant_pages(value)

    @model_validator(mode="after")
    def _no_nulls(self) -> DocumentSpecPatch:
        nulls = [f for f in self.model_fields_set if f != "relevant_pages" and getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null")
        return self


class WorkflowUpdate(BaseModel):
    """Body of PATCH /workflows/{key}: only the fields sent change. Labels change through
    /workflows/{key}/labels, the plan through /workflows/{key}/plan."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    description: Description | None = None
    document_spec: DocumentSpecPatch | None = Field(default=None, description=FIXED_HELP)
    threshold: Probability | None = None
    class_thresholds: dict[str, Probability] | None = Field(
        default=None, description="Replaces every per-class threshold; keys are active labels"
    )
    retrain_every: int | None = Field(default=None, ge=1, le=100_000)
    routing: RoutingIn | None = Field(
        default=None, description=f"{ROUTING_HELP} Replaces the whole rule; 403 with a workflow key."
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> WorkflowUpdate:
        nulls = [f for f in self.model_fields_set if getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null (leave it out to keep it)")
        return self


class LabelIn(BaseModel):
    """Body of POST /workflows/{key}/labels and PATCH /workflows/{key}/labels/{id}."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Label


class LabelChangePublic(BaseModel):
    """One entry of a label's history."""

    model_config = ConfigDict(from_attributes=True)

    action: Literal["created", "added", "renamed", "retired", "restored"]
    old_name: str | None
    new_name: str | None
    api_key_id: uuid.UUID | None = Field(description="Key that made the change; null: the admin key")
    changed_at: datetime


class LabelPublic(BaseModel):
    """A label of the workflow, active or retired, with its history (oldest first)."""

    id: int
    name: str
    status: Literal["active", "retired"]
    extract_topic: str
    created_at: datetime
    retired_at: datetime | None
    history: list[LabelChangePublic]


class Snippets(BaseModel):
    """Ready-to-run calls of the workflow's processing endpoint; the key comes from
    the `DOCROUTE_API_KEY` environment variable."""

    url: str
    curl: str
    python: str
    javascript: str
