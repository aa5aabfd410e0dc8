"""The write transaction for a batch of tickets, run by the group committer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection

from ticketminer.domain.model import Ticket
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.domain.upsert import UpsertPlan, plan_upsert
from ticketminer.store.tickets_repo import fetch_summaries, reserve_versions, write_plans


def _rounds(tickets: Sequence[Ticket]) -> list[list[int]]:
    """Split indices so each (tenant, id) occurs once per round, in arrival order;
    the second copy of a ticket is then planned against the first one's result."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    rounds: list[list[int]] = []
    for i, t in enumerate(tickets):
        key = (t.tenant_id, t.external_id)
        k = seen[key]
        seen[key] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(i)
    return rounds


def store_tickets(conn: Connection, tickets: Sequence[Ticket]) -> list[UpsertPlan]:
    """Upsert validated tickets in the caller's transaction; one plan per ticket."""
    if not tickets:
        return []
    # First statement: takes the write lock, so nothing changes between the
    # summaries we read and the rows we write, and versions follow commit order.
    first_version = reserve_versions(conn, len(tickets))
    now_us = to_us(utc_now())
    plans: list[UpsertPlan | None] = [None] * len(tickets)
    for indices in _rounds(tickets):
        by_tenant: dict[str, list[int]] = defaultdict(list)
        for i in indices:
            by_tenant[tickets[i].tenant_id].append(i)
        for tenant, members in by_tenant.items():
            stored = fetch_summaries(conn, tenant, (tickets[i].external_id for i in members))
            for i in members:
                plans[i] = plan_upsert(tickets[i], stored.get(tickets[i].external_id))
        write_plans(conn, [(plans[i], first_version + i) for i in indices], now_us)  # type: ignore[misc]
    return plans  # type: ignore[return-value]
