"""What the schema looked like at each revision, where code needs to know it: the
revisions that build those layouts and the detection of databases made before
migrations existed. Frozen history: never edit a layout, add the next one."""

from __future__ import annotations

# What a database made before migrations looks like at each revision. Closed: every
# database made since migrations exist carries alembic_version.
BASELINE_TABLES = frozenset(
    {
        "tickets",
        "ticket_attributes",
        "ticket_tokens",
        "ticket_issues",
        "ticket_issue_history",
        "issue_models",
        "issues",
        "issue_lineage",
        "ticket_sentiment",
        "anomalies",
        "anomaly_scans",
        "counters",
    }
)
FACTS_INDEX = "ix_tickets_tenant_version_facts"
_FACTS_HEAD = (
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
FACTS_INDEX_0001 = (*_FACTS_HEAD, "channel", "customer_id")
FACTS_INDEX_0002 = (*_FACTS_HEAD, "customer_since_us", "channel", "customer_id")
