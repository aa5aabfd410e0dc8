"""Zendesk webhooks subscribed to ticket events (`zen:event-type:ticket.*`).

Signature (https://developer.zendesk.com/documentation/webhooks/verifying/): the
headers X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(signing secret, timestamp +
body)) and X-Zendesk-Webhook-Signature-Timestamp (e.g. `2024-04-17T17:18:10Z`). The
timestamp must be within 5 minutes of our clock, and an accepted delivery is
remembered, so sending it again is refused.

Payload (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/):
`type`, `id`, `time`, `subject` ("zen:ticket:35436"), `detail` (the ticket as it is
now: `id`, `status`, `subject`, `description`, `created_at`, `updated_at`,
`via.channel`, `requester_id`, `tags`, `priority`, `type`, `group_id`, `brand_id`)
and `event` (what changed: `current`/`previous` for `ticket.status_changed`; a
`comment` with `id`, `body`, `is_public` and `author` {`id`, `is_staff`} for
`ticket.comment_added`). Every ticket event refreshes the ticket from `detail`;
events of other domains (users, organizations) concern no ticket and are ignored.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticketminer.domain.model import AuthorRole, Message
from ticketminer.domain.ticket_events import TicketEvent
from ticketminer.importers import json_values as jv
from ticketminer.importers import values
from ticketminer.webhooks.base import SignatureRejected, Update
from ticketminer.webhooks.signatures import (
    check_fresh,
    hmac_digest,
    parse_timestamp,
    replay_key,
    same,
)

NAME = "zendesk"
SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
TICKET_EVENT_PREFIX = "zen:event-type:ticket."
ATTRIBUTE_KEYS = ("priority", "type", "group_id", "brand_id", "form_id")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Zendesk-Webhook-Signature of a delivery (tests and curl examples use it)."""
    return base64.b64encode(hmac_digest(secret, timestamp.encode() + body, "sha256")).decode()


def _comment(event: Mapping[str, Any], at: datetime) -> Message:
    comment = jv.obj(event.get("comment"), "event.comment")
    author = jv.obj(comment.get("author"), "event.comment.author", required=False)
    staff = jv.flag(author.get("is_staff"), "event.comment.author.is_staff")
    return Message(
        author_role=AuthorRole.AGENT if staff else AuthorRole.CUSTOMER,
        created_at=at,
        body=jv.text(comment.get("body"), "event.comment.body"),
        public=jv.flag(comment.get("is_public"), "event.comment.is_public", default=True),
        external_id=jv.text(comment.get("id"), "event.comment.id"),
        author_id=jv.text(author.get("id"), "event.comment.author.id"),
    )


def _optional_text(detail: Mapping[str, Any], key: str) -> str | None:
    return jv.text(detail[key], f"detail.{key}") if key in detail else None


def ticket_event(payload: Mapping[str, Any]) -> TicketEvent | None:
    kind = jv.text(payload.get("type"), "type")
    if not kind.startswith(TICKET_EVENT_PREFIX):
        return None
    detail = jv.obj(payload.get("detail"), "detail")
    event = jv.obj(payload.get("event"), "event", required=False)
    sent_at = jv.moment(payload.get("time"), "time")
    occurred = jv.moment(detail.get("updated_at"), "detail.updated_at") or sent_at
    if occurred is None:
        raise jv.invalid("detail.updated_at", "is required (or the event's time)")
    status = jv.status(detail.get("status"), "detail.status")
    if kind.endswith(".status_changed") and "current" in event:
        status = jv.status(event.get("current"), "event.current")
    messages = (_comment(event, sent_at or occurred),) if kind.endswith(".comment_added") else ()
    via = jv.obj(detail.get("via"), "detail.via", required=False)
    attributes = {
        key: value
        for key in ATTRIBUTE_KEYS
        if (value := jv.read(values.attribute_text(detail.get(key)), f"detail.{key}"))
        and value != "0"
    }
    return TicketEvent(
        external_id=jv.ident(detail.get("id"), "detail.id"),
        occurred_at=occurred,
        created_at=jv.moment(detail.get("created_at"), "detail.created_at"),
        status=status,
        messages=messages,
        subject=_optional_text(detail, "subject"),
        description=_optional_text(detail, "description"),
        channel=jv.text(via.get("channel"), "detail.via.channel") or None,
        customer_id=jv.text(detail.get("requester_id"), "detail.requester_id") or None,
        tags=jv.tags(detail.get("tags"), "detail.tags"),
        attributes=attributes,
    )


class ZendeskSource:
    name = NAME

    def verify(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
        secret: str,
        now: datetime,
    ) -> str | None:
        signature, timestamp = headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            raise SignatureRejected(
                "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp"
            )
        if not same(sign(secret, timestamp, body), signature.strip()):
            raise SignatureRejected("the Zendesk signature does not match the body")
        check_fresh(parse_timestamp(timestamp), now)
        return replay_key(NAME, timestamp.encode(), body)

    def update(self, body: bytes, now: datetime) -> Update | None:
        return ticket_event(jv.obj(jv.load_json(body), "body"))
