"""What an importer yields: a ticket ready for the service, or the reason a record
could not even be turned into one. Keeping bad records in the stream (rather than
raising) lets a bulk import report every broken row in one pass.

The readers that build a wire `Ticket` first (the wire-shape files, the Zendesk and
Freshdesk API mappers) share the steps here: times into Timestamps, a vendor thread's
messages, and the wire checks at the end (`from_wire`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from typing import Any, TypeAlias

from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer.api.convert import datetime_to_timestamp, ticket_from_proto
from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.ingest import RejectedItem
from ticketminer.domain.model import Ticket
from ticketminer.importers import values
from ticketminer.v1 import ticketminer_pb2 as pb

# A record that failed wire/format checks; `index` is its 0-based position among
# the file's records. The same type the bulk RPC reports, so both share one path.
RowError = RejectedItem

ImportItem: TypeAlias = Ticket | RejectedItem


def from_wire(index: int, msg: pb.Ticket, problems: Iterable[FieldViolation] = ()) -> ImportItem:
    """The domain ticket through the shared wire checks (a file import and an API call
    check the same), or every problem met reading the record and converting it."""
    ticket, violations = ticket_from_proto(msg)
    problems = [*problems, *violations]
    if problems:  # the ticket then holds placeholders and must not be used
        return RowError(index, msg.external_id, problems)
    return ticket


def set_time(
    out: Timestamp, value: Any, zone: tzinfo, field: str, problems: list[FieldViolation]
) -> datetime | None:
    """Read a vendor's JSON time (`values.moment`) into `out`; a bad one becomes a
    violation on `field`."""
    moment = values.take(values.moment(value, zone), field, problems)
    if moment is not None:
        datetime_to_timestamp(moment, out)
    return moment


def thread(
    items: Iterable[Any], name: str, problems: list[FieldViolation]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, object) of each message object of a vendor's thread array `name` (a
    Zendesk ticket's `comments`, a Freshdesk ticket's `conversations`); anything
    else in the array is a violation."""
    for i, item in enumerate(items):
        path = f"{name}[{i}]"
        if isinstance(item, dict):
            yield path, item
        else:
            problems.append(FieldViolation(path, "is not a JSON object"))


def add_message(
    msg: pb.Ticket,
    item: dict[str, Any],
    path: str,
    zone: tzinfo,
    problems: list[FieldViolation],
    *,
    author_key: str,
    body_keys: tuple[str, ...],
    role: int,
    public: bool,
) -> None:
    """One message of a vendor's thread: its `id`, author, body (the first of
    `body_keys` that is a string: plain text before HTML) and `created_at`."""
    body_key = next((k for k in body_keys if isinstance(item.get(k), str)), body_keys[-1])
    out = msg.messages.add(
        external_id=values.take(values.text(item.get("id")), f"{path}.id", problems) or "",
        author_id=values.take(values.text(item.get(author_key)), f"{path}.{author_key}", problems)
        or "",
        author_role=role,
        public=public,
        body=values.take(values.text(item.get(body_key)), f"{path}.{body_key}", problems) or "",
    )
    set_time(out.created_at, item.get("created_at"), zone, f"{path}.created_at", problems)


def start_ticket(
    obj: dict[str, Any],
    text_fields: Iterable[tuple[str, tuple[str, ...]]],
    zone: tzinfo,
    problems: list[FieldViolation],
) -> tuple[pb.Ticket, datetime | None]:
    """A wire Ticket holding a vendor record's texts (each Ticket field from the first
    of its keys with a value) and its `created_at` / `updated_at`; and the creation
    time, which later fields are measured from."""
    msg = pb.Ticket()
    for name, keys in text_fields:
        key = next((k for k in keys if obj.get(k)), keys[0])
        found = values.take(values.text(obj.get(key)), key, problems)
        if found:
            setattr(msg, name, found)
    created = set_time(msg.created_at, obj.get("created_at"), zone, "created_at", problems)
    set_time(msg.updated_at, obj.get("updated_at"), zone, "updated_at", problems)
    return msg, created
