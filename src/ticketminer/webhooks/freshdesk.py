"""Freshdesk automation-rule webhooks.

Freshdesk has no fixed webhook payload: an automation rule's "Trigger webhook"
action sends the JSON body the admin writes, with placeholders such as
`{{ticket.id}}`, `{{ticket.status}}` and `{{ticket.latest_public_comment}}`, and the
custom headers the admin adds (https://support.freshdesk.com/support/solutions/articles/132589-using-webhooks-in-automation-rules).
This source reads the body below (the README gives the rule setup); one rule per
kind of change, each naming its `event`:

    {"event": "ticket_created | ticket_updated | agent_reply | customer_reply | private_note",
     "ticket": {"id": "{{ticket.id}}", "subject": "{{ticket.subject}}",
                "description": "{{ticket.description_text}}", "status": "{{ticket.status}}",
                "priority": "{{ticket.priority}}", "source": "{{ticket.source}}",
                "type": "{{ticket.ticket_type}}", "requester": "{{ticket.requester.email}}",
                "group": "{{ticket.group.name}}", "tags": "{{ticket.tags}}",
                "created_at": "...", "updated_at": "..."},
     "comment": {"body": "{{ticket.latest_public_comment}}", "created_at": "..."}}

Status is a name (Open, Pending, Resolved, Closed, Waiting on Customer, Waiting on
Third Party; `values.status_word`) or Freshdesk's number (2-5, as the API importer
reads it; an account's own statuses, 6 and up, are UNSPECIFIED). Times are RFC 3339
or unix seconds; a missing `updated_at` (or comment time) is the moment the delivery
arrived.

Authentication: a shared secret in the X-Webhook-Token custom header (or `?token=`),
compared in constant time. Deliveries are not signed, so a repeated delivery is not
refused; it leaves the same state (UNCHANGED).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticketminer.domain.model import AuthorRole, Message, TicketStatus
from ticketminer.domain.ticket_events import TicketEvent
from ticketminer.importers import json_values as jv
from ticketminer.importers import values
from ticketminer.importers.freshdesk_api import status_of_code
from ticketminer.webhooks.base import Update
from ticketminer.webhooks.signatures import TokenVerified

NAME = "freshdesk"
# (author role, public) of the comment each event carries; other events carry none.
COMMENT_BY_EVENT: dict[str, tuple[AuthorRole, bool]] = {
    "agent_reply": (AuthorRole.AGENT, True),
    "customer_reply": (AuthorRole.CUSTOMER, True),
    "private_note": (AuthorRole.AGENT, False),
}
EVENTS = frozenset(("ticket_created", "ticket_updated", *COMMENT_BY_EVENT))
ATTRIBUTE_KEYS = ("priority", "type", "group", "source")


def _status(value: Any) -> TicketStatus:
    """A status name, or Freshdesk's number as the API importer reads it (an account's
    own statuses, 6 and up, are UNSPECIFIED)."""
    code = jv.read(values.count(value), "ticket.status") if _is_number(value) else None
    if code is None:
        return jv.status(value, "ticket.status")
    return status_of_code(code) or TicketStatus.UNSPECIFIED


def _is_number(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().isdigit()
    return isinstance(value, int | float) and not isinstance(value, bool)


def ticket_event(payload: Mapping[str, Any], now: datetime) -> TicketEvent:
    event = jv.text(payload.get("event"), "event").strip().lower()
    if event not in EVENTS:
        raise jv.invalid("event", f"must be one of {', '.join(sorted(EVENTS))}")
    ticket = jv.obj(payload.get("ticket"), "ticket")
    occurred = jv.moment(ticket.get("updated_at"), "ticket.updated_at") or now
    messages: tuple[Message, ...] = ()
    if event in COMMENT_BY_EVENT:
        role, public = COMMENT_BY_EVENT[event]
        comment = jv.obj(payload.get("comment"), "comment")
        body = jv.html_text(jv.text(comment.get("body"), "comment.body"))
        at = jv.moment(comment.get("created_at"), "comment.created_at") or occurred
        messages = (Message(role, at, body, public, jv.text(comment.get("id"), "comment.id")),)
    description = ticket.get("description")
    return TicketEvent(
        external_id=jv.ident(ticket.get("id"), "ticket.id"),
        occurred_at=occurred,
        created_at=jv.moment(ticket.get("created_at"), "ticket.created_at"),
        status=_status(ticket.get("status")),
        messages=messages,
        subject=jv.text(ticket["subject"], "ticket.subject") if "subject" in ticket else None,
        description=(
            None
            if description is None
            else jv.html_text(jv.text(description, "ticket.description"))
        ),
        customer_id=jv.text(ticket.get("requester"), "ticket.requester") or None,
        channel=jv.text(ticket.get("source"), "ticket.source").lower() or None,
        tags=jv.tags(ticket.get("tags"), "ticket.tags"),
        attributes={
            key: value
            for key in ATTRIBUTE_KEYS
            if (value := jv.read(values.attribute_text(ticket.get(key)), f"ticket.{key}"))
        },
    )


class FreshdeskSource(TokenVerified):
    name = NAME

    def update(self, body: bytes, now: datetime) -> Update | None:
        return ticket_event(jv.obj(jv.load_json(body), "body"), now)
