"""Refusals of the webhook endpoint over real HTTP: a bad or missing signature, an old
timestamp, a replay, an oversize body, an unknown source, an invalid payload and a key
without access each get their status and a JSON answer, and nothing is stored."""

from __future__ import annotations

import http.client
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from databases import fresh_db
from sqlalchemy import func, select
from webhook_helpers import SECRETS, SECRETS_SETTING, sequence, signed_headers
from webhook_server import post, serving

from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.domain.api_keys import Scope
from ticketminer.domain.errors import NotFound
from ticketminer.store.schema import tickets, webhook_receipts

LIMIT = 4096


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        port=0,
        db_url=fresh_db(tmp_path),
        webhook_secrets=SECRETS_SETTING,
        webhook_max_bytes=LIMIT,
    )


@pytest.fixture
def served(app, settings):
    with serving(app, settings) as base:
        yield app, base


def _stored(app: App) -> tuple[int, int]:
    """(tickets, webhook receipts) in the database."""
    with app.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(tickets)).scalar_one()
        receipts = conn.execute(select(func.count()).select_from(webhook_receipts)).scalar_one()
    return count, receipts


def _generic_body(external_id: str = "g-1", **fields) -> bytes:
    ticket = {"externalId": external_id, "createdAt": "2026-03-02T09:00:00Z", "subject": "hi"}
    return json.dumps({**ticket, **fields}).encode()


@pytest.mark.parametrize(
    ("vendor", "tamper"),
    [
        ("zendesk", {"X-Zendesk-Webhook-Signature": "AAAA"}),
        ("zendesk", {"X-Zendesk-Webhook-Signature": ""}),
        ("zammad", {"X-Hub-Signature": "sha1=" + "0" * 40}),
        ("zammad", {"X-Hub-Signature": ""}),
        ("chatwoot", {"X-Webhook-Token": "wrong"}),
        ("freshdesk", {"X-Webhook-Token": ""}),
    ],
)
def test_bad_or_missing_signature_is_401_and_stores_nothing(served, vendor, tamper) -> None:
    app, base = served
    body = sequence(vendor)[0]
    headers = {**signed_headers(vendor, body), **tamper}
    status, answer = post(f"{base}/webhooks/{vendor}/shop", body, headers)
    assert status == 401 and answer["code"] == "unauthenticated"
    assert _stored(app) == (0, 0)


def test_a_signature_of_another_body_is_refused(served) -> None:
    app, base = served
    first, second = sequence("zendesk")[:2]
    status, _ = post(f"{base}/webhooks/zendesk/shop", second, signed_headers("zendesk", first))
    assert status == 401
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize("minutes", [-6, 6])
def test_zendesk_timestamp_outside_five_minutes_is_401(served, minutes) -> None:
    app, base = served
    body = sequence("zendesk")[0]
    stamp = (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, answer = post(
        f"{base}/webhooks/zendesk/shop", body, signed_headers("zendesk", body, stamp)
    )
    assert status == 401 and "minutes" in answer["message"]
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize("vendor", ["zendesk", "zammad"])
def test_a_replayed_signed_delivery_is_409_even_to_another_tenant(served, vendor) -> None:
    app, base = served
    body = sequence(vendor)[0]
    headers = signed_headers(vendor, body)
    assert post(f"{base}/webhooks/{vendor}/shop", body, headers)[0] == 200
    assert _stored(app) == (1, 1)
    for tenant in ("shop", "other"):
        status, answer = post(f"{base}/webhooks/{vendor}/{tenant}", body, headers)
        assert status == 409 and answer["code"] == "already_exists"
    assert _stored(app) == (1, 1)


def test_a_refused_payload_releases_its_receipt(served) -> None:
    """A signed delivery that fails validation leaves no receipt: fixed and re-sent
    by the helpdesk, it is not taken for a replay."""
    app, base = served
    payload = json.loads(sequence("zammad")[0])
    payload["ticket"]["created_at"] = "2026-03-02T09:00:00Z"
    payload["article"]["created_at"] = "2026-03-01T09:00:00Z"  # before the ticket
    body = json.dumps(payload).encode()
    status, answer = post(f"{base}/webhooks/zammad/shop", body, signed_headers("zammad", body))
    assert status == 400 and answer["details"][0]["field"].startswith("messages[0]")
    assert _stored(app) == (0, 0)


def test_oversize_body_is_413(served) -> None:
    app, base = served
    body = _generic_body(description="x" * LIMIT)
    status, answer = post(f"{base}/webhooks/generic/shop", body, signed_headers("generic", body))
    assert status == 413 and answer["code"] == "resource_exhausted"
    assert _stored(app) == (0, 0)


def test_oversize_chunked_body_is_413_before_the_end(served) -> None:
    """Without Content-Length the body is read in chunks and refused once it passes
    the limit; the rest is never needed."""
    app, base = served
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", "/webhooks/generic/shop")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("X-Webhook-Token", SECRETS["generic"])
    conn.endheaders()
    chunk = b"x" * 1024
    for _ in range(8):
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["code"] == "resource_exhausted"
    conn.close()
    assert _stored(app) == (0, 0)


def test_unknown_or_unconfigured_source_is_404(app, tmp_path) -> None:
    only_zendesk = Settings(db_url=str(tmp_path / "x.db"), webhook_secrets="zendesk=s")
    with serving(app, only_zendesk) as base:
        status, answer = post(f"{base}/webhooks/kayako/shop", b"{}")
        assert status == 404 and "unknown webhook source" in answer["message"]
        status, answer = post(f"{base}/webhooks/zammad/shop", b"{}")
        assert status == 404 and "not enabled" in answer["message"]
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"[1, 2]", "body"),
        (json.dumps({"externalId": "g-1"}).encode(), "created_at"),
        (_generic_body(status="TICKET_STATUS_MAYBE"), "status"),
        (_generic_body(tenantId="someone-else"), "tenant_id"),
    ],
)
def test_invalid_generic_payload_is_400_with_field_violations(served, body, field) -> None:
    app, base = served
    status, answer = post(f"{base}/webhooks/generic/shop", body, signed_headers("generic", body))
    assert status == 400, answer
    assert answer["code"] == "invalid_argument" and answer["message"]
    assert field in [d["field"] for d in answer["details"]]
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (json.dumps({"event": "message_created", "content": "hi"}).encode(), "body.message_type"),
        (json.dumps({"event": "conversation_created", "status": "open"}).encode(), "body.id"),
        (
            json.dumps(
                {"event": "conversation_status_changed", "id": 3, "status": "weird", "timestamp": 1}
            ).encode(),
            "body.status",
        ),
    ],
)
def test_invalid_chatwoot_payload_names_the_field(served, body, field) -> None:
    app, base = served
    status, answer = post(f"{base}/webhooks/chatwoot/shop", body, signed_headers("chatwoot", body))
    assert status == 400 and answer["details"][0]["field"] == field
    assert _stored(app) == (0, 0)


