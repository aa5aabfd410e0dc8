"""Chatwoot webhooks (Settings > Integrations > Webhooks).

Events (https://www.chatwoot.com/docs/product/others/webhook-events):
`conversation_created`, `conversation_updated` and `conversation_status_changed`
(also the older `conversation_opened` / `conversation_resolved`) carry the
conversation object itself, with `event` beside its fields; `message_created` and
`message_updated` carry the message with its `conversation`. Other events (contacts,
typing, widget) concern no ticket and are ignored. The mapping is the export
reader's (`importers.chatwoot`).

Authentication: Chatwoot's webhook form takes only a URL, so the shared secret goes
in the URL's `?token=` (or the X-Webhook-Token header when a proxy adds it),
compared in constant time. Deliveries are not signed, so a repeated delivery is
not refused; it leaves the same state (UNCHANGED).
"""

from __future__ import annotations

from datetime import datetime

from ticketminer.importers import json_values as jv
from ticketminer.importers.chatwoot import conversation_event, message_of
from ticketminer.webhooks.base import Update
from ticketminer.webhooks.signatures import TokenVerified

NAME = "chatwoot"
CONVERSATION_EVENTS = frozenset(
    (
        "conversation_created",
        "conversation_updated",
        "conversation_status_changed",
        "conversation_opened",
        "conversation_resolved",
    )
)
MESSAGE_EVENTS = frozenset(("message_created", "message_updated"))


class ChatwootSource(TokenVerified):
    name = NAME

    def update(self, body: bytes, now: datetime) -> Update | None:
        payload = jv.obj(jv.load_json(body), "body")
        event = jv.text(payload.get("event"), "event")
        if event in CONVERSATION_EVENTS:
            return conversation_event(payload, "body")
        if event in MESSAGE_EVENTS:
            message = message_of(payload, "body")
            return conversation_event(payload.get("conversation"), "conversation", more=[message])
        return None
