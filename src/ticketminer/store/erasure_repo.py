"""Deleting tickets with everything derived from them, and the tombstones that tell
every replica's caches. Each function takes an open connection; none commits."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, delete, insert, select, update

from ticketminer.store.bulk_sql import execute_many
from ticketminer.store.schema import (
    anomalies,
    issues,
    ticket_attributes,
    ticket_deletions,
    ticket_issue_history,
    ticket_issues,
    ticket_sentiment,
    ticket_tokens,
    ticket_vectors,
    tickets,
)
from ticketminer.store.tickets_repo import reserve_versions

_IN_CHUNK = 500
# Every table keyed by a ticket's pk. Their foreign keys cascade, but deleting them
# explicitly does not depend on SQLite's foreign_keys pragma being on.
_SIDE_TABLES = (
    ticket_attributes,
    ticket_tokens,
    ticket_issues,
    ticket_issue_history,
    ticket_vectors,
    ticket_sentiment,
)
_INSERT_TOMBSTONES = insert(ticket_deletions)
# Every table a deletion removes or rewrites rows of (PostgreSQL VACUUMs them).
SCRUBBED_TABLES = tuple(t.name for t in (tickets, *_SIDE_TABLES, issues, anomalies))


def _chunks(values: Sequence[int]) -> list[list[int]]:
    return [list(values[i : i + _IN_CHUNK]) for i in range(0, len(values), _IN_CHUNK)]


def ticket_of(conn: Connection, tenant_id: str, external_id: str) -> list[tuple[int, str]]:
    """[(pk, external_id)] of the ticket, or [] when there is none."""
    query = select(tickets.c.pk, tickets.c.external_id).where(
        tickets.c.tenant_id == tenant_id, tickets.c.external_id == external_id
    )
    return [(pk, ext) for pk, ext in conn.execute(query)]


def tickets_of_customer(
    conn: Connection, tenant_id: str, customer_id: str
) -> list[tuple[int, str]]:
    """[(pk, external_id)] of every ticket of the customer."""
    query = select(tickets.c.pk, tickets.c.external_id).where(
        tickets.c.tenant_id == tenant_id, tickets.c.customer_id == customer_id
    )
    return [(pk, ext) for pk, ext in conn.execute(query)]


def tickets_created_before(
    conn: Connection, tenant_id: str, before_us: int, limit: int
) -> list[tuple[int, str]]:
    """[(pk, external_id)] of up to `limit` of the tenant's tickets created before
    `before_us`, oldest first (the (tenant, created) index)."""
    query = (
        select(tickets.c.pk, tickets.c.external_id)
        .where(tickets.c.tenant_id == tenant_id, tickets.c.created_us < before_us)
        .order_by(tickets.c.created_us)
        .limit(limit)
    )
    return [(pk, ext) for pk, ext in conn.execute(query)]


def delete_tickets(conn: Connection, tenant_id: str, found: Sequence[tuple[int, str]]) -> int:
    """Delete the tickets (pk, external_id) of the tenant, their side rows, the issue
    representatives and anomaly evidence naming them; leave a tombstone per ticket.
    Returns how many tickets were deleted.

    Caches keyed by pk that tombstones do not reach (services.issue_columns) hold an
    entry of a deleted pk that no facts row aligns with; and a pk SQLite reuses gets
    its own assignment at ingest (every ticket of a tenant with an issue model does)."""
    if not found:
        return 0
    pks = [pk for pk, _ in found]
    first = reserve_versions(conn, len(pks))
    execute_many(
        conn,
        _INSERT_TOMBSTONES,
        [
            {"version": first + i, "tenant_id": tenant_id, "ticket_pk": pk}
            for i, pk in enumerate(pks)
        ],
    )
    deleted = 0
    for chunk in _chunks(pks):
        for table in _SIDE_TABLES:
            conn.execute(delete(table).where(table.c.ticket_pk.in_(chunk)))
        conn.execute(
            update(issues)
            .where(issues.c.tenant_id == tenant_id, issues.c.representative_pk.in_(chunk))
            .values(representative_pk=None)
        )
        deleted += conn.execute(delete(tickets).where(tickets.c.pk.in_(chunk))).rowcount
    _drop_evidence(conn, tenant_id, {ext for _, ext in found})
    return deleted


def _drop_evidence(conn: Connection, tenant_id: str, external_ids: set[str]) -> None:
    """Remove the deleted tickets' ids from the evidence lists of stored anomalies."""
    query = select(anomalies.c.id, anomalies.c.payload).where(anomalies.c.tenant_id == tenant_id)
    for anomaly_id, payload in conn.execute(query).all():
        doc = json.loads(payload)
        holders = [doc, *doc.get("root_causes", ())]
        if not any(external_ids.intersection(h.get("evidence", ())) for h in holders):
            continue
        for holder in holders:
            holder["evidence"] = [e for e in holder.get("evidence", ()) if e not in external_ids]
        conn.execute(
            update(anomalies)
            .where(anomalies.c.id == anomaly_id)
            .values(payload=json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
        )


def deleted_after(
    conn: Connection, tenant_id: str, after_version: int
) -> tuple[np.ndarray, np.ndarray]:
    """(pks, versions) of the tenant's tickets deleted after a change number."""
    query = select(ticket_deletions.c.ticket_pk, ticket_deletions.c.version).where(
        ticket_deletions.c.tenant_id == tenant_id, ticket_deletions.c.version > after_version
    )
    rows = conn.execute(query).all()
    pks = np.array([r[0] for r in rows], dtype=np.int64)
    return pks, np.array([r[1] for r in rows], dtype=np.int64)
