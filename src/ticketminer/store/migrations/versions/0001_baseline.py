"""Baseline: the schema as released at 2fbf694.

Tickets and their side tables, issues, sentiment and anomalies: the last layout
before migrations, which every later revision grows from. Written out in full, not
read from today's schema.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:03:28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketminer.store.migrations.layouts import FACTS_INDEX, FACTS_INDEX_0001

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias).
PK_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ticket_pk() -> sa.Column:
    return sa.Column(
        "ticket_pk",
        PK_ID,
        sa.ForeignKey("tickets.pk", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("pk", PK_ID, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("external_id", sa.String(256), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("ingested_us", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger()),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("solved_us", sa.BigInteger()),
        sa.Column("first_solved_us", sa.BigInteger()),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("csat", sa.SmallInteger()),
        sa.Column("first_response_s", sa.Float()),
        sa.Column("resolution_s", sa.Float()),
        sa.Column("full_resolution_s", sa.Float()),
        sa.Column("agent_replies", sa.Integer(), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("ever_solved", sa.Boolean(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("fcr", sa.Boolean()),
        sa.Column("fcr_no_followup", sa.Boolean()),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("customer_id", sa.String(256), nullable=False),
        sa.Column("customer_since_us", sa.BigInteger()),
        sa.Column("language", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("messages_json", sa.Text(), nullable=False),
        sa.Column("attributes_json", sa.Text(), nullable=False),
        sa.Column("tags_json", sa.Text(), nullable=False),
        sa.UniqueConstraint("tenant_id", "external_id", name="uq_tickets_tenant_external"),
    )
    op.create_index("ix_tickets_tenant_created", "tickets", ["tenant_id", "created_us"])
    op.create_index(FACTS_INDEX, "tickets", list(FACTS_INDEX_0001))

    op.create_table(
        "ticket_attributes",
        _ticket_pk(),
        sa.Column("key", sa.String(256), primary_key=True),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_index("ix_attributes_tenant_key", "ticket_attributes", ["tenant_id", "key"])

    op.create_table(
        "ticket_tokens",
        _ticket_pk(),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
    )
    op.create_index("ix_ticket_tokens_tenant", "ticket_tokens", ["tenant_id", "ticket_pk"])

    op.create_table(
        "ticket_issues",
        _ticket_pk(),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("assigned_us", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_ticket_issues_catch_up",
        "ticket_issues",
        ["tenant_id", "version", "ticket_pk", "issue_id"],
    )

    op.create_table(
        "ticket_issue_history",
        sa.Column("id", PK_ID, primary_key=True, autoincrement=True),
        sa.Column("ticket_pk", PK_ID, sa.ForeignKey("tickets.pk", ondelete="CASCADE")),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("assigned_us", sa.BigInteger(), nullable=False),
        sa.Column("replaced_us", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_ticket_issue_history_ticket", "ticket_issue_history", ["ticket_pk"])

    op.create_table(
        "issue_models",
        sa.Column("tenant_id", sa.String(256), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("n_tickets", sa.Integer(), nullable=False),
        sa.Column("n_issues", sa.Integer(), nullable=False),
        sa.Column("unclustered", sa.Integer(), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
    )

    op.create_table(
        "issues",
        sa.Column("tenant_id", sa.String(256), primary_key=True),
        sa.Column("issue_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("terms_json", sa.Text(), nullable=False),
        sa.Column("languages", sa.String(32), nullable=False),
        sa.Column("representative_pk", sa.BigInteger()),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("cluster_index", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.Integer()),
        sa.Column("born_model_version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("born_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
    )

    op.create_table(
        "issue_lineage",
        sa.Column("id", PK_ID, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("related_issue_id", sa.Integer()),
        sa.Column("tickets", sa.Integer(), nullable=False),
    )
    op.create_index("ix_issue_lineage_tenant_issue", "issue_lineage", ["tenant_id", "issue_id"])

    op.create_table(
        "ticket_sentiment",
        _ticket_pk(),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_ticket_sentiment_tenant", "ticket_sentiment", ["tenant_id", "ticket_pk"])

    op.create_table(
        "anomalies",
        sa.Column("id", PK_ID, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(256), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("issue_id", sa.Integer()),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("detected_us", sa.BigInteger(), nullable=False),
        sa.Column("end_us", sa.BigInteger()),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("observed", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("pvalue", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("tickets", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_anomalies_tenant_start", "anomalies", ["tenant_id", "start_us"])
    op.create_index("ix_anomalies_tenant_status", "anomalies", ["tenant_id", "status"])

    op.create_table(
        "anomaly_scans",
        sa.Column("tenant_id", sa.String(256), primary_key=True),
        sa.Column("scanned_us", sa.BigInteger(), nullable=False),
        sa.Column("ticket_version", sa.BigInteger(), nullable=False),
    )

    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    # Children before the tickets they reference; indexes go with their tables.
    for table in (
        "counters",
        "anomaly_scans",
        "anomalies",
        "ticket_sentiment",
        "issue_lineage",
        "issues",
        "issue_models",
        "ticket_issue_history",
        "ticket_issues",
        "ticket_tokens",
        "ticket_attributes",
        "tickets",
    ):
        op.drop_table(table)
