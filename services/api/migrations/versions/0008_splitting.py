"""splitting: a workflow's splitting setting; a part's pages in its stack, a stack's separators

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null: `none`, one file is one document, what every workflow did before.
    with op.batch_alter_table("workflows") as batch:
        batch.add_column(sa.Column("splitting", sa.String(20), nullable=True))
    # A part's pages in its stack (`parent_id`); a split stack's separators (null: not split).
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("first_page", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_page", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("split", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("split")
        batch.drop_column("last_page")
        batch.drop_column("first_page")
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("splitting")
