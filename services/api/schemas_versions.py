"""Request and response models of model versions, promotion and webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

NO_NUL = r"^[^\x00]*$"
WebhookEvent = Literal["model.published", "model.promoted", "document.routed", "review.pending"]


class VersionSummary(BaseModel):
    """A published model version: live, or a candidate with the reason it is not."""

    version: int
    live: bool
    pinned: bool = Field(default=False, description="Live and held: new versions stay candidates")
    reason: str | None = Field(default=None, description="The promotion gate's verdict")
    evaluation: dict[str, Any] | None = Field(
        default=None, description="The gate's comparison with the version live at the time"
    )
    embedder_id: str | None = None
    labels: list[str] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(
        default_factory=dict,
        description="Cross-validated: accuracy, macro_f1, ece (expected calibration error after "
        "temperature scaling), n_samples, training_seconds",
    )
    published_at: datetime | None = None


class ClassFigures(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class VersionDetail(VersionSummary):
    """Everything a version records (manifest.json and metrics.json in S3)."""

    trained_at: str | None = None
    training_set: list[str] = Field(default_factory=list, description="Sample ids trained on")
    per_class: dict[str, ClassFigures] = Field(default_factory=dict)
    confusion_matrix: list[list[int]] = Field(
        default_factory=list, description="Rows: true class, columns: predicted, in `labels` order"
    )
    threshold_table: list[dict[str, Any]] = Field(default_factory=list)
    recipe: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)


class PromotionRequest(BaseModel):
    """Optional body of promote, pin and rollback."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000, pattern=NO_NUL)


class PromotionAccepted(BaseModel):
    """Answer (202): the change is announced; GET /versions shows it once applied (about 1 s)."""

    workflow_id: uuid.UUID
    version: int
    previous_version: int
    action: Literal["promote", "pin", "rollback"]
    pinned: bool


class WebhookCreate(BaseModel):
    """Body of POST /workflows/{key}/webhooks."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2048)] = Field(
        description="http(s) URL that receives a POST per event"
    )
    events: list[WebhookEvent] = Field(min_length=1, max_length=4)


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
