"""Erasure: tombstones of deleted tickets (so every replica's caches drop them) and
an audit log of deletions that holds no content.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ticket_deletions",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("ticket_pk", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_ticket_deletions_tenant_version",
        "ticket_deletions",
        ["tenant_id", "version", "ticket_pk"],
        if_not_exists=True,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", _PK, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_log_tenant_at", "audit_log", ["tenant_id", "at_us"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_tenant_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_ticket_deletions_tenant_version", table_name="ticket_deletions")
    op.drop_table("ticket_deletions")
