"""Per-tenant settings, one JSON document per tenant (76af1c4).

IF NOT EXISTS: a database made before migrations by create_all may hold this table
while its older tickets index (create_all never alters a table it finds) makes it
detected as 0001; the table is exactly this one, as the definition never changed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:33:23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sa.String(256), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("tenant_settings")
