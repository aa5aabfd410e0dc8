"""Arbitrary JSON bodies, correctly signed for every source, never make the webhook
endpoint answer 500: each is accepted, ignored or refused with a 4xx JSON answer."""

from __future__ import annotations

import json

import pytest
from databases import fresh_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_helpers import SECRETS, SECRETS_SETTING, signed_headers
from webhook_server import post, serving

from ticketminer.app import App
from ticketminer.config import Settings

# Any code point, lone surrogates included: JSON can carry them as "\\ud800".
_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)
_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | _TEXT
_KEYS = st.sampled_from(
    [
        "id", "number", "type", "event", "detail", "ticket", "article", "conversation",
        "messages", "status", "state", "created_at", "updated_at", "time", "message_type",
        "content", "body", "sender", "comment", "externalId", "createdAt", "tags", "meta",
        "close_at", "first_reply_created_at", "labels", "custom_attributes", "via",
    ]
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS | _TEXT, inner, max_size=5),
    max_leaves=20,
)
# Bodies that look like the vendors' (their event names, nested objects), and any JSON.
_EVENTS = st.sampled_from(
    [
        "zen:event-type:ticket.created", "zen:event-type:ticket.comment_added",
        "zen:event-type:ticket.status_changed", "conversation_created", "message_created",
        "conversation_status_changed", "ticket_created", "agent_reply", "customer_reply",
    ]
)  # fmt: skip
_BODIES = _VALUES | st.fixed_dictionaries(
    {"type": _EVENTS, "event": _EVENTS},
    optional={
        k: _VALUES for k in ("detail", "ticket", "article", "conversation", "messages", "id")
    },
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webhook-fuzz")
    config = Settings(db_url=fresh_db(folder), webhook_secrets=SECRETS_SETTING)
    app = App.open(config)
    try:
        with serving(app, config) as base:
            yield base
    finally:
        app.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_BODIES, vendor=st.sampled_from(sorted(SECRETS)))
def test_no_json_body_gives_a_500(server, body, vendor) -> None:
    raw = json.dumps(body).encode()
    status, answer = post(f"{server}/webhooks/{vendor}/fuzz", raw, signed_headers(vendor, raw))
    assert status in (200, 400, 409), answer
    if status != 200:
        assert answer["code"] and answer["message"]
