"""Per-ticket anger beside the sentiment score (ticket_sentiment.anger).

Nullable, so existing rows need no rewrite; the next anomaly scan scores the rows of
its window that have none again (their text is read anyway for new tickets).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket_sentiment", sa.Column("anger", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_sentiment") as batch:
        batch.drop_column("anger")
