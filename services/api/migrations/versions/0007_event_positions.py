"""event positions: topic, partition and offset of each document's events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_positions",
        sa.Column("topic", sa.String(length=255), primary_key=True),
        sa.Column("partition", sa.Integer(), primary_key=True),
        sa.Column("offset", sa.BigInteger(), primary_key=True),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_event_positions_document_id", "event_positions", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_event_positions_document_id", table_name="event_positions")
    op.drop_table("event_positions")
