"""The write transaction for a batch of tickets, run by the group committer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ticketminer.domain.issues import IssueAssignment
from ticketminer.domain.model import Ticket
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.domain.upsert import UpsertPlan, plan_upsert
from ticketminer.issues.stored_tokens import stored_text
from ticketminer.store.assignments_repo import NewAssignment, write_assignments, write_tokens
from ticketminer.store.sentiment_repo import forget_sentiment
from ticketminer.store.tickets_repo import fetch_summaries, reserve_versions, write_plans


@dataclass(frozen=True, slots=True)
class PreparedTicket:
    """A validated ticket with what was derived from its text before the write."""

    ticket: Ticket
    tokens: list[str]
    issue: IssueAssignment
    opening: int = -1  # how many of `tokens` open the ticket (-1: all of them)


def _stored(item: PreparedTicket) -> str:
    return stored_text(item.tokens, len(item.tokens) if item.opening < 0 else item.opening)


def _rounds(tickets: Sequence[PreparedTicket]) -> list[list[int]]:
    """Split indices so each (tenant, id) occurs once per round, in arrival order;
    the second copy of a ticket is then planned against the first one's result."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    rounds: list[list[int]] = []
    for i, item in enumerate(tickets):
        key = (item.ticket.tenant_id, item.ticket.external_id)
        k = seen[key]
        seen[key] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(i)
    return rounds


def store_tickets(conn: Connection, items: Sequence[PreparedTicket]) -> list[UpsertPlan]:
    """Upsert validated tickets, their tokens and issue, in the caller's transaction;
    one plan per ticket."""
    if not items:
        return []
    # First statement: takes the write lock, so nothing changes between the
    # summaries we read and the rows we write, and versions follow commit order.
    # Two versions per ticket: one for the row, one for its issue assignment.
    first_version = reserve_versions(conn, 2 * len(items))
    now_us = to_us(utc_now())
    plans: list[UpsertPlan | None] = [None] * len(items)
    issue_version = first_version + len(items)
    for indices in _rounds(items):
        by_tenant: dict[str, list[int]] = defaultdict(list)
        for i in indices:
            by_tenant[items[i].ticket.tenant_id].append(i)
        for tenant, members in by_tenant.items():
            ids = (items[i].ticket.external_id for i in members)
            stored = fetch_summaries(conn, tenant, ids)
            for i in members:
                t = items[i].ticket
                plans[i] = plan_upsert(t, stored.get(t.external_id))
        pks = write_plans(conn, [(plans[i], first_version + i) for i in indices], now_us)  # type: ignore[misc]
        issue_version = _write_text_and_issue(
            conn,
            [items[i] for i in indices],
            [plans[i] for i in indices],  # type: ignore[misc]
            pks,
            issue_version,
            now_us,
        )
    return plans  # type: ignore[return-value]


def _write_text_and_issue(
    conn: Connection,
    items: Sequence[PreparedTicket],
    plans: Sequence[UpsertPlan],
    pks: Sequence[int | None],
    first_version: int,
    now_us: int,
) -> int:
    """Returns the next unused assignment version."""
    by_tenant: dict[str, list[tuple[int, PreparedTicket, bool]]] = defaultdict(list)
    for item, plan, pk in zip(items, plans, pks, strict=True):
        if pk is not None:
            by_tenant[item.ticket.tenant_id].append((pk, item, plan.stored is not None))
    version = first_version
    for tenant, written in by_tenant.items():
        write_tokens(
            conn,
            tenant,
            [(pk, _stored(item)) for pk, item, _ in written],
            [pk for pk, _, updated in written if updated],
        )
        # An updated ticket's sentiment is scored again by the next anomaly scan.
        forget_sentiment(conn, [pk for pk, _, updated in written if updated])
        # Before the tenant's first fit there is nothing to assign; the fit will.
        assignments = [
            NewAssignment(pk, item.issue.issue_id, item.issue.confidence, item.issue.model_version)
            for pk, item, _ in written
            if item.issue.model_version
        ]
        version += write_assignments(conn, tenant, assignments, version, now_us)
    return version
