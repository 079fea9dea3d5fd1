"""API keys and scopes, workflow plan and thumbnail, label history, usage records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.add_column(
            sa.Column("plan", sa.String(length=50), nullable=False, server_default="free")
        )
        batch.add_column(sa.Column("thumbnail_ref", sa.String(length=1024), nullable=True))
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "api_key_workflows",
        sa.Column(
            "key_id",
            sa.Uuid(),
            sa.ForeignKey("api_keys.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "workflow_id",
            sa.Uuid(),
            sa.ForeignKey("workflows.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_api_key_workflows_workflow_id", "api_key_workflows", ["workflow_id"])
    labels = op.create_table(
        "workflow_labels",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "workflow_id",
            sa.Uuid(),
            sa.ForeignKey("workflows.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_workflow_labels_workflow_id", "workflow_labels", ["workflow_id"])
    op.create_table(
        "workflow_label_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column(
            "label_id",
            sa.Integer(),
            sa.ForeignKey("workflow_labels.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old_name", sa.String(length=100), nullable=True),
        sa.Column("new_name", sa.String(length=100), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_workflow_label_changes_label_id", "workflow_label_changes", ["label_id"]
    )
    op.create_table(
        "usage_records",
        sa.Column("document_id", sa.Uuid(), primary_key=True),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("metered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_usage_records_workflow_month", "usage_records", ["workflow_id", "month"])
    _backfill_labels(labels)


def _backfill_labels(labels: sa.Table) -> None:
    """Workflows created before label history: their labels, as created with the workflow."""
    conn = op.get_bind()
    workflows = sa.table(
        "workflows",
        sa.column("id", sa.Uuid()),
        sa.column("labels", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    changes = sa.table(
        "workflow_label_changes",
        sa.column("workflow_id", sa.Uuid()),
        sa.column("label_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("new_name", sa.String()),
        sa.column("changed_at", sa.DateTime(timezone=True)),
    )
    for workflow_id, names, created_at in conn.execute(sa.select(workflows)).all():
        for name in names or []:
            label_id = conn.execute(
                labels.insert()
                .values(workflow_id=workflow_id, name=name, created_at=created_at)
                .returning(labels.c.id)
            ).scalar_one()
            conn.execute(
                changes.insert().values(
                    workflow_id=workflow_id,
                    label_id=label_id,
                    action="created",
                    new_name=name,
                    changed_at=created_at,
                )
            )


def downgrade() -> None:
    op.drop_index("ix_usage_records_workflow_month", table_name="usage_records")
    op.drop_table("usage_records")
    op.drop_index("ix_workflow_label_changes_label_id", table_name="workflow_label_changes")
    op.drop_table("workflow_label_changes")
    op.drop_index("ix_workflow_labels_workflow_id", table_name="workflow_labels")
    op.drop_table("workflow_labels")
    op.drop_index("ix_api_key_workflows_workflow_id", table_name="api_key_workflows")
    op.drop_table("api_key_workflows")
    op.drop_table("api_keys")
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("thumbnail_ref")
        batch.drop_column("plan")
