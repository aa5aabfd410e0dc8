"""Zammad tickets and articles as ticketminer tickets: the export file reader, and
the mapping the Zammad webhook shares (`ticket_event`).

Shapes (Zammad REST API, https://docs.zammad.org/en/latest/api/ticket/index.html and
.../api/ticket/articles.html):

- a ticket from `GET /api/v1/tickets/{id}?expand=true`: `id`, `number`, `title`,
  `state` ("new", "open", "pending reminder", "pending close", "closed", "merged"),
  `created_at`, `updated_at`, `close_at`, `first_response_at`, `customer`
  (login), `group`, `priority`, `organization`, `create_article_type`, `tags`;
- its articles from `GET /api/v1/ticket_articles/by_ticket/{id}?expand=true`: `id`,
  `ticket_id`, `sender` ("Customer", "Agent", "System"; or `sender_id` 2, 1, 3),
  `internal`, `body`, `content_type` ("text/html" or "text/plain"), `created_at`,
  `created_by_id`.

The webhook body (https://admin-docs.zammad.org/en/latest/manage/webhook/payload.html)
holds the same ticket, with users, group and priority as objects, plus one
`article`; both forms are read.

Mapping: external_id <- number (the id users see; `id` if absent); subject <- title;
channel <- create_article_type; customer_id <- customer; attributes group,
priority, organization; status by `values.status_word` ("pending reminder" and
"pending close" are PENDING, "closed" and "merged" CLOSED: Zammad has no separate
solved state; an account's own states are UNSPECIFIED); solved_at <- close_at; messages <-
articles (role by sender, public = not internal, HTML bodies as text). Zammad's
`first_response_at` becomes a reported first response, used only while the thread
holds no public agent reply (an export without articles).

File: a JSON array of tickets (each may hold its `articles`), or an object with
`tickets` and `articles` arrays (articles matched by `ticket_id`), or one ticket.
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
    TicketStatus,
)
from ticketminer.domain.ticket_events import TicketEvent
from ticketminer.importers import json_values as jv
from ticketminer.importers import values
from ticketminer.importers.json_records import event_items, json_records
from ticketminer.importers.records import ImportItem

ROLE_BY_SENDER: dict[str, AuthorRole] = {
    "customer": AuthorRole.CUSTOMER,
    "agent": AuthorRole.AGENT,
    "system": AuthorRole.SYSTEM,
}
# Zammad's seeded Ticket::Article::Sender ids, for articles exported without expand.
ROLE_BY_SENDER_ID: dict[int, AuthorRole] = {
    1: AuthorRole.AGENT,
    2: AuthorRole.CUSTOMER,
    3: AuthorRole.SYSTEM,
}
_USER_KEYS = ("login", "email", "id")


def _role(article: Mapping[str, Any], field: str) -> AuthorRole:
    sender = jv.name_of(article.get("sender"), f"{field}.sender").strip().lower()
    if sender:
        role = ROLE_BY_SENDER.get(sender)
        if role is None:
            raise jv.invalid(f"{field}.sender", f"unknown sender {sender!r}")
        return role
    sender_id = article.get("sender_id")
    if isinstance(sender_id, int) and sender_id in ROLE_BY_SENDER_ID:
        return ROLE_BY_SENDER_ID[sender_id]
    raise jv.invalid(f"{field}.sender", "is required (Customer, Agent or System)")


def article_message(
    article: Mapping[str, Any], field: str, tz: tzinfo | None = None
) -> Message | None:
    """The article as a message; None for an empty one (a trigger without article)."""
    if not article:
        return None
    body = jv.text(article.get("body"), f"{field}.body")
    if "html" in jv.text(article.get("content_type"), f"{field}.content_type").lower():
        body = jv.html_text(body)
    return Message(
        author_role=_role(article, field),
        created_at=jv.required_moment(article.get("created_at"), f"{field}.created_at", tz),
        body=body,
        public=not jv.flag(article.get("internal"), f"{field}.internal"),
        external_id=jv.text(article.get("id"), f"{field}.id"),
        author_id=jv.text(article.get("created_by_id"), f"{field}.created_by_id"),
    )


def _status(ticket: Mapping[str, Any], field: str) -> TicketStatus:
    found = values.status_word(jv.name_of(ticket.get("state"), f"{field}.state"))
    return found if isinstance(found, TicketStatus) else TicketStatus.UNSPECIFIED


def _attributes(ticket: Mapping[str, Any], field: str) -> dict[str, str]:
    out = {}
    for key in ("group", "priority", "organization"):
        value = jv.name_of(ticket.get(key), f"{field}.{key}")
        if value:
            out[key] = value
    return out


def _first_response(
    ticket: Mapping[str, Any], created: datetime, field: str, tz: tzinfo | None
) -> ReportedFacts | None:
    first = jv.moment(ticket.get("first_response_at"), f"{field}.first_response_at", tz)
    seconds = values.seconds_between(created, first)
    return None if seconds is None else ReportedFacts(first_response_seconds=seconds)


def article_messages(articles: Any, field: str, tz: tzinfo | None = None) -> list[Message]:
    out = []
    for i, article in enumerate(jv.items(articles, field)):
        message = article_message(jv.obj(article, f"{field}[{i}]"), f"{field}[{i}]", tz)
        if message is not None:
            out.append(message)
    return out


def ticket_event(
    ticket: Mapping[str, Any],
    messages: Iterable[Message],
    field: str = "ticket",
    tz: tzinfo | None = None,
) -> TicketEvent:
    """A Zammad ticket (and the messages of the articles given with it) as one event."""
    ticket = jv.obj(ticket, field)
    external_id = jv.ident(ticket.get("number") or ticket.get("id"), f"{field}.number")
    created = jv.required_moment(ticket.get("created_at"), f"{field}.created_at", tz)
    messages = list(messages)
    updated = jv.moment(ticket.get("updated_at"), f"{field}.updated_at", tz)
    occurred = updated or max([created, *(m.created_at for m in messages)])
    status = _status(ticket, field)
    close_at = jv.moment(ticket.get("close_at"), f"{field}.close_at", tz)
    customer = jv.name_of(ticket.get("customer"), f"{field}.customer", *_USER_KEYS)
    return TicketEvent(
        external_id=external_id,
        occurred_at=occurred,
        created_at=created,
        status=status,
        solved_at=close_at if status.is_solved else None,
        messages=tuple(messages),
        subject=jv.text(ticket.get("title"), f"{field}.title"),
        channel=jv.name_of(ticket.get("create_article_type"), f"{field}.create_article_type"),
        customer_id=customer or jv.text(ticket.get("customer_id"), f"{field}.customer_id"),
        tags=jv.tags(ticket.get("tags"), f"{field}.tags") or (),
        attributes=_attributes(ticket, field),
        reported=_first_response(ticket, created, field, tz),
    )


def _with_articles(envelope: Mapping[str, Any], tickets: Iterable[Any]) -> Iterator[Any]:
    """The tickets, each with its articles under `articles`: its own, and those of the
    file's `articles` array (matched by `ticket_id`)."""
    loose = envelope.get("articles") or []
    if not isinstance(loose, list):
        raise ValueError("'articles' must be a JSON array of Zammad articles")
    by_ticket: dict[str, list[Any]] = {}
    for article in loose:
        if isinstance(article, dict):
            by_ticket.setdefault(str(article.get("ticket_id")), []).append(article)
    for ticket in tickets:
        if isinstance(ticket, dict) and by_ticket:
            own = ticket.get("articles")
            found = by_ticket.get(str(ticket.get("id")), [])
            ticket = {**ticket, "articles": [*(own if isinstance(own, list) else []), *found]}
        yield ticket


def read_zammad_json(
    path: str | Path, tz: tzinfo | None = None, tenant_id: str = DEFAULT_TENANT
) -> Iterator[ImportItem]:
    """Yield a `Ticket` or a `RowError` per Zammad ticket of an export file; times
    without an offset are read in `tz` (UTC when None)."""
    envelope, tickets = json_records(path, "tickets", ("number", "id"), "Zammad tickets")
    records = _with_articles(envelope, tickets)
    return event_items(records, partial(_event_of, tz=tz), tenant_id, id_keys=("number", "id"))


def _event_of(ticket: Any, where: str, tz: tzinfo | None) -> TicketEvent:
    ticket = jv.obj(ticket, where)
    messages = article_messages(ticket.get("articles"), f"{where}.articles", tz)
    return ticket_event(ticket, messages, where, tz)
