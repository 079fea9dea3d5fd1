"""Request and response models of webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

WebhookEvent = Literal[
    "model.published", "model.promoted", "document.routed", "review.pending", "document.superseded"
]


def _each_once(events: list[str]) -> list[str]:
    if len(set(events)) < len(events):
        raise ValueError("each event may be listed once")
    return events


class WebhookCreate(BaseModel):
    """Body of POST /workflows/{key}/webhooks."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2048)] = Field(
        description="http(s) URL that receives a POST per event"
    )
    events: Annotated[list[WebhookEvent], AfterValidator(_each_once)] = Field(
        min_length=1, max_length=len(get_args(WebhookEvent)), json_schema_extra={"uniqueItems": True}
    )


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    """Answer of POST: `secret` is shown this once."""

    secret: str = Field(description="HMAC-SHA256 key: `X-Docroute-Signature: sha256=<hex hmac of the body>`")


class DeliveryPublic(BaseModel):
    """One event sent (or being retried) to a webhook."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
