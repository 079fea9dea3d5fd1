"""Tables of the versions domain: trained model versions and their change log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.api.tables import Base, utcnow


class ModelVersion(Base):
    """An immutable model version the trainer published (from `model.published`)."""

    __tablename__ = "model_versions"

    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_ref: Mapped[str] = mapped_column(String(1024))
    embedder_id: Mapped[str] = mapped_column(String(300))
    labels: Mapped[list[str]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    # The promotion gate's verdict (why it went live or stayed a candidate) and its figures.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VersionChange(Base):
    """One change of the live version: published live, promoted, pinned or rolled back."""

    __tablename__ = "version_changes"
    __table_args__ = (Index("ix_version_changes_workflow_id", "workflow_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The event that made the change: a redelivered event adds no second row.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
