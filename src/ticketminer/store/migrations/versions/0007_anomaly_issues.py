"""The issues each anomaly spans (anomaly_issues), for an issue's anomaly list.

Filled from the issue ids every stored anomaly already keeps in its payload. IF NOT
EXISTS for the same reason as 0003 (a database made by create_all may hold the table,
empty); it is filled only when empty.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 20:20:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "anomaly_issues",
        sa.Column(
            "anomaly_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["anomaly_id"], ["anomalies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("anomaly_id", "issue_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_anomaly_issues_issue", "anomaly_issues", ["issue_id"], unique=False, if_not_exists=True
    )
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM anomaly_issues LIMIT 1")).first():
        return
    rows = bind.execute(sa.text("SELECT id, issue_id, payload FROM anomalies"))
    spans = [
        {"anomaly_id": row.id, "issue_id": int(i)}
        for row in rows
        for i in sorted(set(json.loads(row.payload).get("issue_ids", [])) - {row.issue_id})
    ]
    if spans:
        op.bulk_insert(table, spans)


def downgrade() -> None:
    op.drop_index("ix_anomaly_issues_issue", table_name="anomaly_issues")
    op.drop_table("anomaly_issues")
