"""Request and response models of API keys, plans and usage."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.api.fields import Name


class ApiKeyCreate(BaseModel):
    """Body of POST /api-keys: a name and the workflows the key may use."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name = Field(description="What the key is for")
    workflow_keys: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class ApiKeyPublic(BaseModel):
    """A key as listed: never its secret."""

    id: uuid.UUID | None = Field(description="null for the admin key")
    name: str
    admin: bool = False
    workflow_keys: list[uuid.UUID]
    created_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    """Answer of POST /api-keys: `key` is shown this once; only its hash is stored."""

    key: str = Field(description="Send as `Authorization: Bearer <key>` or `X-API-Key: <key>`")


class PlanChange(BaseModel):
    """Body of PUT /workflows/{key}/plan."""

    model_config = ConfigDict(extra="forbid")

    plan: str = Field(min_length=1, max_length=50)


class PlanPublic(BaseModel):
    """A plan: its monthly page allowance (null: unlimited)."""

    name: str
    monthly_pages: int | None
    default: bool


class Credits(BaseModel):
    """Credits of the month: pages x per_page + documents x per_document."""

    per_page: int
    per_document: int
    pages: int
    documents: int
    total: int


class UsageReport(BaseModel):
    """A workflow's usage in one month (UTC)."""

    workflow_key: uuid.UUID
    month: str = Field(examples=["2026-11"])
    plan: str
    page_allowance: int | None = Field(description="Pages per month; null: unlimited")
    pages: int
    documents: int
    pages_reserved: int = Field(
        default=0, description="Pages of accepted documents still in flight, held against the allowance"
    )
    pages_left: int | None = Field(description="Pages a new document may still have (reserved ones deducted)")
    exhausted: bool = Field(description="True: POST /processing answers 429 until resets_at")
    resets_at: datetime
    credits: Credits


class UsageDay(BaseModel):
    """One day's metered pages and documents (UTC)."""

    day: date
    pages: int
    documents: int
