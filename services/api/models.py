"""Storage models (SQLAlchemy 2): workflows, documents and model versions.

Request/response models live in `schemas.py`; these are what the database holds. Portable
types only (Uuid, JSON, DateTime with time zone), so PostgreSQL and SQLite share one schema.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base; `Base.metadata` is Alembic's target."""


class Workflow(Base):
    """A trainable document classifier: its classes, how to read documents and how to route."""

    __tablename__ = "workflows"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[list[str]] = mapped_column(JSON)
    document_spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    threshold: Mapped[float] = mapped_column(Float, default=0.8)
    class_thresholds: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    retrain_every: Mapped[int] = mapped_column(Integer, default=20)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Usage plan (monthly page allowance, see ApiSettings.usage) and the S3 ref of the thumbnail.
    plan: Mapped[str] = mapped_column(String(50), default="free", server_default="free")
    thumbnail_ref: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # Processed documents older than this many days are deleted (S3 objects included); None keeps.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Class -> topic rule (docroute.routing.Routing.to_dict()); None: the shared extract.<class>.
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Document(Base):
    """One document's state as the pipeline's events report it (see projection.py)."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_workflow_id", "workflow_id"),
        Index("ix_documents_parent_id", "parent_id"),
        # Listing a workflow's documents newest first; finding others that share an original.
        Index("ix_documents_workflow_id_created_at", "workflow_id", "created_at"),
        Index("ix_documents_sha256", "sha256"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # No foreign key: dead letters may name workflows this database never held.
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(20), nullable=True)
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="received")
    door: Mapped[str | None] = mapped_column(String(20), nullable=True)
    upload_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    member_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    blob_ref: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ocr_ref: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    probabilities: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    predicted_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    embedder_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    route: Mapped[str | None] = mapped_column(String(20), nullable=True)
    route_topic: Mapped[str | None] = mapped_column(String(255), nullable=True)
    route_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    failed_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Training data: the upload batch, who labelled it and when (the time of its last
    # `sample.labelled`), and whether it was taken out of the training set.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    labelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    labelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sample_removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The classifier's "unknown" flag and explanation (nearest samples, strongest terms); the
    # reviewer's verdict; deletion (the row stays, without its S3 objects, for the audit trail).
    unknown: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reviewed_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


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
