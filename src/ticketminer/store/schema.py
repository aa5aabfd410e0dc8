"""Tables. Timestamps are int64 microseconds since the epoch (UTC): portable across
SQLite and PostgreSQL, exact on round trip, and cheap to load into numpy."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# The per-ticket numbers metrics are computed from, as the metrics cache reads them.
METRIC_FACTS = (
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
    "customer_since_us",
)
# Its catch-up read: (tenant, version > n) and the facts, then two categorical columns.
FACTS_READ = ("version", *METRIC_FACTS, "channel", "customer_id")

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias).
PrimaryKeyId = BigInteger().with_variant(Integer(), "sqlite")


def _ticket_pk() -> Column:
    """The key of a one-row-per-ticket side table; rows go with their ticket."""
    return Column(
        "ticket_pk", PrimaryKeyId, ForeignKey("tickets.pk", ondelete="CASCADE"), primary_key=True
    )


tickets = Table(
    "tickets",
    metadata,
    Column("pk", PrimaryKeyId, primary_key=True, autoincrement=True),
    Column("tenant_id", String(256), nullable=False),
    Column("external_id", String(256), nullable=False),
    # Monotonic change number, from the `counters` row, in commit order; caches
    # read `version > last_seen` to catch up with every writer.
    Column("version", BigInteger, nullable=False),
    Column("ingested_us", BigInteger, nullable=False),
    Column("content_hash", String(32), nullable=False),
    # Metric facts first and large text last: SQLite stores a row's tail on
    # overflow pages, and the metrics cache reads only these leading columns.
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger),
    Column("status", SmallInteger, nullable=False, default=0),
    Column("solved_us", BigInteger),
    Column("first_solved_us", BigInteger),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("csat", SmallInteger),
    # Derived at ingest by metrics.ticket_facts (see TicketAnalysis).
    Column("first_response_s", Float),
    Column("resolution_s", Float),
    Column("full_resolution_s", Float),
    Column("agent_replies", Integer, nullable=False, default=0),
    Column("solved", Boolean, nullable=False, default=False),
    Column("ever_solved", Boolean, nullable=False, default=False),
    Column("reopened", Boolean, nullable=False, default=False),
    Column("fcr", Boolean),
    Column("fcr_no_followup", Boolean),
    Column("channel", String(256), nullable=False, default=""),
    Column("customer_id", String(256), nullable=False, default=""),
    Column("customer_since_us", BigInteger),
    Column("language", String(64), nullable=False, default=""),
    Column("subject", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    # JSON documents: read back whole, never queried inside.
    Column("messages_json", Text, nullable=False, default="[]"),
    Column("attributes_json", Text, nullable=False, default="{}"),
    Column("tags_json", Text, nullable=False, default="[]"),
    # What an export states in place of the thread (Ticket.reported), and where the
    # analysis took first response and replies from (FactSource numbers). Last, as
    # 0008 adds them to existing databases.
    Column("reported_replies", Integer),
    Column("reported_first_response_s", Float),
    Column("first_response_source", SmallInteger, nullable=False, default=0, server_default="0"),
    Column("replies_source", SmallInteger, nullable=False, default=0, server_default="0"),
    UniqueConstraint("tenant_id", "external_id", name="uq_tickets_tenant_external"),
    Index("ix_tickets_tenant_created", "tenant_id", "created_us"),
    # Covers the metrics cache's catch-up read (tenant, version > n, fact columns),
    # so loading a million tickets scans this index, not the 2 KB rows.
    Index("ix_tickets_tenant_version_facts", "tenant_id", *FACTS_READ),
    # The embedding queue reads every tenant's changes in commit order.
    Index("ix_tickets_version", "version"),
)

# One row per attribute, so any key is a filter or group-by key in plain SQL.
ticket_attributes = Table(
    "ticket_attributes",
    metadata,
    _ticket_pk(),
    Column("key", String(256), primary_key=True),
    Column("tenant_id", String(256), nullable=False),
    Column("value", Text, nullable=False),
    # Metrics load one key's values for a tenant at a time.
    Index("ix_attributes_tenant_key", "tenant_id", "key"),
)

# Tokens computed once at ingest, so re-clustering never tokenises again.
# Space-joined: tokens never contain whitespace.
ticket_tokens = Table(
    "ticket_tokens",
    metadata,
    _ticket_pk(),
    Column("tenant_id", String(256), nullable=False),
    Column("tokens", Text, nullable=False),
    Index("ix_ticket_tokens_tenant", "tenant_id", "ticket_pk"),
)

# The current issue of each ticket (issue_id 0: unassigned, the candidate pool).
# `version` comes from the shared change counter, so caches catch up by version
# exactly as they do for tickets, whoever wrote the assignment.
ticket_issues = Table(
    "ticket_issues",
    metadata,
    _ticket_pk(),
    Column("tenant_id", String(256), nullable=False),
    Column("issue_id", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("assigned_us", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    # The variant of the issue (a sub-issue id; 0: none yet, or the issue has none).
    Column("sub_issue_id", Integer, nullable=False, server_default="0"),
    Index("ix_ticket_issues_catch_up", "tenant_id", "version", "ticket_pk", "issue_id"),
)

# Superseded assignments; with ticket_issues this is a ticket's full history.
ticket_issue_history = Table(
    "ticket_issue_history",
    metadata,
    Column("id", PrimaryKeyId, primary_key=True, autoincrement=True),
    Column("ticket_pk", PrimaryKeyId, ForeignKey("tickets.pk", ondelete="CASCADE")),
    Column("issue_id", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("assigned_us", BigInteger, nullable=False),
    Column("replaced_us", BigInteger, nullable=False),
    Index("ix_ticket_issue_history_ticket", "ticket_pk"),
)

# One row per fitted issue model; the newest one assigns incoming tickets.
issue_models = Table(
    "issue_models",
    metadata,
    Column("tenant_id", String(256), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("created_us", BigInteger, nullable=False),
    Column("n_tickets", Integer, nullable=False),
    Column("n_issues", Integer, nullable=False),
    Column("unclustered", Integer, nullable=False),
    Column("params_json", Text, nullable=False),
    # np.savez of the estimator state: arrays only, loaded without pickle.
    Column("state", LargeBinary, nullable=False),
)

issues = Table(
    "issues",
    metadata,
    Column("tenant_id", String(256), primary_key=True),
    Column("issue_id", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),  # active | merged | retired
    Column("label", Text, nullable=False),
    Column("terms_json", Text, nullable=False),
    Column("languages", String(32), nullable=False, default=""),
    Column("representative_pk", BigInteger),
    Column("size", Integer, nullable=False),
    # Row of this issue in the model's centroid matrix (-1 once inactive).
    Column("cluster_index", Integer, nullable=False),
    Column("merged_into", Integer),
    Column("born_model_version", Integer, nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("born_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    # Set for a sub-issue (a variant of the issue it names); NULL for an issue. Last:
    # added by revision 0005.
    Column("parent_id", Integer),
)

issue_lineage = Table(
    "issue_lineage",
    metadata,
    Column("id", PrimaryKeyId, primary_key=True, autoincrement=True),
    Column("tenant_id", String(256), nullable=False),
    Column("model_version", Integer, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # born | merged | split | retired
    Column("issue_id", Integer, nullable=False),
    # The other side: merged into / split from.
    Column("related_issue_id", Integer),
    Column("tickets", Integer, nullable=False),
    Index("ix_issue_lineage_tenant_issue", "tenant_id", "issue_id"),
)

# One semantic vector per ticket (float16 bytes), embedded off the ingest path by the
# embedding queue from the ticket's opening text; `text_hash` spares re-embedding a
# ticket whose update left that text alone, `model` names the vector space.
ticket_vectors = Table(
    "ticket_vectors",
    metadata,
    _ticket_pk(),
    Column("tenant_id", String(256), nullable=False),
    Column("model", String(128), nullable=False),
    Column("text_hash", String(32), nullable=False),
    Column("ticket_version", BigInteger, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Index("ix_ticket_vectors_tenant_model", "tenant_id", "model", "ticket_pk"),
)

# A per-ticket sentiment score in [-1, 1] of what the customer wrote, and its anger
# in [0, 1) (text/anger.py; NULL in rows scored before revision 0006). Anomaly scans
# score the tickets of their window that have none (off the ingest path);
# negative-sentiment surges are detected on the anger.
ticket_sentiment = Table(
    "ticket_sentiment",
    metadata,
    _ticket_pk(),
    Column("tenant_id", String(256), nullable=False),
    Column("score", Float, nullable=False),
    Column("anger", Float, nullable=True),
    Index("ix_ticket_sentiment_tenant", "tenant_id", "ticket_pk"),
)

# One row per incident: a scan updates the row while the incident lasts.
anomalies = Table(
    "anomalies",
    metadata,
    Column("id", PrimaryKeyId, primary_key=True, autoincrement=True),
    Column("tenant_id", String(256), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("metric", String(32), nullable=False),
    Column("issue_id", Integer),  # NULL: tenant-wide
    Column("status", SmallInteger, nullable=False),
    Column("severity", SmallInteger, nullable=False),
    Column("start_us", BigInteger, nullable=False),
    Column("detected_us", BigInteger, nullable=False),
    Column("end_us", BigInteger),  # NULL while open or ongoing
    Column("updated_us", BigInteger, nullable=False),
    Column("observed", Float, nullable=False),
    Column("expected", Float, nullable=False),
    Column("pvalue", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("tickets", BigInteger, nullable=False),
    # Root causes, terms, evidence, summary and series, as JSON (read whole).
    Column("payload", Text, nullable=False),
    Index("ix_anomalies_tenant_start", "tenant_id", "start_us"),
    Index("ix_anomalies_tenant_status", "tenant_id", "status"),
)

# The issues an anomaly spans besides its own (one incident over several issues), so
# that an issue's anomalies include the incidents that touched it.
anomaly_issues = Table(
    "anomaly_issues",
    metadata,
    Column(
        "anomaly_id",
        PrimaryKeyId,
        ForeignKey("anomalies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("issue_id", Integer, primary_key=True),
    Index("ix_anomaly_issues_issue", "issue_id"),
)

# When each tenant was last scanned for anomalies.
anomaly_scans = Table(
    "anomaly_scans",
    metadata,
    Column("tenant_id", String(256), primary_key=True),
    Column("scanned_us", BigInteger, nullable=False),
    # The change number the scan saw; a scan with nothing newer can be skipped.
    Column("ticket_version", BigInteger, nullable=False),
)

# Per-tenant settings as one JSON document, so a new setting needs no new column.
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant_id", String(256), primary_key=True),
    Column("document", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)

# API keys: the secret only as a SHA-256 hash (keys are random, so no slow hash is
# needed); tenants as a JSON list, ["*"] for all.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("tenants", Text, nullable=False),
    Column("scope", String(16), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("revoked_us", BigInteger, nullable=True),
    Column("note", Text, nullable=False, default=""),
)

# Standing orders to send a tenant's weekly digest: the schedule as one JSON document,
# the signing secret apart (never returned), and the next send for the due-scan.
digest_schedules = Table(
    "digest_schedules",
    metadata,
    Column("tenant_id", String(256), primary_key=True),
    Column("schedule_id", String(64), primary_key=True),
    Column("document", Text, nullable=False),
    Column("secret", Text, nullable=True),
    Column("next_run_us", BigInteger, nullable=True),
    Column("updated_us", BigInteger, nullable=False),
    Index("ix_digest_schedules_next_run", "next_run_us"),
)

# One row per scheduled send of one week: the unique key is what makes a restart or
# a second replica unable to send the same week twice.
digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column("id", PrimaryKeyId, primary_key=True, autoincrement=True),
    Column("tenant_id", String(256), nullable=False),
    Column("schedule_id", String(64), nullable=False),
    Column("iso_week", String(16), nullable=False),
    Column("channel", SmallInteger, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text, nullable=False, default=""),
    Column("due_us", BigInteger, nullable=False),
    Column("sent_us", BigInteger, nullable=True),
    Column("next_attempt_us", BigInteger, nullable=True),
    UniqueConstraint("tenant_id", "schedule_id", "iso_week", name="uq_digest_deliveries_week"),
    Index("ix_digest_deliveries_pending", "status", "next_attempt_us"),
)

# Where `ticketminer sync` left off, per tenant and source (zendesk, freshdesk).
sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("tenant_id", String(256), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)

# Hashes of accepted signed webhook deliveries, so a replay inside the signature's
# time window is refused on every replica; pruned by age.
webhook_receipts = Table(
    "webhook_receipts",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("received_us", BigInteger, nullable=False),
    Index("ix_webhook_receipts_received", "received_us"),
)

# Which tickets were deleted, at which change number: caches catch up by version, so a
# deletion must leave a version behind for every replica to see. Holds no content.
ticket_deletions = Table(
    "ticket_deletions",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("tenant_id", String(256), nullable=False),
    Column("ticket_pk", BigInteger, nullable=False),
    Index("ix_ticket_deletions_tenant_version", "tenant_id", "version", "ticket_pk"),
)

# Who deleted what and when, without content: the subject id only as a SHA-256 hash.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", PrimaryKeyId, primary_key=True, autoincrement=True),
    Column("tenant_id", String(256), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject_kind", String(16), nullable=False),
    Column("subject_hash", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Index("ix_audit_log_tenant_at", "tenant_id", "at_us"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

TICKET_VERSION = "ticket_version"
