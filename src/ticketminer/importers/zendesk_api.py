"""Map Zendesk Support API JSON to tickets: the incremental ticket export, ticket
comments and ticket metric sets.

Sources (Zendesk developer documentation, found with the `search` tool):

- Incremental ticket export, cursor based, `GET /api/v2/incremental/tickets/cursor.json`
  with `start_time` then `cursor`; a page is `{"tickets": [...], "after_cursor",
  "after_url", "end_of_stream"}`:
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
  and https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
- Ticket comments, `GET /api/v2/tickets/{id}/comments.json` (author_id, public, body,
  plain_body, created_at; the first comment is the ticket's description):
  https://developer.zendesk.com/rest_api/docs/support/ticket_comments/
- Ticket metrics (replies: "the number of public replies added to a ticket by an
  agent"; reopens; reply_time_in_minutes and first_resolution_time_in_minutes as
  {calendar, business}; solved_at): https://developer.zendesk.com/rest_api/docs/core/ticket_metrics
  The export sideloads them with `include=metric_sets` (answer on Zendesk's
  community forum, "Ticket metrics incremental"); each ticket then carries a
  `metric_set`, and list endpoints return a top-level `metric_sets` array keyed by
  `ticket_id`. Both shapes are read.

The thread comes from the comments endpoint rather than the `comment_events`
sideload of the ticket *events* export: the comments endpoint is documented per
field and returns the whole thread of one ticket, where events arrive per change and
would have to be joined back to tickets. A comment's author is the CUSTOMER when a
sideloaded user (`include=users`) has the role `end-user` or, without users, when
the author is the ticket's requester; otherwise an AGENT. Author id -1 is Zendesk's
own system user (triggers), taken as SYSTEM.

Mapping (`Ticket` field <- ticket object):

- external_id <- id; created_at, updated_at; subject; description
- channel <- via.channel; customer_id <- requester_id; tags
- status <- status (new, open, pending, hold, solved, closed; `values.status_word`);
  a `deleted` ticket is rejected with that reason, as it has nothing left to measure
- csat <- satisfaction_rating.score (`values.csat`): good 5, bad 1; offered /
  unoffered unrated
- attributes <- priority, type, group_id, assignee_id, organization_id, brand_id,
  ticket_form_id, and every custom field with a value as `field_<id>`
- from the metric set: reopen_count <- reopens, solved_at <- solved_at,
  first_solved_at <- created_at + first_resolution_time_in_minutes.calendar,
  reported.public_agent_replies <- replies, reported.first_response_seconds <-
  reply_time_in_minutes.calendar x 60 (used only while the thread holds no public
  agent reply, so fetched comments win)

Times are ISO 8601; the API always states UTC, and `tz` only applies to a saved
file whose times lack an offset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from ticketminer.api.convert import datetime_to_timestamp
from ticketminer.domain.errors import FieldViolation
from ticketminer.importers import records as wire
from ticketminer.importers import values as v
from ticketminer.importers.json_records import json_records, map_records
from ticketminer.importers.records import ImportItem, RowError
from ticketminer.v1 import ticketminer_pb2 as pb

DELETED = "deleted"
SYSTEM_AUTHOR = -1
CUSTOMER_ROLES = frozenset({"end-user"})
ATTRIBUTE_FIELDS = (
    "priority",
    "type",
    "group_id",
    "assignee_id",
    "organization_id",
    "brand_id",
    "ticket_form_id",
)
CUSTOM_FIELD_PREFIX = "field_"
# (Ticket field, ticket object key) of the texts taken as they are.
TEXT_FIELDS = (
    ("external_id", ("id",)),
    ("customer_id", ("requester_id",)),
    ("subject", ("subject",)),
    ("description", ("description",)),
)


@dataclass(slots=True)
class Sideloads:
    """What arrives beside the tickets: metric sets by ticket id, user roles by id."""

    metric_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_page(cls, page: Mapping[str, Any]) -> Sideloads:
        out = cls()
        out.add_metric_sets(page.get("metric_sets"))
        out.add_users(page.get("users"))
        return out

    def add_metric_sets(self, items: Any) -> None:
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and (ticket := _key(item.get("ticket_id"))):
                self.metric_sets[ticket] = item

    def add_users(self, items: Any) -> None:
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("role"), str):
                self.roles[_key(item.get("id"))] = item["role"]


def _key(value: Any) -> str:
    """An id to match records by ("" for none); an unreadable one matches nothing."""
    if type(value) is int:  # Zendesk's ids
        return str(value)
    found = v.text(value)
    return found if isinstance(found, str) else ""


def zendesk_ticket(
    obj: Any,
    index: int = 0,
    *,
    comments: Iterable[Any] | None = None,
    sideloads: Sideloads | None = None,
    tz: tzinfo = UTC,
) -> ImportItem:
    """One ticket object (with its comments, if fetched) as a `Ticket`, or the reason not.

    `comments` overrides a `comments` array embedded in the object (the shape of a
    saved export); a `metric_set` embedded in the object wins over the sideloads."""
    if not isinstance(obj, dict):
        return RowError(index, "", [FieldViolation("ticket", "is not a JSON object")])
    sideloads = sideloads or Sideloads()
    external_id = _key(obj.get("id"))
    if obj.get("status") == DELETED:
        problem = FieldViolation("status", "the ticket is deleted in Zendesk")
        return RowError(index, external_id, [problem], reason="deleted ticket")
    problems: list[FieldViolation] = []
    msg, created = wire.start_ticket(obj, TEXT_FIELDS, tz, problems)
    via = obj.get("via")
    if isinstance(via, dict) and isinstance(via.get("channel"), str):
        msg.channel = v.take(v.text(via["channel"]), "via.channel", problems) or ""
    status = v.take(v.status_word(obj.get("status")), "status", problems)
    if status is not None:
        msg.status = int(status)
    msg.tags.extend(v.take(v.tags(obj.get("tags"), " "), "tags", problems) or ())
    rating = obj.get("satisfaction_rating")
    score = rating.get("score") if isinstance(rating, dict) else None
    csat = v.take(v.csat(score), "satisfaction_rating.score", problems)
    if csat is not None:
        msg.csat = csat
    _set_attributes(msg, obj, problems)
    metric_set = obj.get("metric_set")
    if not isinstance(metric_set, dict):
        metric_set = sideloads.metric_sets.get(external_id)
    if metric_set is not None:
        _set_metrics(msg, metric_set, created, tz, problems)
    if comments is None:
        comments = obj.get("comments") if isinstance(obj.get("comments"), list) else ()
    for path, comment in wire.thread(comments, "comments", problems):
        wire.add_message(
            msg,
            comment,
            path,
            tz,
            problems,
            author_key="author_id",
            body_keys=("plain_body", "body"),
            role=_role(comment.get("author_id"), obj.get("requester_id"), sideloads.roles),
            public=comment.get("public") is not False,
        )
    return wire.from_wire(index, msg, problems)


def _set_attributes(msg: pb.Ticket, obj: dict[str, Any], problems: list[FieldViolation]) -> None:
    for name in ATTRIBUTE_FIELDS:
        text = v.take(v.attribute_text(obj.get(name)), name, problems)
        if text:
            msg.attributes[name] = text
    for i, custom in enumerate(obj.get("custom_fields") or ()):
        if not isinstance(custom, dict):
            continue
        key = _key(custom.get("id"))
        text = v.take(v.attribute_text(custom.get("value")), f"custom_fields[{i}]", problems)
        if key and text:
            msg.attributes[CUSTOM_FIELD_PREFIX + key] = text


def _calendar_minutes(value: Any) -> float | None:
    if not isinstance(value, dict):
        return None
    minutes = value.get("calendar")
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
        return None
    return float(minutes)


def _set_metrics(
    msg: pb.Ticket,
    metrics: dict[str, Any],
    created: datetime | None,
    tz: tzinfo,
    problems: list[FieldViolation],
) -> None:
    reopens = v.take(v.count(metrics.get("reopens")), "metric_set.reopens", problems)
    if reopens is not None:
        msg.reopen_count = reopens
    replies = v.take(v.count(metrics.get("replies")), "metric_set.replies", problems)
    if replies is not None:
        msg.reported.public_agent_replies = replies
    reply_minutes = _calendar_minutes(metrics.get("reply_time_in_minutes"))
    if reply_minutes is not None:
        msg.reported.first_response_seconds = reply_minutes * 60.0
    solved = wire.set_time(msg.solved_at, metrics.get("solved_at"), tz, "solved_at", problems)
    first_minutes = _calendar_minutes(metrics.get("first_resolution_time_in_minutes"))
    if created is not None and first_minutes is not None:
        first = created + timedelta(minutes=first_minutes)
        if solved is not None and first > solved:  # minute rounding past the last solve
            first = solved
        datetime_to_timestamp(first, msg.first_solved_at)


def _role(author: Any, requester: Any, roles: dict[str, str]) -> int:
    if author == SYSTEM_AUTHOR:
        return pb.AUTHOR_ROLE_SYSTEM
    role = roles.get(_key(author))
    if role is not None:
        return pb.AUTHOR_ROLE_CUSTOMER if role in CUSTOMER_ROLES else pb.AUTHOR_ROLE_AGENT
    same = author is not None and _key(author) == _key(requester)
    return pb.AUTHOR_ROLE_CUSTOMER if same else pb.AUTHOR_ROLE_AGENT


# --- saved exports ------------------------------------------------------------------


def read_zendesk_json(path: str | Path, tz: str | tzinfo | None = None) -> Iterator[ImportItem]:
    """Tickets of a saved Zendesk export: one page of the incremental export (or any
    JSON object with a `tickets` array, sideloads included), a JSON array of ticket
    objects, or JSONL with one ticket object per line.

    A ticket object may carry its thread as `comments` (the objects of the comments
    endpoint) and its metrics as `metric_set`, which is what `ticketminer sync
    zendesk` reads from the API."""
    zone = v.zone(tz) or UTC  # a bad zone name fails before the file is read
    return _read(Path(path), zone)


def _read(path: Path, zone: tzinfo) -> Iterator[ImportItem]:
    page, records = json_records(path, "tickets")
    convert = partial(zendesk_ticket, sideloads=Sideloads.of_page(page), tz=zone)
    yield from map_records(records, convert)
