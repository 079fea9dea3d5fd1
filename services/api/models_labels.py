"""Storage models of a workflow's label history: every label it ever had, and every change.

`Workflow.labels` holds the active names (what the services learn from `workflow.updated`);
these rows keep what was renamed or retired, when, and by which key.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.api.models import Base, utcnow


class WorkflowLabel(Base):
    """A class of a workflow; its name may change, a retired one stays here."""

    __tablename__ = "workflow_labels"
    __table_args__ = (Index("ix_workflow_labels_workflow_id", "workflow_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workflows.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LabelChange(Base):
    """One change of a label: created, added, renamed, retired or restored."""

    __tablename__ = "workflow_label_changes"
    __table_args__ = (Index("ix_workflow_label_changes_label_id", "label_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    label_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("workflow_labels.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(String(20))
    old_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    new_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The API key that made the change; None for the admin key.
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
