"""A Zendesk CSV export (the documented column layout, tests/data/exports) imported
through the real CLI, then read back through the service: the metrics come from the
export's Replies / First reply time / Reopens columns, since it has no thread."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from databases import fresh_db
from import_helpers import EXPORTS, opened, overall, run_cli

from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.model import FactSource, TicketStatus

ZENDESK = str(EXPORTS / "zendesk_tickets.csv")
MIN = 60.0


@pytest.fixture
def imported(tmp_path, capsys):
    db = fresh_db(tmp_path, "z")
    code, out, err = run_cli(
        capsys, ZENDESK, "--db", db, "--tz", "Europe/Berlin", "--tenant", "acme"
    )
    assert code == 0, out + err
    assert "created 5" in out and "rejected 0" in out
    return db


def test_metrics_come_from_the_export_columns(imported):
    with opened(imported) as app:
        m = overall(app, "acme")
    assert m.volume == 5 and m.solved == 3
    # 1001: one reply, no reopen -> FCR; 1002: three replies; 1003: closed with Replies=0.
    assert (m.fcr.numerator, m.fcr.denominator) == (1, 3)
    assert m.first_response_time.n == 4  # 30, 60, 15 and 90 minutes; 1003 has none
    assert m.first_response_time.mean_seconds == pytest.approx(48.75 * MIN)
    # Created -> first solve: 120 and 240 (First resolution time) and 30 minutes.
    assert m.resolution_time.n == 3
    assert m.resolution_time.mean_seconds == pytest.approx(130 * MIN)
    # Created -> Solved at: 2 h, 24 h, 30 min.
    assert m.full_resolution_time.mean_seconds == pytest.approx((120 + 1440 + 30) / 3 * MIN)
    assert (m.reopen_rate.numerator, m.reopen_rate.denominator) == (1, 3)
    # Good -> 5, Bad -> 1; Offered, Unoffered and an empty score leave csat unset.
    assert m.csat.n == 2 and m.csat.counts == (1, 0, 0, 0, 1)


def test_tickets_carry_reported_facts_local_times_and_attributes(imported):
    with opened(imported) as app:
        first = app.tickets.get("acme", "1001")
        no_reply = app.tickets.get("acme", "1003")
        reopened = app.tickets.get("acme", "1002")
        open_ticket = app.tickets.get("acme", "1004")
    t = first.ticket
    # "2026-03-02 09:00" in Europe/Berlin (UTC+1 in March).
    assert t.created_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert t.solved_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert t.status == TicketStatus.SOLVED and t.csat == 5 and t.channel == "mail"
    assert t.customer_id == "9001"
    assert t.tags == ["delivery", "late_parcel"]  # Zendesk separates tags with spaces
    assert t.attributes["product"] == "Parcel"  # the custom field "Product [list]"
    assert t.attributes["order_number"] == "A-1"
    assert t.attributes["priority"] == "Normal" and t.attributes["group"] == "Support"
    assert first.analysis.first_response_seconds == 30 * MIN
    assert first.analysis.first_response_source == FactSource.REPORTED
    assert first.analysis.public_agent_replies_source == FactSource.REPORTED
    assert first.analysis.fcr is True
    # A solved ticket with Replies=0 was not resolved on first contact.
    assert no_reply.ticket.status == TicketStatus.CLOSED
    assert no_reply.analysis.public_agent_replies == 0 and no_reply.analysis.fcr is False
    assert no_reply.analysis.first_response_seconds is None
    assert reopened.ticket.reopen_count == 1 and reopened.analysis.fcr is False
    assert reopened.ticket.first_solved_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    # No "Requester id": the external id is next in line.
    assert open_ticket.ticket.customer_id == "ext-4" and open_ticket.ticket.csat is None


def test_dry_run_prints_the_map_and_stores_nothing(tmp_path, capsys):
    db = fresh_db(tmp_path, "dry")
    code, out, _ = run_cli(capsys, ZENDESK, "--db", db, "--tz", "UTC", "--dry-run")
    assert code == 0
    assert "format: zendesk-csv" in out
    assert "  Replies -> reported.public_agent_replies" in out
    assert "  Product [list] -> attributes.product" in out
    assert "Requester wait time in minutes" in out.split("ignored columns:")[1].splitlines()[0]
    assert '"externalId": "1001"' in out and '"publicAgentReplies": 1' in out
    assert "5 tickets would be imported, 0 rejected; nothing was stored" in out
    with opened(db) as app:
        assert app.tickets.list("default", TicketFilter()).total_size == 0


def test_field_map_renames_and_ignores_columns(tmp_path, capsys):
    db = fresh_db(tmp_path, "map")
    spec = "Requester domain=attributes.domain,Order number [txt]=-,Via=attributes.via"
    code, out, err = run_cli(capsys, ZENDESK, "--db", db, "--tz", "UTC", "--field-map", spec)
    assert code == 0, out + err
    with opened(db) as app:
        t = app.tickets.get("default", "1001").ticket
    assert t.attributes["domain"] == "example.com" and t.attributes["via"] == "Mail"
    assert "order_number" not in t.attributes
    assert t.channel == ""  # Via was mapped elsewhere, so nothing fills the channel


def test_field_map_from_a_file(tmp_path, capsys):
    mapping = tmp_path / "map.txt"
    mapping.write_text("# custom fields\nRequester domain = attributes.domain\n")
    db = fresh_db(tmp_path, "mapfile")
    code, _, _ = run_cli(capsys, ZENDESK, "--db", db, "--tz", "UTC", "--field-map", str(mapping))
    assert code == 0
    with opened(db) as app:
        assert app.tickets.get("default", "1002").ticket.attributes["domain"] == "example.com"
