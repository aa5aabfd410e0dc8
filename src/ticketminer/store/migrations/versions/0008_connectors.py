"""Helpdesk connectors: reported facts on tickets, digest schedules and their delivery
log, sync cursors and webhook receipts; and FCR needs a public agent reply.

The new ticket columns are nullable or defaulted, so no row is rewritten for them.
Stored analyses are brought under the new FCR rule (a solved ticket with no public
agent reply is not first-contact resolution) and get their fact sources, in place.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# FactSource numbers (domain.model.FactSource).
_THREAD = 1


def upgrade() -> None:
    op.add_column("tickets", sa.Column("reported_replies", sa.Integer(), nullable=True))
    op.add_column("tickets", sa.Column("reported_first_response_s", sa.Float(), nullable=True))
    for name in ("first_response_source", "replies_source"):
        op.add_column(
            "tickets",
            sa.Column(name, sa.SmallInteger(), nullable=False, server_default="0"),
        )
    op.execute(
        "UPDATE tickets SET fcr = false, fcr_no_followup = false "
        "WHERE agent_replies = 0 AND fcr IS NOT NULL"
    )
    op.execute(f"UPDATE tickets SET replies_source = {_THREAD} WHERE agent_replies > 0")
    op.execute(
        f"UPDATE tickets SET first_response_source = {_THREAD} WHERE first_response_s IS NOT NULL"
    )
    op.create_table(
        "digest_schedules",
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("schedule_id", sa.String(64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("next_run_us", sa.BigInteger(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "schedule_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_digest_schedules_next_run", "digest_schedules", ["next_run_us"], if_not_exists=True
    )
    op.create_table(
        "digest_deliveries",
        sa.Column("id", _PK, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("schedule_id", sa.String(64), nullable=False),
        sa.Column("iso_week", sa.String(16), nullable=False),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("due_us", sa.BigInteger(), nullable=False),
        sa.Column("sent_us", sa.BigInteger(), nullable=True),
        sa.Column("next_attempt_us", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint(
            "tenant_id", "schedule_id", "iso_week", name="uq_digest_deliveries_week"
        ),
        if_not_exists=True,
    )
    op.create_index(
        "ix_digest_deliveries_pending",
        "digest_deliveries",
        ["status", "next_attempt_us"],
        if_not_exists=True,
    )
    op.create_table(
        "sync_cursors",
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "source"),
        if_not_exists=True,
    )
    op.create_table(
        "webhook_receipts",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("received_us", sa.BigInteger(), nullable=False),
        if_not_exists=True,
    )
    op.create_index(
        "ix_webhook_receipts_received", "webhook_receipts", ["received_us"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_receipts_received", table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
    op.drop_table("sync_cursors")
    op.drop_index("ix_digest_deliveries_pending", table_name="digest_deliveries")
    op.drop_table("digest_deliveries")
    op.drop_index("ix_digest_schedules_next_run", table_name="digest_schedules")
    op.drop_table("digest_schedules")
    with op.batch_alter_table("tickets") as batch:
        for name in (
            "replies_source",
            "first_response_source",
            "reported_first_response_s",
            "reported_replies",
        ):
            batch.drop_column(name)
