"""Storage models of training data and versions: upload batches and the history of live versions.

A batch's documents carry its id (`Document.batch_id`; zip members through their parent), so
its progress is counted from the documents themselves. `VersionChange` rows are written by the
projection from `model.published` (live) and `model.promoted`, in topic order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.api.tables import Base, utcnow


class TrainingBatch(Base):
    """Files sent together as training data; the API hands them to ingest in the background."""

    __tablename__ = "training_batches"
    __table_args__ = (Index("ix_training_batches_workflow_id", "workflow_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    files_total: Mapped[int] = mapped_column(Integer, default=0)
    files_accepted: Mapped[int] = mapped_column(Integer, default=0)
    # Files refused at the door or not handed on: [{filename, reason_code, reason}].
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
