"""A Freshdesk CSV export (its documented columns, tests/data/exports) imported
through the real CLI and read back through the service."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from databases import fresh_db
from import_helpers import EXPORTS, opened, overall, run_cli

from ticketminer.domain.model import FactSource, TicketStatus

FRESHDESK = str(EXPORTS / "freshdesk_tickets.csv")
HOUR = 3600.0


@pytest.fixture
def imported(tmp_path, capsys):
    db = fresh_db(tmp_path, "f")
    # Auto-detected from the header: no --format.
    code, out, err = run_cli(
        capsys, FRESHDESK, "--db", db, "--tz", "Asia/Kolkata", "--tenant", "fd"
    )
    assert code == 0, out + err
    assert "created 5" in out
    return db


def test_metrics_from_initial_response_and_agent_interactions(imported):
    with opened(imported) as app:
        m = overall(app, "fd")
    assert m.volume == 5 and m.solved == 3  # Resolved, Closed, Resolved
    # 501: one agent interaction -> FCR; 502: two; 505: resolved with none.
    assert (m.fcr.numerator, m.fcr.denominator) == (1, 3)
    # Initial response time - Created time: 20 min, 3 h, 5 min.
    assert m.first_response_time.n == 3
    assert m.first_response_time.mean_seconds == pytest.approx((1200 + 10800 + 300) / 3)
    # Created -> Resolved time: 3 h, 24 h, 1 h.
    assert m.resolution_time.mean_seconds == pytest.approx((3 + 24 + 1) / 3 * HOUR)
    # Awesome -> 5, Not Good -> 1.
    assert m.csat.n == 2 and m.csat.counts == (1, 0, 0, 0, 1)


def test_ticket_fields(imported):
    with opened(imported) as app:
        first = app.tickets.get("fd", "501")
        waiting = app.tickets.get("fd", "504")
        unanswered = app.tickets.get("fd", "505")
        closed = app.tickets.get("fd", "502")
    t = first.ticket
    assert t.created_at == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # 09:00 at UTC+05:30
    assert t.status == TicketStatus.SOLVED and t.channel == "email" and t.csat == 5
    assert t.customer_id == "7001" and t.tags == ["delivery", "late"]
    assert t.description.startswith("Where is my parcel?")
    assert t.attributes == {
        "priority": "Medium",
        "type": "Question",
        "agent": "Bo Agent",
        "group": "Support",
        "product": "Parcels",
        "company": "Example Ltd",
    }
    assert first.analysis.first_response_seconds == 1200
    assert first.analysis.first_response_source == FactSource.REPORTED
    assert waiting.ticket.status == TicketStatus.PENDING  # "Waiting on Customer"
    assert waiting.ticket.customer_id == "ed@example.com"  # no Contact ID: the email
    assert unanswered.analysis.fcr is False and unanswered.analysis.first_response_seconds is None
    assert closed.ticket.status == TicketStatus.CLOSED
    assert closed.ticket.solved_at == datetime(2026, 3, 3, 4, 30, tzinfo=UTC)  # Resolved time


def test_custom_field_and_business_hours_column_by_field_map(tmp_path, capsys):
    db = fresh_db(tmp_path, "fmap")
    spec = "Order number=attributes.order_id,Initial response time=-," + (
        "First response time (in hrs)=reported.first_response_hours"
    )
    code, out, err = run_cli(
        capsys,
        FRESHDESK,
        "--db",
        db,
        "--tz",
        "UTC",
        "--format",
        "freshdesk-csv",
        "--field-map",
        spec,
    )
    assert code == 0, out + err
    with opened(db) as app:
        first = app.tickets.get("default", "501")
    assert first.ticket.attributes["order_id"] == "A-1"
    assert first.analysis.first_response_seconds == 20 * 60  # "00:20:00"
