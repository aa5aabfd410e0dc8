"""Chatwoot conversations as ticketminer tickets: the export file reader, and the
mapping the Chatwoot webhook shares (`conversation_event`, `message_of`).

Shapes (Chatwoot API, https://developers.chatwoot.com/api-reference/conversations,
and webhook payloads, https://www.chatwoot.com/docs/product/others/webhook-events):

- a conversation: `id` (the number shown in the dashboard; `display_id` in some
  payloads), `status` ("open", "resolved", "pending", "snoozed"), `created_at`
  (unix seconds), `timestamp` (last activity, unix seconds), `updated_at`,
  `first_reply_created_at`, `channel` ("Channel::WebWidget", ...), `inbox_id`,
  `labels`, `custom_attributes`, `meta.sender` (the contact), `messages`;
- a message: `id`, `content`, `message_type` (0 incoming, 1 outgoing, 2 activity,
  3 template; webhooks spell them "incoming", ...), `private`, `created_at` (unix
  seconds, or text in webhooks), `sender_type` ("Contact", "User", "AgentBot") or
  `sender.type` ("contact", "user", "agent_bot").

Mapping: external_id <- id; status by `values.status_word` (open, pending, resolved
is SOLVED, snoozed is ON_HOLD: the conversation waits on a set time, not on the
customer); channel <- channel without
"Channel::", lower-cased; customer_id <- meta.sender.id; tags <- labels; attributes
<- inbox_id and the custom attributes with text or number values; messages: incoming
is CUSTOMER, outgoing AGENT (BOT when an agent bot sent it), activity SYSTEM,
template BOT; public = not private. `first_reply_created_at` becomes a reported
first response, used only while the thread holds no public agent reply.

File: a JSON array of conversations, or the API's list answer
(`{"data": {"payload": [...]}}` or `{"payload": [...]}`), each with its `messages`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from ticketminer.domain.model import (
    DEFAULT_TENANT,
    AuthorRole,
    Message,
    ReportedFacts,
)
from ticketminer.domain.ticket_events import TicketEvent
from ticketminer.importers import json_values as jv
from ticketminer.importers import values
from ticketminer.importers.json_records import event_items, load_json_file
from ticketminer.importers.records import ImportItem

ROLE_BY_TYPE: dict[int | str, AuthorRole] = {
    0: AuthorRole.CUSTOMER,
    1: AuthorRole.AGENT,
    2: AuthorRole.SYSTEM,
    3: AuthorRole.BOT,
    "incoming": AuthorRole.CUSTOMER,
    "outgoing": AuthorRole.AGENT,
    "activity": AuthorRole.SYSTEM,
    "template": AuthorRole.BOT,
}
_BOT_SENDERS = frozenset(("agentbot", "agent_bot"))


def _role(message: Mapping[str, Any], field: str) -> AuthorRole:
    kind = message.get("message_type")
    if isinstance(kind, str):
        kind = kind.strip().lower()
    role = ROLE_BY_TYPE.get(kind) if isinstance(kind, int | str) else None
    if role is None or isinstance(kind, bool):
        raise jv.invalid(
            f"{field}.message_type", "must be incoming, outgoing, activity, template or 0-3"
        )
    sender = jv.obj(message.get("sender"), f"{field}.sender", required=False)
    sender_type = jv.text(message.get("sender_type") or sender.get("type"), f"{field}.sender")
    if role == AuthorRole.AGENT and sender_type.strip().lower() in _BOT_SENDERS:
        return AuthorRole.BOT
    return role


def message_of(message: Mapping[str, Any], field: str, tz: tzinfo | None = None) -> Message:
    message = jv.obj(message, field)
    sender = jv.obj(message.get("sender"), f"{field}.sender", required=False)
    return Message(
        author_role=_role(message, field),
        created_at=jv.required_moment(message.get("created_at"), f"{field}.created_at", tz),
        body=jv.text(message.get("content"), f"{field}.content"),
        public=not jv.flag(message.get("private"), f"{field}.private"),
        external_id=jv.text(message.get("id"), f"{field}.id"),
        author_id=jv.text(message.get("sender_id") or sender.get("id"), f"{field}.sender_id"),
    )


def _attributes(conversation: Mapping[str, Any], field: str) -> dict[str, str]:
    out = {}
    inbox = jv.text(conversation.get("inbox_id"), f"{field}.inbox_id")
    if inbox:
        out["inbox_id"] = inbox
    custom = jv.obj(
        conversation.get("custom_attributes"), f"{field}.custom_attributes", required=False
    )
    for key, value in custom.items():
        name = jv.text(key, f"{field}.custom_attributes")
        found = jv.read(values.attribute_text(value), f"{field}.custom_attributes.{name}")
        if name and found:
            out[name] = found
    return out


def _channel(conversation: Mapping[str, Any], field: str) -> str:
    channel = jv.text(conversation.get("channel"), f"{field}.channel")
    return channel.removeprefix("Channel::").lower()


def _first_reply(
    conversation: Mapping[str, Any], created: datetime, field: str, tz: tzinfo | None
) -> ReportedFacts | None:
    value = conversation.get("first_reply_created_at")
    first = None if value in (0, "0") else jv.moment(value, f"{field}.first_reply_created_at", tz)
    seconds = values.seconds_between(created, first)
    return None if seconds is None else ReportedFacts(first_response_seconds=seconds)


def conversation_event(
    conversation: Mapping[str, Any],
    field: str = "conversation",
    tz: tzinfo | None = None,
    more: Iterable[Message] = (),
) -> TicketEvent:
    """A conversation (with its `messages`, and `more` messages) as one event."""
    conversation = jv.obj(conversation, field)
    external_id = jv.ident(conversation.get("id") or conversation.get("display_id"), f"{field}.id")
    raw = jv.items(conversation.get("messages"), f"{field}.messages")
    messages = [message_of(m, f"{field}.messages[{i}]", tz) for i, m in enumerate(raw)]
    messages += more
    created = jv.moment(conversation.get("created_at"), f"{field}.created_at", tz)
    times = [
        jv.moment(conversation.get(key), f"{field}.{key}", tz)
        for key in ("updated_at", "timestamp")
    ]
    known = [t for t in (*times, created, *(m.created_at for m in messages)) if t is not None]
    if not known:
        raise jv.invalid(f"{field}.created_at", "is required (or a message with its time)")
    occurred = max(known)
    meta = jv.obj(conversation.get("meta"), f"{field}.meta", required=False)
    contact = jv.obj(meta.get("sender"), f"{field}.meta.sender", required=False)
    return TicketEvent(
        external_id=external_id,
        occurred_at=occurred,
        created_at=created,
        status=jv.status(conversation.get("status"), f"{field}.status"),
        messages=tuple(messages),
        channel=_channel(conversation, field) or None,
        customer_id=jv.text(contact.get("id"), f"{field}.meta.sender.id") or None,
        tags=jv.tags(conversation.get("labels"), f"{field}.labels") or None,
        attributes=_attributes(conversation, field),
        reported=_first_reply(conversation, created, field, tz) if created else None,
    )


def _conversations(data: Any, where: str) -> list[Any]:
    if isinstance(data, dict):
        data = data.get("data", data)
        if isinstance(data, dict):
            data = data.get("payload")
    if not isinstance(data, list):
        raise ValueError(f"{where}: expected a JSON array of Chatwoot conversations")
    return data


def read_chatwoot_json(
    path: str | Path, tz: tzinfo | None = None, tenant_id: str = DEFAULT_TENANT
) -> Iterator[ImportItem]:
    """Yield a `Ticket` or a `RowError` per conversation of an export file; times
    without an offset are read in `tz` (UTC when None)."""
    conversations = _conversations(load_json_file(path), str(path))
    event_of = partial(_event_of, tz=tz)
    return event_items(conversations, event_of, tenant_id, id_keys=("id", "display_id"))


def _event_of(conversation: Any, where: str, tz: tzinfo | None) -> TicketEvent:
    return conversation_event(conversation, where, tz)
