"""Map Freshdesk API v2 JSON to tickets: the ticket list and ticket conversations.

Sources (Freshdesk API v2 reference, https://developers.freshdesk.com/api/, sections
"List All Tickets" and "List All Conversations of a Ticket", found with the `search`
tool together with the Freshworks SDK's TicketsQuery notes): `GET /api/v2/tickets`
takes `updated_since`, `order_by=updated_at`, `order_type=asc`, `per_page` (at most
100), `page` (at most 300) and `include=stats,requester`; `stats` adds
first_responded_at, resolved_at, closed_at and reopened_at. Without `updated_since`
the list holds only tickets created in the last 30 days. A conversation has
body_text, incoming (true when the customer wrote it), private (a note), user_id
and created_at. The ticket's own description is not a conversation.

Mapping (`Ticket` field <- ticket object):

- external_id <- id; created_at, updated_at; subject; description <- description_text
  (description, HTML, when there is no text)
- channel <- source: 1 email, 2 portal, 3 phone, 4 forum, 5 twitter, 6 facebook,
  7 chat, 8 mobihelp, 9 feedback_widget, 10 outbound_email, 11 ecommerce; other
  numbers as `source_<n>`
- status <- status: 2 Open OPEN, 3 Pending PENDING, 4 Resolved SOLVED, 5 Closed
  CLOSED; custom statuses (6 and up) have account-specific meanings: UNSPECIFIED,
  with the number kept as attribute `status_code`
- customer_id <- requester_id; tags; attributes <- priority (low, medium, high,
  urgent), type, group_id, responder_id, company_id, product_id and each custom
  field with a value under its own name (`cf_...`); requester email domain
  <- requester.email (with `include=requester`) as `requester_domain`
- solved_at <- stats.resolved_at, else stats.closed_at; reopen_count <- 1 when
  stats.reopened_at is set (Freshdesk states the last reopen, not a count: a lower
  bound); reported.first_response_seconds <- stats.first_responded_at - created_at
- messages <- conversations: incoming -> CUSTOMER, otherwise AGENT; public = not
  private; body <- body_text

Freshdesk states no reply count, so without conversations a ticket has no public
agent reply and cannot count as first-contact resolution. CSAT lives in the
separate satisfaction-ratings endpoint and is not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.model import TicketStatus
from ticketminer.importers import records as wire
from ticketminer.importers import values as v
from ticketminer.importers.json_records import json_records, map_records
from ticketminer.importers.records import ImportItem, RowError
from ticketminer.v1 import ticketminer_pb2 as pb

STATUS_BY_CODE: dict[int, TicketStatus] = {
    2: TicketStatus.OPEN,
    3: TicketStatus.PENDING,
    4: TicketStatus.SOLVED,
    5: TicketStatus.CLOSED,
}
SOURCE_BY_CODE = {
    1: "email",
    2: "portal",
    3: "phone",
    4: "forum",
    5: "twitter",
    6: "facebook",
    7: "chat",
    8: "mobihelp",
    9: "feedback_widget",
    10: "outbound_email",
    11: "ecommerce",
}
PRIORITY_BY_CODE = {1: "low", 2: "medium", 3: "high", 4: "urgent"}
ATTRIBUTE_FIELDS = ("type", "group_id", "responder_id", "company_id", "product_id")
# (Ticket field, ticket object keys, the first non-empty wins) of the texts taken as
# they are; description_text is the description without its HTML.
TEXT_FIELDS = (
    ("external_id", ("id",)),
    ("customer_id", ("requester_id",)),
    ("subject", ("subject",)),
    ("description", ("description_text", "description")),
)


def status_of_code(code: int) -> TicketStatus | None:
    """Freshdesk's status number as a status; None for an account's own status (6 and
    up: their meaning is the account's, even for the stock "Waiting on ..." ones)."""
    return STATUS_BY_CODE.get(code)


def freshdesk_ticket(
    obj: Any,
    index: int = 0,
    *,
    conversations: Iterable[Any] | None = None,
    tz: tzinfo = UTC,
) -> ImportItem:
    """One ticket object (with its conversations, if fetched) as a `Ticket`, or the
    reason not. `conversations` overrides a `conversations` array in the object."""
    if not isinstance(obj, dict):
        return RowError(index, "", [FieldViolation("ticket", "is not a JSON object")])
    problems: list[FieldViolation] = []
    msg, created = wire.start_ticket(obj, TEXT_FIELDS, tz, problems)
    source = obj.get("source")
    if isinstance(source, int) and not isinstance(source, bool):
        msg.channel = SOURCE_BY_CODE.get(source, f"source_{source}")
    _set_status(msg, obj.get("status"), problems)
    msg.tags.extend(v.take(v.tags(obj.get("tags")), "tags", problems) or ())
    _set_attributes(msg, obj, problems)
    stats = obj.get("stats")
    if isinstance(stats, dict):
        _set_stats(msg, stats, created, tz, problems)
    if conversations is None:
        found = obj.get("conversations")
        conversations = found if isinstance(found, list) else ()
    for path, item in wire.thread(conversations, "conversations", problems):
        wire.add_message(
            msg,
            item,
            path,
            tz,
            problems,
            author_key="user_id",
            body_keys=("body_text", "body"),
            role=pb.AUTHOR_ROLE_CUSTOMER if item.get("incoming") is True else pb.AUTHOR_ROLE_AGENT,
            public=item.get("private") is not True,
        )
    return wire.from_wire(index, msg, problems)


def _set_status(msg: pb.Ticket, status: Any, problems: list[FieldViolation]) -> None:
    if status is None:
        return
    if isinstance(status, bool) or not isinstance(status, int):
        problems.append(FieldViolation("status", f"is not a Freshdesk status number: {status!r}"))
        return
    found = status_of_code(status)
    if found is None:
        msg.attributes["status_code"] = str(status)
    else:
        msg.status = int(found)


def _set_attributes(msg: pb.Ticket, obj: dict[str, Any], problems: list[FieldViolation]) -> None:
    priority = obj.get("priority")
    if isinstance(priority, int) and not isinstance(priority, bool):
        msg.attributes["priority"] = PRIORITY_BY_CODE.get(priority, str(priority))
    for name in ATTRIBUTE_FIELDS:
        text = v.take(v.attribute_text(obj.get(name)), name, problems)
        if text:
            msg.attributes[name] = text
    custom = obj.get("custom_fields")
    for key, value in custom.items() if isinstance(custom, dict) else ():
        name = v.take(v.text(key), "custom_fields", problems)
        text = v.take(v.attribute_text(value), f"custom_fields.{name}", problems)
        if name and text:
            msg.attributes[name] = text
    requester = obj.get("requester")
    email = requester.get("email") if isinstance(requester, dict) else None
    if isinstance(email, str) and "@" in email:
        msg.attributes["requester_domain"] = email.rsplit("@", 1)[1].lower()


def _set_stats(
    msg: pb.Ticket,
    stats: dict[str, Any],
    created: datetime | None,
    tz: tzinfo,
    problems: list[FieldViolation],
) -> None:
    solved_field = "resolved_at" if stats.get("resolved_at") else "closed_at"
    wire.set_time(msg.solved_at, stats.get(solved_field), tz, f"stats.{solved_field}", problems)
    if stats.get("reopened_at"):
        msg.reopen_count = 1
    first = v.take(
        v.moment(stats.get("first_responded_at"), tz), "stats.first_responded_at", problems
    )
    seconds = v.seconds_between(created, first)
    if seconds is not None:
        msg.reported.first_response_seconds = seconds


# --- saved exports ------------------------------------------------------------------


def read_freshdesk_json(path: str | Path, tz: str | tzinfo | None = None) -> Iterator[ImportItem]:
    """Tickets of a saved "tickets and conversations" file: a JSON array of ticket
    objects (as `GET /api/v2/tickets?include=stats,requester` returns them), an
    object `{"tickets": [...]}`, or JSONL with one ticket object per line. A ticket
    may carry its thread as `conversations`, the array of
    `GET /api/v2/tickets/{id}/conversations`."""
    zone = v.zone(tz) or UTC
    return _read(Path(path), zone)


def _read(path: Path, zone: tzinfo) -> Iterator[ImportItem]:
    _, records = json_records(path, "tickets")
    yield from map_records(records, partial(freshdesk_ticket, tz=zone))
