"""quota: pages reserved at the door while a document is in flight

One counter row per (workflow, month) with the pages used and reserved, and one row per reserved
document (see docroute/quota.py). The counters start from the usage already metered.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_counters",
        sa.Column("workflow_id", sa.Uuid(), primary_key=True),
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("used_pages", sa.Integer(), nullable=False),
        sa.Column("reserved_pages", sa.Integer(), nullable=False),
    )
    op.create_table(
        "quota_reservations",
        sa.Column("document_id", sa.Uuid(), primary_key=True),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_quota_reservations_workflow_month", "quota_reservations", ["workflow_id", "month"])
    op.execute(
        "INSERT INTO quota_counters (workflow_id, month, used_pages, reserved_pages) "
        "SELECT workflow_id, month, SUM(pages), 0 FROM usage_records GROUP BY workflow_id, month"
    )


def downgrade() -> None:
    op.drop_table("quota_reservations")
    op.drop_table("quota_counters")
