"""Each vendor's recorded webhook sequence (created, replied, solved, reopened), sent
over real HTTP to a uvicorn server, leaves the same stored ticket and analysis as
ingesting the equivalent full states directly, with the same outcomes; a repeated
sequence changes nothing (a signed replay is refused with 409)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from builders import at
from databases import fresh_db
from webhook_helpers import SECRETS_SETTING, sequence, signed_headers
from webhook_server import post, serving

from ticketminer.config import Settings
from ticketminer.domain.model import AuthorRole, Message, Ticket, TicketStatus

A, C = AuthorRole.AGENT, AuthorRole.CUSTOMER
NEW, OPEN, PENDING = TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING
SOLVED, CLOSED = TicketStatus.SOLVED, TicketStatus.CLOSED
ASK, ANSWER, AGAIN = (
    "My parcel has not arrived",
    "It is on its way, tracking SF123",
    "Still missing, please check",
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(port=0, db_url=fresh_db(tmp_path), webhook_secrets=SECRETS_SETTING)


def _msg(role, minute, body, external_id="", author="", public=True) -> Message:
    return Message(role, at(minute), body, public, external_id, author)


def _states(base: dict, steps: list[dict]) -> list[Ticket]:
    """Full states: each step names its minute, status and the whole thread so far."""
    out = []
    for step in steps:
        minute = step.pop("minute")
        out.append(Ticket(**base, updated_at=at(minute), created_at=at(0), **step))
    return out


def _zendesk() -> list[Ticket]:
    base = dict(
        external_id="35436",
        subject="Where is my parcel?",
        description=ASK,
        channel="web_form",
        customer_id="9001",
        tags=["shipping"],
        attributes={
            "priority": "NORMAL",
            "type": "INCIDENT",
            "group_id": "42",
            "brand_id": "360001",
        },
    )
    m1, m2 = _msg(C, 0, ASK, "501", "9001"), _msg(A, 30, ANSWER, "502", "7001")
    m3 = _msg(C, 120, AGAIN, "503", "9001")
    return _states(
        base,
        [
            dict(minute=0, status=NEW),
            dict(minute=0, status=NEW, messages=[m1]),
            dict(minute=30, status=PENDING, messages=[m1, m2]),
            dict(minute=60, status=SOLVED, messages=[m1, m2], solved_at=at(60)),
            dict(
                minute=120,
                status=OPEN,
                messages=[m1, m2, m3],
                reopen_count=1,
                first_solved_at=at(60),
            ),
        ],
    )


def _zammad() -> list[Ticket]:
    base = dict(
        external_id="10081",
        subject="Where is my parcel?",
        channel="email",
        customer_id="emily@example.com",
        attributes={
            "group": "Service Desk",
            "priority": "2 normal",
            "organization": "Awesome Customer Inc.",
        },
    )
    m1, m2 = _msg(C, 0, ASK, "104", "8"), _msg(A, 30, ANSWER, "105", "5")
    note = _msg(A, 40, "carrier says delayed", "106", "5", public=False)
    m4 = _msg(C, 120, AGAIN, "107", "8")
    return _states(
        base,
        [
            dict(minute=0, status=NEW, messages=[m1]),
            dict(minute=30, status=PENDING, messages=[m1, m2]),
            dict(minute=40, status=PENDING, messages=[m1, m2, note]),
            dict(minute=60, status=CLOSED, messages=[m1, m2, note], solved_at=at(60)),
            dict(
                minute=120,
                status=OPEN,
                messages=[m1, m2, note, m4],
                reopen_count=1,
                first_solved_at=at(60),
            ),
        ],
    )


def _chatwoot() -> list[Ticket]:
    base = dict(
        external_id="10",
        channel="webwidget",
        customer_id="12",
        tags=["shipping"],
        attributes={"inbox_id": "1", "order_id": "A-1001"},
    )
    m1, m2 = _msg(C, 0, ASK, "118", "12"), _msg(A, 30, ANSWER, "119", "1")
    m3 = _msg(C, 120, AGAIN, "121", "12")
    return _states(
        base,
        [
            dict(minute=0, status=OPEN, messages=[m1]),
            dict(minute=30, status=OPEN, messages=[m1, m2]),
            dict(minute=60, status=SOLVED, messages=[m1, m2], solved_at=at(60)),
            dict(
                minute=120,
                status=OPEN,
                messages=[m1, m2, m3],
                reopen_count=1,
                first_solved_at=at(60),
            ),
        ],
    )


def _freshdesk() -> list[Ticket]:
    base = dict(
        external_id="2024",
        subject="Where is my parcel?",
        description=ASK,
        channel="email",
        customer_id="jane@acme.inc",
        tags=["shipping", "parcel"],
        attributes={
            "priority": "Medium",
            "type": "Incident",
            "group": "Logistics",
            "source": "Email",
        },
    )
    m1, m2 = _msg(A, 30, ANSWER), _msg(C, 120, AGAIN)
    return _states(
        base,
        [
            dict(minute=0, status=OPEN),
            dict(minute=30, status=PENDING, messages=[m1]),
            dict(minute=60, status=SOLVED, messages=[m1], solved_at=at(60)),
            dict(
                minute=120, status=OPEN, messages=[m1, m2], reopen_count=1, first_solved_at=at(60)
            ),
        ],
    )


EXPECTED = {"zendesk": _zendesk, "zammad": _zammad, "chatwoot": _chatwoot, "freshdesk": _freshdesk}


def _view(app, tenant: str, external_id: str):
    stored = app.tickets.get(tenant, external_id)
    return replace(stored.ticket, tenant_id="-"), stored.analysis


@pytest.mark.parametrize("vendor", sorted(EXPECTED))
def test_webhook_sequence_matches_direct_ingest(app, settings, vendor) -> None:
    deliveries, states = sequence(vendor), EXPECTED[vendor]()
    assert len(deliveries) == len(states)
    # One signing time for the run: a replay re-sent in the next second must carry the
    # same timestamp to be the same delivery (it was flaky on a loaded machine).
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with serving(app, settings) as base:
        url = f"{base}/webhooks/{vendor}/hooks"
        for step, (body, state) in enumerate(zip(deliveries, states, strict=True)):
            status, answer = post(url, body, signed_headers(vendor, body, stamp))
            assert status == 200, (step, answer)
            direct = app.tickets.ingest(replace(state, tenant_id="direct"))
            assert answer == {
                "outcome": direct.outcome.name,
                "external_id": state.external_id,
                "tenant_id": "hooks",
            }, step
            assert _view(app, "hooks", state.external_id) == _view(app, "direct", state.external_id)
        final = _view(app, "hooks", states[-1].external_id)
        # Replayed: signed deliveries are refused, token ones change nothing.
        for body in deliveries:
            status, answer = post(url, body, signed_headers(vendor, body, stamp))
            if vendor in ("zendesk", "zammad"):
                assert status == 409 and answer["code"] == "already_exists"
            else:
                assert status == 200 and answer["outcome"] in ("STALE", "UNCHANGED")
        assert _view(app, "hooks", states[-1].external_id) == final
    ticket, analysis = final
    assert ticket.reopen_count == 1 and analysis.reopened and analysis.fcr is None
    assert analysis.first_response_seconds == 30 * 60
    assert analysis.resolution_seconds == 60 * 60
