"""review and uploads: unknown flag and explanation, review verdict, deletion, retention, audit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("unknown", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("explanation", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reviewed_class", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_documents_workflow_id_created_at", "documents", ["workflow_id", "created_at"]
    )
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "document_audit",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_class", sa.String(length=100), nullable=True),
        sa.Column("original_confidence", sa.Float(), nullable=True),
        sa.Column("original_probabilities", sa.JSON(), nullable=True),
        sa.Column("original_route", sa.String(length=20), nullable=True),
        sa.Column("original_unknown", sa.Boolean(), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("new_class", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_document_audit_document_id", "document_audit", ["document_id"])
    op.create_index("ix_document_audit_workflow_id_at", "document_audit", ["workflow_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_document_audit_workflow_id_at", table_name="document_audit")
    op.drop_index("ix_document_audit_document_id", table_name="document_audit")
    op.drop_table("document_audit")
    op.drop_index("ix_documents_sha256", table_name="documents")
    op.drop_index("ix_documents_workflow_id_created_at", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        for column in ("deleted_at", "reviewed_at", "reviewed_by", "reviewed_class", "explanation", "unknown"):
            batch.drop_column(column)
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("retention_days")
