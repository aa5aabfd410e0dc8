"""Two replicas (two Apps, each behind its own uvicorn server, on one database)
receiving interleaved message events for one ticket at the same time keep every
message: the read-apply-write of an event holds a per-ticket lock that spans
replicas (`services.ticket_locks`), and an event that lands after a newer one still
adds its message. While another replica keeps a ticket past the wait, a delivery for
it is answered 503 (the helpdesk retries it) and stores nothing.

Runs on SQLite (two engines on one file) and, under `make test-postgres`, on
PostgreSQL (advisory locks)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from builders import at
from databases import fresh_db
from webhook_helpers import SECRETS_SETTING, signed_headers
from webhook_server import post, serving

from ticketminer.app import App
from ticketminer.config import Settings, parse_webhook_secrets
from ticketminer.domain.errors import NotFound
from ticketminer.services.ticket_locks import TicketLocks
from ticketminer.store.job_locks import JobLocks
from ticketminer.webhooks import SOURCES
from ticketminer.webhooks.receipts import Receipts
from ticketminer.webhooks.receiver import WebhookError, WebhookReceiver

TENANT, TICKET = "shop", "4242"
EVENTS, THREADS = 60, 6


def _reply(n: int) -> bytes:
    """Freshdesk's body for the n-th message (customer and agent take turns)."""
    moment = (at(0) + timedelta(seconds=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "event": "customer_reply" if n % 2 == 0 else "agent_reply",
            "ticket": {
                "id": TICKET,
                "subject": "Where is my parcel?",
                "status": "Open",
                "created_at": at(0).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_at": moment,
            },
            "comment": {"id": f"c{n}", "body": f"message {n}", "created_at": moment},
        }
    ).encode()


@pytest.fixture
def replicas(tmp_path) -> Iterator[tuple[Settings, list[App]]]:
    """Two Apps on one database, as two replicas."""
    settings = Settings(port=0, db_url=fresh_db(tmp_path), webhook_secrets=SECRETS_SETTING)
    with ExitStack() as stack:
        apps = []
        for _ in range(2):
            apps.append(App.open(settings))
            stack.callback(apps[-1].close)
        yield settings, apps


def test_two_replicas_keep_every_message_of_concurrent_events(replicas) -> None:
    settings, apps = replicas
    with ExitStack() as stack:
        urls = [
            f"{stack.enter_context(serving(app, settings))}/webhooks/freshdesk/{TENANT}"
            for app in apps
        ]
        answers: list[tuple[int, int, object]] = []
        start = threading.Barrier(THREADS)

        def deliver(worker: int) -> None:
            start.wait()
            for n in range(worker, EVENTS, THREADS):
                body = _reply(n)
                status, answer = post(urls[n % 2], body, signed_headers("freshdesk", body))
                answers.append((n, status, answer))

        threads = [threading.Thread(target=deliver, args=(w,)) for w in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert sorted(n for n, _, _ in answers) == list(range(EVENTS))
        refused = [(n, status, answer) for n, status, answer in answers if status != 200]
        assert not refused
        for app in apps:  # each replica reads the same complete thread
            stored = app.tickets.get(TENANT, TICKET).ticket
            assert [m.external_id for m in stored.messages] == [f"c{n}" for n in range(EVENTS)]
            assert [m.body for m in stored.messages] == [f"message {n}" for n in range(EVENTS)]
            assert stored.updated_at == at(0) + timedelta(seconds=EVENTS)


def test_a_ticket_another_replica_keeps_writing_is_refused_then_accepted(replicas) -> None:
    settings, (mine, other) = replicas
    receiver = WebhookReceiver(
        mine.tickets,
        None,
        Receipts(mine.engine),
        parse_webhook_secrets(settings.webhook_secrets),
        SOURCES,
        settings.max_id_bytes,
        TicketLocks(JobLocks(mine.engine), wait_seconds=0.5),
    )
    body = _reply(0)
    headers = {k.lower(): v for k, v in signed_headers("freshdesk", body).items()}
    with TicketLocks(JobLocks(other.engine)).hold(TENANT, TICKET) as held:
        assert held
        with pytest.raises(WebhookError) as refused:
            receiver.receive("freshdesk", TENANT, headers, {}, body)
        assert (refused.value.status, refused.value.code) == (503, "unavailable")
        with pytest.raises(NotFound):
            mine.tickets.get(TENANT, TICKET)
    # Released (the other replica wrote, or died): the retried delivery goes through.
    accepted = receiver.receive("freshdesk", TENANT, headers, {}, body)
    assert accepted.outcome is not None and accepted.outcome.name == "CREATED"
    assert [m.external_id for m in mine.tickets.get(TENANT, TICKET).ticket.messages] == ["c0"]
