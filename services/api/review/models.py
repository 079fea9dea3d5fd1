"""Storage model of the audit trail: who confirmed, corrected or deleted a document, and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.api.tables import Base, utcnow


class DocumentAudit(Base):
    """One action on a document, with the prediction as it stood before it (kept after deletion)."""

    __tablename__ = "document_audit"
    __table_args__ = (
        Index("ix_document_audit_document_id", "document_id"),
        Index("ix_document_audit_workflow_id_at", "workflow_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # No foreign keys: the trail must outlive what it describes.
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    workflow_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    action: Mapped[str] = mapped_column(String(20))  # confirmed | corrected | deleted
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    original_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    original_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    original_probabilities: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    original_route: Mapped[str | None] = mapped_column(String(20), nullable=True)
    original_unknown: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
