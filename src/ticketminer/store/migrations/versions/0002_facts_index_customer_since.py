"""Facts covering index gains customer_since_us (0978df4).

Tenure buckets read it with the other metric facts, so the catch-up read stays
index-only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:22:28
"""

from __future__ import annotations

from alembic import op

from ticketminer.store.migrations.layouts import FACTS_INDEX, FACTS_INDEX_0001, FACTS_INDEX_0002

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rebuild(columns: tuple[str, ...]) -> None:
    # Index-only changes never make batch mode copy the table, even on SQLite.
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(FACTS_INDEX)
        batch.create_index(FACTS_INDEX, list(columns))


def upgrade() -> None:
    _rebuild(FACTS_INDEX_0002)


def downgrade() -> None:
    _rebuild(FACTS_INDEX_0001)
