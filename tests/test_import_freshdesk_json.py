"""A saved Freshdesk "tickets and conversations" file read into tickets and measured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ticketminer.domain.model import AuthorRole, FactSource, Ticket, TicketStatus
from ticketminer.importers.freshdesk_api import freshdesk_ticket, read_freshdesk_json
from ticketminer.importers.records import RowError

FILE = Path(__file__).parent / "data" / "exports" / "freshdesk_tickets.json"


def test_tickets_map_status_source_stats_and_conversations() -> None:
    tickets = {t.external_id: t for t in read_freshdesk_json(FILE) if isinstance(t, Ticket)}
    assert sorted(tickets) == ["1", "2", "3", "4", "5"]
    one = tickets["1"]
    assert (one.status, one.channel, one.customer_id) == (TicketStatus.SOLVED, "email", "7001")
    assert one.solved_at == datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert one.reported.first_response_seconds == 600
    assert one.attributes == {
        "priority": "medium",
        "type": "Refund",
        "group_id": "5",
        "responder_id": "80",
        "cf_order_id": "A-1",
        "requester_domain": "example.com",
    }
    assert tickets["2"].status == TicketStatus.CLOSED
    assert tickets["2"].solved_at == datetime(2026, 11, 3, 10, tzinfo=UTC)  # resolved, not closed
    assert tickets["2"].channel == "chat"
    assert [m.author_role for m in tickets["2"].messages] == [
        AuthorRole.AGENT,
        AuthorRole.CUSTOMER,
        AuthorRole.AGENT,
    ]
    assert tickets["3"].messages[0].public is False  # a private note
    assert tickets["4"].reopen_count == 1
    assert tickets["5"].status == TicketStatus.UNSPECIFIED
    assert tickets["5"].attributes["status_code"] == "6"


def test_stored_metrics(app) -> None:
    report = app.tickets.ingest_bulk(read_freshdesk_json(FILE))
    assert (report.created, report.rejected) == (5, 0)
    got = {tid: app.tickets.get("default", tid).analysis for tid in "12345"}
    assert got["1"].fcr is True and got["1"].first_response_seconds == 600
    assert got["1"].first_response_source == FactSource.THREAD
    assert got["2"].fcr is False and got["2"].public_agent_replies == 2
    assert got["3"].fcr is None and got["3"].public_agent_replies == 0  # a note is no reply
    assert got["4"].fcr is False and got["4"].reopened


def test_without_conversations_first_response_comes_from_stats() -> None:
    obj = {
        "id": 8,
        "status": 4,
        "created_at": "2026-11-02T09:00:00Z",
        "stats": {"first_responded_at": "2026-11-02T09:30:00Z", "resolved_at": None},
    }
    ticket = freshdesk_ticket(obj)
    assert isinstance(ticket, Ticket)
    assert ticket.reported.first_response_seconds == 1800
    assert ticket.reported.public_agent_replies is None  # Freshdesk states no count


def test_jsonl_and_bad_records(tmp_path) -> None:
    path = tmp_path / "tickets.jsonl"
    path.write_text(
        '{"id": 1, "status": 2, "created_at": "2026-11-02T09:00:00Z"}\n'
        "not json\n"
        '{"id": 2, "status": "open", "created_at": "2026-11-02T09:00:00Z"}\n',
        encoding="utf-8",
    )
    items = list(read_freshdesk_json(path))
    assert isinstance(items[0], Ticket)
    assert isinstance(items[1], RowError) and items[1].index == 1
    assert isinstance(items[2], RowError) and items[2].violations[0].field == "status"
