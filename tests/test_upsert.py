"""Upsert rules: create, replace, ignore re-sends and stale states, remember the first solve."""

from __future__ import annotations

from builders import agent, at, ticket

from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.model import IngestOutcome, TicketStatus


def test_resend_is_unchanged_and_change_is_update(app):
    t = ticket("a", 0, agent(5), channel="email")
    assert app.tickets.ingest(t).outcome == IngestOutcome.CREATED
    assert app.tickets.ingest(t).outcome == IngestOutcome.UNCHANGED
    t.subject = "now with a subject"
    assert app.tickets.ingest(t).outcome == IngestOutcome.UPDATED
    page = app.tickets.list("default", TicketFilter())
    assert page.total_size == 1
    assert app.tickets.get("default", "a").ticket.subject == "now with a subject"


def test_older_state_is_stale_and_ignored(app):
    newer = ticket("a", 0, updated_at=at(60), subject="new")
    older = ticket("a", 0, updated_at=at(30), subject="old")
    app.tickets.ingest(newer)
    assert app.tickets.ingest(older).outcome == IngestOutcome.STALE
    assert app.tickets.get("default", "a").ticket.subject == "new"


def test_first_solve_survives_reopen_and_resolve(app):
    app.tickets.ingest(ticket("a", 0, status=TicketStatus.SOLVED, solved=60))
    app.tickets.ingest(ticket("a", 0, status=TicketStatus.OPEN, reopens=1, updated_at=at(70)))
    result = app.tickets.ingest(
        ticket("a", 0, status=TicketStatus.SOLVED, solved=200, reopens=1, updated_at=at(200))
    )
    assert result.analysis.resolution_seconds == 60 * 60
    assert result.analysis.full_resolution_seconds == 200 * 60
    assert app.tickets.get("default", "a").ticket.first_solved_at == at(60)


def test_tenants_are_separate(app):
    app.tickets.ingest(ticket("a", 0, tenant_id="t1", subject="one"))
    app.tickets.ingest(ticket("a", 0, tenant_id="t2", subject="two"))
    assert app.tickets.get("t1", "a").ticket.subject == "one"
    assert app.tickets.get("t2", "a").ticket.subject == "two"


def test_bulk_with_repeats_applies_them_in_order(app):
    first = ticket("a", 0, subject="first", updated_at=at(1))
    second = ticket("a", 0, subject="second", updated_at=at(10))
    late = ticket("a", 0, subject="late copy", updated_at=at(5))
    report = app.tickets.ingest_bulk([first, second, late, second])
    assert (report.created, report.updated, report.stale, report.unchanged) == (1, 1, 1, 1)
    assert app.tickets.get("default", "a").ticket.subject == "second"


def test_round_trip_keeps_every_field(app):
    t = ticket(
        "full", 0, agent(3), status=TicketStatus.SOLVED, solved=9, channel="chat",
        subject="订单没到 parcel late", description="d", customer_id="c1",
        customer_since=at(-1000), attributes={"carrier": "SF", "region": "华南"},
        tags=["vip", "late"], csat=4, language="zh", updated_at=at(9),
    )  # fmt: skip
    app.tickets.ingest(t)
    stored = app.tickets.get("default", "full").ticket
    t.first_solved_at = t.solved_at  # the service remembers the first solve
    assert stored == t
