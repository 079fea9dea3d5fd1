"""boundary confidence: how sure `splitting: auto` was of a part's pages, for review

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null: not a part `auto` divided (a separator or every_page part, or no part at all).
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("boundary_confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("boundary_confidence")
