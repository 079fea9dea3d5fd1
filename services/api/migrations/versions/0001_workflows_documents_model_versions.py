"""workflows, documents, model versions

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("document_spec", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("class_thresholds", sa.JSON(), nullable=False),
        sa.Column("retrain_every", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("door", sa.String(length=20), nullable=True),
        sa.Column("upload_id", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("member_path", sa.String(length=1024), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("blob_ref", sa.String(length=1024), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("ocr_ref", sa.String(length=1024), nullable=True),
        sa.Column("probabilities", sa.JSON(), nullable=True),
        sa.Column("predicted_class", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("embedder_id", sa.String(length=300), nullable=True),
        sa.Column("route", sa.String(length=20), nullable=True),
        sa.Column("route_topic", sa.String(length=255), nullable=True),
        sa.Column("route_reason", sa.String(length=500), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("failed_stage", sa.String(length=20), nullable=True),
        sa.Column("reason_code", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_documents_workflow_id", "documents", ["workflow_id"])
    op.create_index("ix_documents_parent_id", "documents", ["parent_id"])
    op.create_table(
        "model_versions",
        sa.Column("workflow_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("artifact_ref", sa.String(length=1024), nullable=False),
        sa.Column("embedder_id", sa.String(length=300), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_versions")
    op.drop_index("ix_documents_parent_id", table_name="documents")
    op.drop_index("ix_documents_workflow_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("workflows")
