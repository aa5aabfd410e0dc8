"""Chatwoot JSON exports (the conversations API's list answer, each conversation with
its messages) import with the right fields and metrics: incoming is the customer,
outgoing the agent (a bot when an agent bot sent it), activity and template messages
and private notes never count as replies; first_reply_created_at is the reported
first response of a conversation exported without messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import at

from ticketminer.domain.filters import MetricsQuery
from ticketminer.domain.model import AuthorRole, FactSource, Ticket, TicketStatus
from ticketminer.importers.chatwoot import read_chatwoot_json
from ticketminer.importers.records import RowError

FILE = Path(__file__).parent / "data" / "exports" / "chatwoot_conversations.json"


def _read() -> tuple[dict[str, Ticket], list[RowError]]:
    tickets, errors = {}, []
    for item in read_chatwoot_json(FILE, tenant_id="cw"):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            tickets[item.external_id] = item
    return tickets, errors


def test_field_mapping() -> None:
    tickets, _ = _read()
    t = tickets["31"]
    assert (t.tenant_id, t.channel, t.customer_id, t.tags) == ("cw", "email", "12", ["shipping"])
    assert t.attributes == {"inbox_id": "1", "plan": "pro"}
    assert (t.status, t.created_at, t.solved_at) == (TicketStatus.SOLVED, at(0), at(30))
    assert [m.author_role for m in t.messages] == [
        AuthorRole.CUSTOMER,
        AuthorRole.BOT,  # a template message
        AuthorRole.AGENT,
        AuthorRole.SYSTEM,  # an activity message
    ]
    assert tickets["32"].messages[1].author_role == AuthorRole.BOT  # sent by an agent bot
    assert tickets["33"].messages[1].public is False
    assert tickets["34"].status == TicketStatus.ON_HOLD


def test_a_broken_record_is_reported_not_fatal() -> None:
    tickets, errors = _read()
    assert sorted(tickets) == ["31", "32", "33", "34"]
    (error,) = errors
    assert (error.index, error.external_id) == (4, "35")
    assert [v.field for v in error.violations] == ["[4].messages[0].message_type"]


def test_a_plain_array_is_read_too(tmp_path: Path) -> None:
    payload = json.loads(FILE.read_text())["data"]["payload"][:1]
    plain = tmp_path / "conversations.json"
    plain.write_text(json.dumps(payload))
    (ticket,) = read_chatwoot_json(plain)
    assert ticket.external_id == "31"
    plain.write_text('{"data": {"payload": 3}}')
    with pytest.raises(ValueError, match="Chatwoot conversations"):
        list(read_chatwoot_json(plain))


def test_imported_metrics(app) -> None:
    report = app.tickets.ingest_bulk(read_chatwoot_json(FILE, tenant_id="cw"))
    assert (report.created, report.rejected) == (4, 1)
    one_touch = app.tickets.get("cw", "31").analysis
    assert (one_touch.fcr, one_touch.public_agent_replies) == (True, 1)
    assert one_touch.first_response_seconds == 20 * 60
    assert one_touch.resolution_seconds == 30 * 60
    with_bot = app.tickets.get("cw", "32").analysis
    assert (with_bot.fcr, with_bot.public_agent_replies) == (False, 2)
    assert with_bot.first_response_seconds == 60 * 60  # the bot's greeting does not count
    private = app.tickets.get("cw", "33").analysis
    assert (private.public_agent_replies, private.first_response_seconds) == (0, None)
    reported = app.tickets.get("cw", "34").analysis
    assert reported.first_response_seconds == 15 * 60
    assert reported.first_response_source == FactSource.REPORTED
    overall = app.metrics.get_metrics(MetricsQuery("cw", with_trends=False)).overall
    assert overall.volume == 4
    assert (overall.fcr.numerator, overall.fcr.denominator) == (1, 2)
    assert overall.first_response_time.n == 3
