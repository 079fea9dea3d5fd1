"""wording_languages: where a workflow's unknown rule judges a document by its wording

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null: `class`, what every workflow did before.
    with op.batch_alter_table("workflows") as batch:
        batch.add_column(sa.Column("wording_languages", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("wording_languages")
