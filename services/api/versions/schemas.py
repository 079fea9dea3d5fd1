"""Request and response models of model versions, promotion and webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NO_NUL = r"^[^\x00]*$"


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
        "temperature scaling), n_samples, training_seconds; `boundary`: how well the version's "
        "boundary model (`splitting: auto`) divides stacks composed of its samples, out-of-fold "
        "(precision, recall, exact: share of stacks split exactly, stacks, boundaries, "
        "continuations), null when it has none (single-page samples only)",
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
