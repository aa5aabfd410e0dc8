"""Saved Zendesk API JSON (an incremental export page, JSONL of ticket objects) read
into tickets, stored, and measured: the thread wins where comments are present, the
metric set's numbers count where they are not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ticketminer.domain.model import AuthorRole, FactSource, Ticket, TicketStatus
from ticketminer.importers.records import RowError
from ticketminer.importers.zendesk_api import read_zendesk_json, zendesk_ticket

EXPORTS = Path(__file__).parent / "data" / "exports"
PAGE = EXPORTS / "zendesk_incremental_page.json"


def _tickets(items) -> dict[str, Ticket]:
    return {t.external_id: t for t in items if isinstance(t, Ticket)}


def test_a_page_maps_every_field_and_rejects_the_deleted_ticket() -> None:
    items = list(read_zendesk_json(PAGE))
    errors = [i for i in items if isinstance(i, RowError)]
    assert [(e.external_id, e.reason) for e in errors] == [("106", "deleted ticket")]
    tickets = _tickets(items)
    assert sorted(tickets) == ["101", "102", "103", "104", "105"]
    first = tickets["101"]
    assert first.created_at == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert (first.status, first.channel, first.customer_id) == (TicketStatus.SOLVED, "email", "501")
    assert first.csat == 5 and tickets["102"].csat == 1 and tickets["103"].csat is None
    assert first.attributes == {
        "priority": "high",
        "type": "problem",
        "group_id": "7",
        "assignee_id": "900",
        "field_360001": "ios",
    }
    assert first.tags == ["login", "app"]
    assert [(m.author_role, m.public) for m in first.messages] == [
        (AuthorRole.CUSTOMER, True),
        (AuthorRole.AGENT, True),
        (AuthorRole.AGENT, False),
    ]
    assert first.messages[1].body == "Please reinstall the app; that fixes it."
    assert tickets["104"].status == TicketStatus.ON_HOLD
    assert tickets["105"].reopen_count == 1
    # first_solved_at from first_resolution_time_in_minutes (1500 min) before the last solve
    assert tickets["102"].first_solved_at == datetime(2026, 11, 3, 11, tzinfo=UTC)
    assert tickets["103"].reported.public_agent_replies == 1
    assert tickets["103"].reported.first_response_seconds == 45 * 60


def test_stored_metrics_come_from_the_thread_or_the_metric_set(app) -> None:
    report = app.tickets.ingest_bulk(read_zendesk_json(PAGE))
    assert (report.created, report.rejected) == (5, 1)
    analysis = {
        tid: app.tickets.get("default", tid).analysis for tid in ["101", "102", "103", "104", "105"]
    }
    assert analysis["101"].fcr is True
    assert analysis["101"].first_response_seconds == 1800
    assert analysis["101"].first_response_source == FactSource.THREAD
    assert analysis["102"].fcr is False  # two public agent replies
    assert analysis["102"].public_agent_replies == 2
    assert analysis["103"].fcr is True  # no comments: the metric set says one reply
    assert analysis["103"].first_response_seconds == 2700
    assert analysis["103"].first_response_source == FactSource.REPORTED
    assert analysis["103"].public_agent_replies_source == FactSource.REPORTED
    assert analysis["104"].fcr is None  # on hold: not solved
    assert analysis["105"].fcr is False and analysis["105"].reopened


def test_jsonl_reads_line_by_line_with_naive_times_in_the_given_zone() -> None:
    items = list(read_zendesk_json(EXPORTS / "zendesk_tickets.jsonl", tz="Europe/Berlin"))
    assert [type(i).__name__ for i in items] == ["Ticket", "Ticket", "RejectedItem", "Ticket"]
    assert items[2].violations[0].field == "line"
    naive = items[3]
    assert isinstance(naive, Ticket)
    assert naive.created_at == datetime(2026, 11, 5, 9, tzinfo=UTC)  # 10:00 in Berlin
    assert naive.status == TicketStatus.NEW


def test_comment_authors_follow_sideloaded_roles_before_the_requester_rule() -> None:
    obj = {"id": 1, "created_at": "2026-11-02T09:00:00Z", "requester_id": 5, "status": "open"}
    comments = [
        {"id": 1, "author_id": 5, "body": "a", "created_at": "2026-11-02T09:00:00Z"},
        {"id": 2, "author_id": 6, "body": "cc'd colleague", "created_at": "2026-11-02T09:01:00Z"},
        {"id": 3, "author_id": -1, "body": "trigger", "created_at": "2026-11-02T09:02:00Z"},
    ]
    plain = zendesk_ticket(obj, comments=comments)
    assert [m.author_role for m in plain.messages] == [
        AuthorRole.CUSTOMER,
        AuthorRole.AGENT,
        AuthorRole.SYSTEM,
    ]
    from ticketminer.importers.zendesk_api import Sideloads

    roles = Sideloads()
    roles.add_users([{"id": 5, "role": "end-user"}, {"id": 6, "role": "end-user"}])
    with_users = zendesk_ticket(obj, comments=comments, sideloads=roles)
    assert [m.author_role for m in with_users.messages][:2] == [AuthorRole.CUSTOMER] * 2


def test_bad_values_are_reported_per_field_not_raised() -> None:
    item = zendesk_ticket(
        {
            "id": 9,
            "created_at": "yesterday",
            "status": "waiting",
            "comments": [{"id": 1, "created_at": "soon"}],
        }
    )
    assert isinstance(item, RowError)
    fields = {v.field for v in item.violations}
    assert {"created_at", "status", "comments[0].created_at"} <= fields
    assert isinstance(zendesk_ticket(["not", "an", "object"]), RowError)


def test_unusable_files_and_zones_fail_with_a_message(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        read_zendesk_json(PAGE, tz="Mars/Olympus")
    broken = tmp_path / "broken.json"
    broken.write_text('{"tickets": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json"):
        list(read_zendesk_json(broken))
    other = tmp_path / "other.json"
    other.write_text('{"users": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="'tickets' array"):
        list(read_zendesk_json(other))
