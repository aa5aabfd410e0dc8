"""Semantic issue discovery: ticket vectors, the version index the embedding queue
reads, and sub-issues (issues.parent_id, ticket_issues.sub_issue_id).

Added columns are nullable or have a server default, so existing rows need no
rewrite; on SQLite, ADD COLUMN alone does not copy the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 14:30:00
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
        "ticket_vectors",
        sa.Column(
            "ticket_pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("tickets.pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("text_hash", sa.String(32), nullable=False),
        sa.Column("ticket_version", sa.BigInteger(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        if_not_exists=True,
    )
    op.create_index(
        "ix_ticket_vectors_tenant_model",
        "ticket_vectors",
        ["tenant_id", "model", "ticket_pk"],
        if_not_exists=True,
    )
    op.create_index("ix_tickets_version", "tickets", ["version"], if_not_exists=True)
    op.add_column("issues", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.add_column(
        "ticket_issues",
        sa.Column("sub_issue_id", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket_issues") as batch:
        batch.drop_column("sub_issue_id")
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("parent_id")
    op.drop_index("ix_tickets_version", table_name="tickets")
    op.drop_index("ix_ticket_vectors_tenant_model", table_name="ticket_vectors")
    op.drop_table("ticket_vectors")
