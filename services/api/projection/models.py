"""Where each document's events lie on the broker: topic, partition and offset (`docroute trace`).

The projection records one row per event it applies that names a document, in the batch's
transaction; the primary key is the position itself, so a replayed batch records nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.api.tables import Base


class EventPosition(Base):
    """One event about a document, by its position in the log."""

    __tablename__ = "event_positions"
    __table_args__ = (Index("ix_event_positions_document_id", "document_id"),)

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(100))
    # The event's own CloudEvents `time` (when the emitting service made it).
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
