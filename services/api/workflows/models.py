"""Tables of workflows: the workflow, and its label history (every label it ever had, every change).

`Workflow.labels` holds the active names (what the services learn from `workflow.updated`);
these rows keep what was renamed or retired, when, and by which key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.api.tables import Base, utcnow


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
    # How a file holding several documents is divided (`separator`, `every_page`, `auto`); None: `none`.
    splitting: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Where the unknown rule's wording view judges a document (`workflow`); None: `class`.
    wording_languages: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class WorkflowLabel(Base):
    """A class of a workflow; its name may change, a retired one stays here."""

    __tablename__ = "workflow_labels"
    __table_args__ = (Index("ix_workflow_labels_workflow_id", "workflow_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("workflows.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LabelChange(Base):
    """One change of a label: created, added, renamed, retired or restored."""

    __tablename__ = "workflow_label_changes"
    __table_args__ = (Index("ix_workflow_label_changes_label_id", "label_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    label_id: Mapped[int] = mapped_column(Integer, ForeignKey("workflow_labels.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    old_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    new_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The API key that made the change; None for the admin key.
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
