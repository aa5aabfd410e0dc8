"""Zammad JSON exports (tickets from /api/v1/tickets/{id}?expand=true with their
articles) import with the right fields and metrics: FCR counts public agent
articles only, first response comes from the thread, or from Zammad's
first_response_at when the export has no articles; a broken record is a RowError."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import at

from ticketminer.domain.filters import MetricsQuery
from ticketminer.domain.model import AuthorRole, FactSource, Ticket, TicketStatus
from ticketminer.importers.records import RowError
from ticketminer.importers.zammad import read_zammad_json

EXPORTS = Path(__file__).parent / "data" / "exports"
FILE = EXPORTS / "zammad_tickets.json"


def _read(path: Path = FILE) -> tuple[dict[str, Ticket], list[RowError]]:
    tickets, errors = {}, []
    for item in read_zammad_json(path, tenant_id="zm"):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            tickets[item.external_id] = item
    return tickets, errors


def test_field_mapping() -> None:
    tickets, _ = _read()
    t = tickets["20001"]
    assert (t.tenant_id, t.subject, t.channel, t.customer_id) == (
        "zm",
        "Parcel not delivered",
        "email",
        "emily@example.com",
    )
    assert t.attributes == {
        "group": "Service Desk",
        "priority": "2 normal",
        "organization": "Awesome Customer Inc.",
    }
    assert (t.status, t.created_at, t.solved_at, t.updated_at) == (
        TicketStatus.CLOSED,
        at(0),
        at(60),
        at(60),
    )
    first, reply = t.messages
    assert (first.author_role, first.body, first.external_id) == (
        AuthorRole.CUSTOMER,
        "My parcel was not delivered.",
        "401",
    )
    assert (reply.author_role, reply.public, reply.created_at) == (AuthorRole.AGENT, True, at(45))
    roles = [(m.author_role, m.public) for m in tickets["20002"].messages]
    assert roles[1] == (AuthorRole.AGENT, False) and roles[-1] == (AuthorRole.SYSTEM, True)
    assert tickets["20003"].status == TicketStatus.OPEN


def test_a_broken_record_is_reported_not_fatal() -> None:
    tickets, errors = _read()
    assert len(tickets) == 4
    (error,) = errors
    assert (error.index, error.external_id) == (4, "20005")
    assert [v.field for v in error.violations] == ["[4].created_at"]


def test_tickets_and_articles_from_two_endpoints() -> None:
    tickets, errors = _read(EXPORTS / "zammad_tickets_and_articles.json")
    assert not errors
    t = tickets["20006"]
    assert t.status == TicketStatus.PENDING
    assert [m.author_role for m in t.messages] == [AuthorRole.CUSTOMER, AuthorRole.AGENT]


def test_not_a_zammad_file_fails_loudly(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON file"):
        list(read_zammad_json(bad))
    bad.write_text('"a string"')
    with pytest.raises(ValueError, match="Zammad tickets"):
        list(read_zammad_json(bad))


def test_imported_metrics(app) -> None:
    report = app.tickets.ingest_bulk(read_zammad_json(FILE, tenant_id="zm"))
    assert (report.created, report.rejected) == (4, 1)
    one_touch = app.tickets.get("zm", "20001").analysis
    assert (one_touch.fcr, one_touch.public_agent_replies) == (True, 1)
    assert one_touch.first_response_seconds == 45 * 60
    assert one_touch.first_response_source == FactSource.THREAD
    assert one_touch.resolution_seconds == 60 * 60
    two_replies = app.tickets.get("zm", "20002").analysis
    assert (two_replies.fcr, two_replies.public_agent_replies) == (False, 2)
    assert two_replies.first_response_seconds == 90 * 60  # the internal note does not count
    unanswered = app.tickets.get("zm", "20003").analysis
    assert (unanswered.fcr, unanswered.first_response_seconds) == (None, None)
    reported = app.tickets.get("zm", "20004").analysis
    assert reported.first_response_seconds == 10 * 60
    assert reported.first_response_source == FactSource.REPORTED
    assert reported.fcr is False  # solved without a public agent reply
    overall = app.metrics.get_metrics(MetricsQuery("zm", with_trends=False)).overall
    assert overall.volume == 4
    assert (overall.fcr.numerator, overall.fcr.denominator) == (1, 3)
    assert overall.first_response_time.n == 3
    assert overall.first_response_time.p50_seconds == 45 * 60
