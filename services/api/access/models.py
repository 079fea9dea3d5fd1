"""Storage models of access and metering: API keys with their workflow scopes, usage records,
the page ledger's tables.

Only a salted hash of each key's secret is stored; the secret is shown once, when minted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docroute import quota
from services.api.tables import Base, utcnow


class ApiKey(Base):
    """A key minted by the admin; it sees only the workflows of its scopes."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    salt: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiKeyScope(Base):
    """One workflow an API key may use."""

    __tablename__ = "api_key_workflows"
    __table_args__ = (Index("ix_api_key_workflows_workflow_id", "workflow_id"),)

    key_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
    )
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True
    )


class UsageRecord(Base):
    """One metered document: counted once, in the month (UTC) its result was delivered."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_workflow_month", "workflow_id", "month"),)

    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    pages: Mapped[int] = mapped_column(Integer)
    metered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# The page ledger's tables (docroute/quota.py, migration 0005), in Base.metadata like every table.
QUOTA_COUNTERS = quota.COUNTERS.to_metadata(Base.metadata)
QUOTA_RESERVATIONS = quota.RESERVATIONS.to_metadata(Base.metadata)
