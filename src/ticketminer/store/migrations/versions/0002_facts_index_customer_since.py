"""Facts covering index gains customer_since_us (0978df4).

Tenure buckets read it with the other metric facts, so the catch-up read stays
index-only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:22:28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "ix_tickets_tenant_version_facts"
_HEAD = (
    "tenant_id",
    "version",
    "created_us",
    "status",
    "csat",
    "first_response_s",
    "resolution_s",
    "full_resolution_s",
    "solved",
    "ever_solved",
    "reopened",
    "fcr",
    "fcr_no_followup",
)
_TAIL = ("channel", "customer_id")
COLUMNS_BEFORE = (*_HEAD, *_TAIL)
COLUMNS_AFTER = (*_HEAD, "customer_since_us", *_TAIL)


def _rebuild(columns: tuple[str, ...]) -> None:
    # Index-only changes never make batch mode copy the table, even on SQLite.
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(INDEX)
        batch.create_index(INDEX, list(columns))


def upgrade() -> None:
    _rebuild(COLUMNS_AFTER)


def downgrade() -> None:
    _rebuild(COLUMNS_BEFORE)
