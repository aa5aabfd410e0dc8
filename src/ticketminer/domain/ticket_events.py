"""A change to one ticket (a helpdesk event) and how it turns the stored state into
the ticket's current state.

Helpdesk webhooks send changes ("status is now solved", "a comment was added"),
while ingest takes full states. `apply_event` bridges the two, so a webhook goes
through the same upsert as IngestTicket and gets the same outcomes. It is pure and
idempotent: applying one event twice gives the state applying it once gave. An
event older than the stored state only adds its messages, so deliveries that arrive
out of order (concurrent, or retried) lose no message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from ticketminer.domain.model import (
    DEFAULT_TENANT,
    Message,
    ReportedFacts,
    Ticket,
    TicketStatus,
)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """What a helpdesk says about one ticket; None (or UNSPECIFIED) leaves a field as
    stored. `occurred_at` becomes the ticket's `updated_at`, so an event older than
    the stored state is STALE, as an older IngestTicket state would be."""

    external_id: str
    occurred_at: datetime
    created_at: datetime | None = None
    status: TicketStatus = TicketStatus.UNSPECIFIED
    # When the helpdesk states the solve time; otherwise a solve happens at occurred_at.
    solved_at: datetime | None = None
    messages: tuple[Message, ...] = ()
    subject: str | None = None
    description: str | None = None
    channel: str | None = None
    customer_id: str | None = None
    tags: tuple[str, ...] | None = None
    # Merged into the stored attributes (a helpdesk sends the fields it knows).
    attributes: Mapping[str, str] = field(default_factory=dict)
    csat: int | None = None
    reported: ReportedFacts | None = None


def _message_key(message: Message) -> tuple[object, ...]:
    if message.external_id:
        return ("id", message.external_id)
    return ("content", int(message.author_role), message.created_at, message.body)


def merge_messages(stored: Iterable[Message], new: Iterable[Message]) -> list[Message]:
    """The thread with `new` added: a message already there (same id, or same author
    role, time and body when it has no id) is replaced, not repeated."""
    by_key: dict[tuple[object, ...], Message] = {}
    for message in [*stored, *new]:
        by_key[_message_key(message)] = message
    return sorted(by_key.values(), key=lambda m: m.created_at)


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _with_status(ticket: Ticket, event: TicketEvent) -> Ticket:
    """Solve, re-solve or reopen: a reopen counts once and keeps the first solve."""
    new = event.status
    if new == TicketStatus.UNSPECIFIED or new == ticket.status:
        if new.is_solved and event.solved_at is not None:
            return replace(ticket, solved_at=event.solved_at)
        return ticket
    was_solved = ticket.status.is_solved
    if new.is_solved:
        solved_at = event.solved_at or (ticket.solved_at if was_solved else None)
        return replace(ticket, status=new, solved_at=solved_at or event.occurred_at)
    if was_solved:
        return replace(
            ticket,
            status=new,
            reopen_count=ticket.reopen_count + 1,
            first_solved_at=_earliest(ticket.first_solved_at, ticket.solved_at),
            solved_at=None,
        )
    return replace(ticket, status=new)


def apply_event(stored: Ticket | None, event: TicketEvent, tenant_id: str) -> Ticket:
    """The ticket's state after `event`; `stored` is not modified."""
    if stored is not None and stored.updated_at and event.occurred_at < stored.updated_at:
        # A late event (delivered after a newer one, or retried): its fields are out of
        # date, but a message it adds still belongs to the thread. The stored copy of a
        # message wins, being the newer.
        return replace(stored, messages=merge_messages(event.messages, stored.messages))
    if stored is None:
        # Without a stated creation time, a ticket starts at its earliest known moment.
        earliest = min([event.occurred_at, *(m.created_at for m in event.messages)])
        base = Ticket(
            external_id=event.external_id,
            created_at=event.created_at or earliest,
            tenant_id=tenant_id or DEFAULT_TENANT,
        )
    else:
        base = replace(
            stored,
            messages=list(stored.messages),
            attributes=dict(stored.attributes),
            tags=list(stored.tags),
        )
    changes: dict[str, object] = {
        name: value
        for name in ("created_at", "subject", "description", "channel", "customer_id", "csat")
        if (value := getattr(event, name)) is not None
    }
    if event.tags is not None:
        changes["tags"] = list(dict.fromkeys(event.tags))
    if event.reported is not None:
        changes["reported"] = event.reported
    ticket = replace(
        base,
        **changes,
        attributes={**base.attributes, **event.attributes},
        messages=merge_messages(base.messages, event.messages),
        updated_at=event.occurred_at,
    )
    return _with_status(ticket, event)