def test_events_about_no_ticket_are_ignored(served) -> None:
    app, base = served
    body = json.dumps({"event": "contact_created", "id": 5}).encode()
    status, answer = post(f"{base}/webhooks/chatwoot/shop", body, signed_headers("chatwoot", body))
    assert status == 200 and answer["outcome"] == "IGNORED"
    body = json.dumps({"type": "zen:event-type:user.created", "detail": {}}).encode()
    status, answer = post(f"{base}/webhooks/zendesk/shop", body, signed_headers("zendesk", body))
    assert status == 200 and answer["outcome"] == "IGNORED"
    assert _stored(app) == (0, 0)


def test_the_generic_source_ingests_the_full_state(served) -> None:
    app, base = served
    body = _generic_body(status="TICKET_STATUS_SOLVED", solvedAt="2026-03-02T10:00:00Z")
    status, answer = post(f"{base}/webhooks/generic/shop", body, signed_headers("generic", body))
    assert (status, answer) == (
        200,
        {"outcome": "CREATED", "external_id": "g-1", "tenant_id": "shop"},
    )
    assert (
        post(f"{base}/webhooks/generic/shop", body, signed_headers("generic", body))[1]["outcome"]
        == "UNCHANGED"
    )
    assert app.tickets.get("shop", "g-1").analysis.solved


@pytest.fixture
def keyed(app, settings):
    with serving(app, replace(settings, auth="keys")) as base:
        keys = app.api_keys
        yield (
            app,
            base,
            {
                "shop_write": keys.create(["shop"], Scope.WRITE)[1],
                "shop_read": keys.create(["shop"], Scope.READ)[1],
                "other_write": keys.create(["other"], Scope.WRITE)[1],
            },
        )


def test_api_keys_gate_the_tenant(keyed) -> None:
    app, base, tokens = keyed
    body = _generic_body()
    url = f"{base}/webhooks/generic/shop"
    signed = signed_headers("generic", body)
    status, answer = post(url, body, signed)
    assert status == 401 and "Bearer" in answer["message"]
    status, _ = post(url, body, {**signed, "Authorization": "Bearer tm_nope_nopenopenopenopenope"})
    assert status == 401
    for token in (tokens["other_write"], tokens["shop_read"]):
        status, answer = post(url, body, {**signed, "Authorization": f"Bearer {token}"})
        assert status == 403 and answer["code"] == "permission_denied"
    with pytest.raises(NotFound):
        app.tickets.get("shop", "g-1")
    status, answer = post(f"{url}?api_key={tokens['shop_write']}", body, signed)
    assert status == 200 and answer["outcome"] == "CREATED"
