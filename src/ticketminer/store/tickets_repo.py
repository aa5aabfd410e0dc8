"""Repository functions for tickets. Each takes an open connection so the caller
decides the transaction; none of them commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from ticketminer.domain.model import StoredTicket
from ticketminer.domain.timeutil import from_us_or_none
from ticketminer.domain.upsert import StoredSummary, UpsertPlan
from ticketminer.store.bulk_sql import execute_many
from ticketminer.store.schema import TICKET_VERSION, counters, ticket_attributes, tickets
from ticketminer.store.ticket_rows import analysis_from_row, stored_ticket_from_row, ticket_row

_SUMMARY_COLUMNS = (
    tickets.c.pk,
    tickets.c.external_id,
    tickets.c.content_hash,
    tickets.c.updated_us,
    tickets.c.first_solved_us,
    tickets.c.first_response_s,
    tickets.c.resolution_s,
    tickets.c.full_resolution_s,
    tickets.c.agent_replies,
    tickets.c.solved,
    tickets.c.ever_solved,
    tickets.c.reopened,
    tickets.c.fcr,
    tickets.c.fcr_no_followup,
    tickets.c.first_response_source,
    tickets.c.replies_source,
)
_IN_CHUNK = 500

# Built once so bulk_sql can cache their compiled form.
_INSERT_TICKETS = insert(tickets)
_INSERT_ATTRIBUTES = insert(ticket_attributes)
# Bound names must differ from column names in an executemany UPDATE.
_UPDATE_TICKET = (
    update(tickets)
    .where(tickets.c.pk == bindparam("b_pk"))
    .values({c.name: bindparam(f"b_{c.name}") for c in tickets.c if c.name != "pk"})
)


def fetch_summaries(
    conn: Connection, tenant_id: str, external_ids: Iterable[str]
) -> dict[str, StoredSummary]:
    """The stored state needed to plan upserts, for the ids that exist."""
    ids = list(dict.fromkeys(external_ids))
    found: dict[str, StoredSummary] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = select(*_SUMMARY_COLUMNS).where(
            tickets.c.tenant_id == tenant_id, tickets.c.external_id.in_(chunk)
        )
        for row in conn.execute(query):
            found[row.external_id] = StoredSummary(
                pk=row.pk,
                content_hash=row.content_hash,
                updated_at=from_us_or_none(row.updated_us),
                first_solved_at=from_us_or_none(row.first_solved_us),
                analysis=analysis_from_row(row),
            )
    return found


def reserve_versions(conn: Connection, count: int) -> int:
    """Take `count` change numbers and return the first. The counter row lock also
    serialises writers, so versions become visible in increasing order."""
    last = conn.execute(
        update(counters)
        .where(counters.c.name == TICKET_VERSION)
        .values(value=counters.c.value + count)
        .returning(counters.c.value)
    ).scalar_one()
    return last - count + 1


def write_plans(
    conn: Connection, plans: Sequence[tuple[UpsertPlan, int]], now_us: int
) -> list[int | None]:
    """Store every (plan, version) that writes; each (tenant, external_id) must occur
    once. Versions come from `reserve_versions`, taken at the start of the transaction.
    Returns the ticket pk of each plan that wrote (None for the others)."""
    written: list[int | None] = [p.stored.pk if p.writes and p.stored else None for p, _ in plans]
    writing = [(p, v) for p, v in plans if p.writes]
    if not writing:
        return written
    new_rows: list[dict[str, Any]] = []
    new_attrs: list[dict[str, str]] = []
    changed_rows: list[dict[str, Any]] = []
    changed_attrs: list[tuple[int, dict[str, str]]] = []
    for plan, version in writing:
        row = ticket_row(plan.ticket, plan.analysis, plan.content_hash, version, now_us)
        if plan.stored is None:
            new_rows.append(row)
            new_attrs.append(plan.ticket.attributes)
        else:
            bound = {f"b_{k}": v for k, v in row.items()}
            bound["b_pk"] = plan.stored.pk
            changed_rows.append(bound)
            changed_attrs.append((plan.stored.pk, plan.ticket.attributes))

    attr_rows: list[dict[str, Any]] = []
    if new_rows:
        execute_many(conn, _INSERT_TICKETS, new_rows)
        # The write lock is ours, so (tenant, external_id) finds exactly these rows.
        for tenant, ids in _ids_by_tenant(new_rows).items():
            pks = _pks_of(conn, tenant, ids)
            for row, attrs in zip(new_rows, new_attrs, strict=True):
                if row["tenant_id"] == tenant:
                    attr_rows.extend(_attribute_rows(pks[row["external_id"]], tenant, attrs))
            for i, (plan, _) in enumerate(plans):
                t = plan.ticket
                if plan.writes and plan.stored is None and t.tenant_id == tenant:
                    written[i] = pks[t.external_id]
    if changed_rows:
        execute_many(conn, _UPDATE_TICKET, changed_rows)
        pks_changed = [pk for pk, _ in changed_attrs]
        for start in range(0, len(pks_changed), _IN_CHUNK):
            conn.execute(
                delete(ticket_attributes).where(
                    ticket_attributes.c.ticket_pk.in_(pks_changed[start : start + _IN_CHUNK])
                )
            )
        for (pk, attrs), row in zip(changed_attrs, changed_rows, strict=True):
            attr_rows.extend(_attribute_rows(pk, row["b_tenant_id"], attrs))
    execute_many(conn, _INSERT_ATTRIBUTES, attr_rows)
    return written


def _ids_by_tenant(rows: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["tenant_id"], []).append(row["external_id"])
    return out


def _pks_of(conn: Connection, tenant_id: str, external_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), _IN_CHUNK):
        query = select(tickets.c.external_id, tickets.c.pk).where(
            tickets.c.tenant_id == tenant_id,
            tickets.c.external_id.in_(external_ids[start : start + _IN_CHUNK]),
        )
        found.update((ext, pk) for ext, pk in conn.execute(query))
    return found


def _attribute_rows(pk: int, tenant_id: str, attrs: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"ticket_pk": pk, "tenant_id": tenant_id, "key": k, "value": v} for k, v in attrs.items()
    ]


def get_ticket(conn: Connection, tenant_id: str, external_id: str) -> StoredTicket | None:
    row = conn.execute(
        select(tickets).where(
            tickets.c.tenant_id == tenant_id, tickets.c.external_id == external_id
        )
    ).first()
    return None if row is None else stored_ticket_from_row(row)


def get_tickets_by_pk(
    conn: Connection, pks: Sequence[int], include_messages: bool = False
) -> list[StoredTicket]:
    """Tickets in the order of `pks`; missing pks are skipped."""
    by_pk: dict[int, Any] = {}
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = list(pks[start : start + _IN_CHUNK])
        for row in conn.execute(select(tickets).where(tickets.c.pk.in_(chunk))):
            by_pk[row.pk] = row
    return [stored_ticket_from_row(by_pk[pk], include_messages) for pk in pks if pk in by_pk]


def pks_changed_after(conn: Connection, tenant_id: str, after_version: int) -> np.ndarray:
    """Pks of the tenant's tickets written after a change number (index-only read)."""
    query = select(tickets.c.pk).where(
        tickets.c.tenant_id == tenant_id, tickets.c.version > after_version
    )
    return np.fromiter(conn.execute(query).scalars(), dtype=np.int64)


def ticket_samples(
    conn: Connection, tenant_id: str, pks: Sequence[int] = (), external_ids: Sequence[str] = ()
) -> list[tuple[int, str, int, str, str, str]]:
    """(pk, external_id, created_us, channel, subject, description) of the tickets
    named by pk or by external id: a few to quote, never a bulk read."""
    cols = (
        tickets.c.pk,
        tickets.c.external_id,
        tickets.c.created_us,
        tickets.c.channel,
        tickets.c.subject,
        tickets.c.description,
    )
    found = []
    # By primary key alone: with the tenant in the condition too, SQLite may pick a
    # tenant index and scan every ticket of the tenant.
    by_pk = [tickets.c.pk.in_(chunk) for chunk in _chunks(list(pks))]
    by_external = [
        (tickets.c.tenant_id == tenant_id) & tickets.c.external_id.in_(chunk)
        for chunk in _chunks(list(external_ids))
    ]
    for condition in (*by_pk, *by_external):
        found.extend(tuple(row) for row in conn.execute(select(*cols).where(condition)))
    return found


def _chunks(values: list) -> list[list]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]
