"""Decide what an incoming ticket state does to the stored one.

Kept pure so the rules (idempotency, stale updates, first-solve memory) are unit
tested without a database; the store only applies the decision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from ticketminer.domain.model import IngestOutcome, Ticket, TicketAnalysis
from ticketminer.domain.timeutil import to_us
from ticketminer.metrics.ticket_facts import analyse


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """The few stored columns an upsert decision needs."""

    pk: int
    content_hash: str
    updated_at: datetime | None
    first_solved_at: datetime | None
    analysis: TicketAnalysis


@dataclass(frozen=True, slots=True)
class UpsertPlan:
    outcome: IngestOutcome
    ticket: Ticket  # the state to store; for UNCHANGED/STALE nothing is written
    content_hash: str
    stored: StoredSummary | None
    analysis: TicketAnalysis  # of the state that is stored after the upsert

    @property
    def writes(self) -> bool:
        return self.outcome in (IngestOutcome.CREATED, IngestOutcome.UPDATED)


def _instant(value: datetime | None) -> int | None:
    return to_us(value) if value is not None else None


def content_hash(ticket: Ticket) -> str:
    """A stable fingerprint of everything the caller sent, to detect re-sends."""
    payload = [
        ticket.tenant_id,
        ticket.external_id,
        _instant(ticket.created_at),
        _instant(ticket.updated_at),
        ticket.channel,
        ticket.subject,
        ticket.description,
        [
            [
                m.external_id,
                int(m.author_role),
                _instant(m.created_at),
                m.body,
                m.public,
                m.author_id,
            ]
            for m in ticket.messages
        ],
        int(ticket.status),
        _instant(ticket.solved_at),
        _instant(ticket.first_solved_at),
        ticket.reopen_count,
        ticket.customer_id,
        _instant(ticket.customer_since),
        sorted(ticket.attributes.items()),
        ticket.tags,
        ticket.csat,
        ticket.language,
    ]
    if ticket.reported:  # only then, so hashes stored before reported facts still match
        payload.append(
            [ticket.reported.public_agent_replies, ticket.reported.first_response_seconds]
        )
    # repr of str/int/bool/None lists is exact and deterministic, and faster than JSON.
    blob = repr(payload).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def plan_upsert(incoming: Ticket, stored: StoredSummary | None) -> UpsertPlan:
    """Apply the upsert rules: create, replace, or leave the stored state alone."""
    digest = content_hash(incoming)
    if stored is None:
        first_solve = _earliest(incoming.first_solved_at, incoming.solved_at)
        merged = replace(incoming, first_solved_at=first_solve)
        return UpsertPlan(IngestOutcome.CREATED, merged, digest, None, analyse(merged))
    if stored.content_hash == digest:
        return UpsertPlan(IngestOutcome.UNCHANGED, incoming, digest, stored, stored.analysis)
    if (
        incoming.updated_at is not None
        and stored.updated_at is not None
        and incoming.updated_at < stored.updated_at
    ):
        return UpsertPlan(IngestOutcome.STALE, incoming, digest, stored, stored.analysis)
    # A ticket that was solved, reopened and solved again keeps its first solve. A state
    # sent without updated_at keeps the stored one: otherwise the next stale state
    # (updated_at older than the stored one) would find nothing to compare with.
    first_solve = _earliest(stored.first_solved_at, incoming.first_solved_at, incoming.solved_at)
    merged = replace(
        incoming,
        first_solved_at=first_solve,
        updated_at=incoming.updated_at or stored.updated_at,
    )
    return UpsertPlan(IngestOutcome.UPDATED, merged, digest, stored, analyse(merged))
