"""Tables of documents (SQLAlchemy 2): one row per document the pipeline reports on.

Request/response models live in `schemas.py`; these are what the database holds. Portable
types only (Uuid, JSON, DateTime with time zone), so PostgreSQL and SQLite share one schema.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from services.api.tables import Base, utcnow


class Document(Base):
    """One document's state as the pipeline's events report it (see `projection/service/projector.py`)."""

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
    # A part of a split stack (`parent_id`): its 0-based first and last page in the stack. A
    # split stack: `split` holds its mode and separators (`document.split`); its parts are the
    # rows whose parent_id is its id.
    first_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    split: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A part `splitting: auto` divided: how sure the boundary model was of its pages (v3 events).
    boundary_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
