"""Read tickets from JSONL or CSV files in the shape of the wire `Ticket` message.

Both formats are turned into a `ticketminer.v1.Ticket` first and then go through
`ticket_from_proto`, so a file import and an API call share one set of wire checks.
Only format problems become `RowError`s here; business rules (`validate_ticket`)
stay with the service, which would otherwise report them twice.

JSONL: one `Ticket` per line in the protobuf JSON mapping (camelCase or proto field
names); blank lines are skipped and do not count as records.

CSV: one ticket per row; columns are `Ticket` field names plus
`attributes.<key>` (an empty cell means the key is absent), `tags` (separated by
`|`) and `messages` (a JSON array of `Message` in the protobuf JSON mapping).
Timestamps are RFC 3339 with a UTC offset; `status` takes `TICKET_STATUS_SOLVED`,
`solved`, `Solved`, `on-hold`, the vendors' words (importers.values.status) or the
enum number, in CSV and JSONL alike. Empty cells leave a field unset.

Field paths in violations use proto field names (`messages[0].created_at`), the
same names the service uses in its own violations.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer.api.convert import datetime_to_timestamp
from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.timeutil import to_us
from ticketminer.importers import values
from ticketminer.importers.json_records import NotJson, decode, guess_id, json_lines
from ticketminer.importers.records import ImportItem, RowError, from_wire
from ticketminer.v1 import ticketminer_pb2 as pb

FORMAT_BY_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
FORMATS = ("jsonl", "csv")
ATTRIBUTE_PREFIX = "attributes."
UINT32_MAX = 2**32 - 1  # reopen_count and csat on the wire
TAG_SEPARATOR = "|"

_STRING_COLUMNS = (
    "tenant_id",
    "external_id",
    "channel",
    "subject",
    "description",
    "customer_id",
    "language",
)
_TIME_COLUMNS = ("created_at", "updated_at", "solved_at", "first_solved_at", "customer_since")
# The single-valued Ticket fields, in the order `Ticket` declares them; a writer of
# CSV files for this importer can use it as its header.
SCALAR_COLUMNS = tuple(
    f.name
    for f in sorted(pb.Ticket.DESCRIPTOR.fields, key=lambda f: f.number)
    if (not f.is_repeated and f.message_type is None) or f.name in _TIME_COLUMNS
)


def read_ticket_file(path: str | Path, fmt: str | None = None) -> Iterator[ImportItem]:
    """Yield a `Ticket` or a `RowError` per record of a JSONL or CSV file.

    `fmt` is "jsonl" or "csv"; when None it is inferred from the file extension,
    so a misnamed file fails here instead of producing one error per row.
    """
    path = Path(path)
    if fmt is None:
        fmt = FORMAT_BY_SUFFIX.get(path.suffix.lower())
        if fmt is None:
            known = ", ".join(sorted(FORMAT_BY_SUFFIX))
            raise ValueError(f"cannot infer the format of {path.name!r}: use one of {known}")
    elif fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return _read_jsonl(path) if fmt == "jsonl" else _read_csv(path)


# --- JSONL -----------------------------------------------------------------------

_ID_KEYS = ("externalId", "external_id")


def _read_jsonl(path: Path) -> Iterator[ImportItem]:
    # Duplicate keys are refused: the wire shape has one value per field.
    for index, obj in enumerate(json_lines(path, unique_keys=True)):
        yield obj if isinstance(obj, RowError) else _jsonl_record(index, obj)


def _jsonl_record(index: int, obj: Any) -> ImportItem:
    if not isinstance(obj, dict):
        return RowError(index, "", [FieldViolation("line", "is not a JSON object")])
    problem = _normalise_status(obj)
    if problem is not None:
        return RowError(index, guess_id(obj, _ID_KEYS), [problem])
    msg = _fast_ticket(obj)
    if msg is None:  # unusual shape: let json_format parse it and explain problems
        msg = pb.Ticket()
        try:
            json_format.ParseDict(obj, msg)
        except json_format.ParseError as exc:
            return RowError(index, guess_id(obj, _ID_KEYS), [parse_error_violation(str(exc))])
    return from_wire(index, msg)


def _normalise_status(obj: dict[str, Any]) -> FieldViolation | None:
    """Status words the CSV reader accepts ("solved", "Solved") become the enum name,
    so a JSONL and a CSV file of the same tickets read the same."""
    value = obj.get("status")
    if not isinstance(value, str) or value in _STATUS_NAMES:
        return None
    found = values.status(value)
    if type(found) is values.Invalid:
        return FieldViolation("status", found.reason)
    if found is None:
        del obj["status"]
    else:
        obj["status"] = _STATUS_NAME_OF[int(found)]
    return None


_STATUS_NAMES = frozenset(pb.TicketStatus.keys())
_STATUS_NAME_OF = {number: name for name, number in pb.TicketStatus.items()}


# json_format.ParseDict costs ~0.4 ms a ticket; the common shape is built directly.
_SNAKE = {name: name for name in pb.Ticket.DESCRIPTOR.fields_by_name} | {
    f.json_name: f.name for f in pb.Ticket.DESCRIPTOR.fields
}
_MESSAGE_SNAKE = {name: name for name in pb.Message.DESCRIPTOR.fields_by_name} | {
    f.json_name: f.name for f in pb.Message.DESCRIPTOR.fields
}
_TICKET_TIMES = frozenset(_TIME_COLUMNS)
_TEXT = frozenset(
    ("tenant_id", "external_id", "channel", "subject", "description", "customer_id", "language")
)


class _Unusual(Exception):
    """The record needs the full json_format parser."""


def _timestamp(value: Any) -> Timestamp:
    """RFC 3339 via the C `fromisoformat` (Timestamp.FromJsonString uses strptime)."""
    if not isinstance(value, str) or len(value) < 20 or value[10] != "T":
        raise _Unusual
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Unusual from exc
    if moment.tzinfo is None:
        raise _Unusual  # RFC 3339 needs an offset; let the full parser say so
    # Digits beyond microseconds are dropped, as the service stores microseconds.
    us = to_us(moment)
    return Timestamp(seconds=us // 1_000_000, nanos=us % 1_000_000 * 1000)


_ENUMS = {
    id(enum_type): {name: enum_type.Value(name) for name in enum_type.keys()}  # noqa: SIM118
    for enum_type in (pb.AuthorRole, pb.TicketStatus)
}


def _enum(enum_type: Any, value: Any) -> int:
    number = _ENUMS[id(enum_type)].get(value) if isinstance(value, str) else None
    if number is None:
        raise _Unusual
    return number


def _plain(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise _Unusual
    return value


def _fast_message(obj: Any) -> pb.Message:
    if not isinstance(obj, dict):
        raise _Unusual
    fields: dict[str, Any] = {}
    for key, value in obj.items():
        name = _MESSAGE_SNAKE.get(key)
        if name is None or name in fields:
            raise _Unusual
        if name == "created_at":
            fields[name] = _timestamp(value)
        elif name == "author_role":
            fields[name] = _enum(pb.AuthorRole, value)
        elif name == "public":
            fields[name] = _plain(value, bool)
        else:
            fields[name] = _plain(value, str)
    return pb.Message(**fields)


def _fast_ticket(obj: dict[str, Any]) -> pb.Ticket | None:
    fields: dict[str, Any] = {}
    try:
        for key, value in obj.items():
            name = _SNAKE.get(key)
            if name is None or name in fields:
                raise _Unusual
            if name in _TEXT:
                fields[name] = _plain(value, str)
            elif name in _TICKET_TIMES:
                fields[name] = _timestamp(value)
            elif name == "status":
                fields[name] = _enum(pb.TicketStatus, value)
            elif name in ("reopen_count", "csat"):
                if _plain(value, int) < 0:
                    raise _Unusual
                fields[name] = value
            elif name == "attributes":
                if not isinstance(value, dict) or not all(type(v) is str for v in value.values()):
                    raise _Unusual
                fields[name] = value
            elif name == "tags":
                if not isinstance(value, list) or not all(type(v) is str for v in value):
                    raise _Unusual
                fields[name] = value
            elif name == "messages":
                fields[name] = [_fast_message(m) for m in _plain(value, list)]
            else:
                raise _Unusual
        return pb.Ticket(**fields)
    except (_Unusual, ValueError, TypeError):
        return None


_UNKNOWN_FIELD = re.compile(r'has no field named "([^"]+)" at "([^"]*)"')
# The field path, without trailing dots: one possessive run, then the dots are cut in
# Python (a lazy run before `\.*$` is quadratic on runs of dots).
_AT_PATH = re.compile(r" at [A-Za-z_]\w*+\.([\w\[\].]++)$", re.DOTALL)
_OUTER_FIELD = re.compile(r"^Failed to parse (\w+) field: ")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(path: str) -> str:
    return _CAMEL.sub(r"_\1", path).lower()


def parse_error_violation(message: str, root: str = "line") -> FieldViolation:
    """Turn a protobuf `ParseError` message into a violation on the field it names.

    The parser only reports text, so this digs the path out of it; when no path
    can be found the violation falls back to `root`.
    """
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        name, where = unknown.groups()
        parent = _snake(where.partition(".")[2]) if "." in where else ""
        return FieldViolation(f"{parent}.{name}" if parent else name, f"unknown field {name!r}")
    at = _AT_PATH.search(message)
    outer = _OUTER_FIELD.match(message)
    if at:
        field = _snake(at.group(1).rstrip("."))
        message = message[: at.start()]
    elif outer:
        field = _snake(outer.group(1))
    else:
        field = root
    while (inner := _OUTER_FIELD.match(message)) is not None:
        message = message[inner.end() :]
    return FieldViolation(field, message.rstrip(".") or "could not be parsed")


# --- CSV -------------------------------------------------------------------------


def _check_header(header: list[str]) -> None:
    known = {*_STRING_COLUMNS, *_TIME_COLUMNS, "status", "reopen_count", "csat"}
    known |= {"tags", "messages"}
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ValueError(f"column {name!r} appears twice in the CSV header")
        seen.add(name)
        if name.startswith(ATTRIBUTE_PREFIX):
            if name == ATTRIBUTE_PREFIX:
                raise ValueError("column 'attributes.' has no attribute key")
        elif name not in known:
            raise ValueError(
                f"unknown CSV column {name!r}: use Ticket field names "
                f"({', '.join(sorted(known))}) or attributes.<key>"
            )


def _read_csv(path: Path) -> Iterator[ImportItem]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        _check_header(header)
        index = 0
        for row in reader:
            if not row:  # a blank line
                continue
            yield _csv_record(index, header, row)
            index += 1


def _csv_record(index: int, header: list[str], row: list[str]) -> ImportItem:
    cells = dict(zip(header, row, strict=False))
    if len(row) != len(header):
        violation = FieldViolation("row", f"has {len(row)} cells; the header has {len(header)}")
        return RowError(index, cells.get("external_id", ""), [violation])
    msg = pb.Ticket()
    violations: list[FieldViolation] = []
    for column, cell in cells.items():
        if cell == "":
            continue
        if column.startswith(ATTRIBUTE_PREFIX):
            msg.attributes[column[len(ATTRIBUTE_PREFIX) :]] = cell
            continue
        setter = _CELL_SETTERS.get(column, _set_string)
        problem = setter(msg, column, cell)
        if problem is not None:
            violations.append(problem)
    if violations:
        return RowError(index, msg.external_id, violations)
    return from_wire(index, msg)


CellSetter = Callable[[pb.Ticket, str, str], FieldViolation | None]


def _set_string(msg: pb.Ticket, column: str, cell: str) -> FieldViolation | None:
    setattr(msg, column, cell)
    return None


def _set_time(msg: pb.Ticket, column: str, cell: str) -> FieldViolation | None:
    value = values.timestamp(cell, None, no_zone="RFC 3339 needs one")
    if type(value) is values.Invalid:
        return FieldViolation(column, value.reason)
    if value is not None:
        datetime_to_timestamp(value, getattr(msg, column))
    return None


def _set_status(msg: pb.Ticket, column: str, cell: str) -> FieldViolation | None:
    found = values.status(cell)
    if type(found) is values.Invalid:
        return FieldViolation(column, found.reason)
    if found is not None:
        msg.status = int(found)
    return None


def _set_uint(msg: pb.Ticket, column: str, cell: str) -> FieldViolation | None:
    value = values.count(cell, most=UINT32_MAX)
    if type(value) is values.Invalid:
        return FieldViolation(column, value.reason)
    if value is not None:
        setattr(msg, column, value)
    return None


def _set_tags(msg: pb.Ticket, column: str, cell: str) -> FieldViolation | None:
    # Not values.split_tags: the wire shape keeps a repeated tag, so a file round-trips.
    msg.tags.extend(tag.strip() for tag in cell.split(TAG_SEPARATOR) if tag.strip())
    return None


def _set_messages(msg: pb.Ticket, column: str, cell: str) -> FieldViolation | None:
    try:
        items = decode(cell, unique_keys=True)
    except NotJson as exc:
        return FieldViolation(column, str(exc))
    if not isinstance(items, list):
        return FieldViolation(column, "must be a JSON array of messages")
    try:
        msg.messages.extend([_fast_message(m) for m in items])
        return None
    except (_Unusual, ValueError, TypeError):
        del msg.messages[:]  # unusual shape: the full parser explains the problem
    try:
        json_format.ParseDict({"messages": items}, msg)
    except json_format.ParseError as exc:
        return parse_error_violation(str(exc), root=column)
    return None


_CELL_SETTERS: dict[str, CellSetter] = {
    **dict.fromkeys(_TIME_COLUMNS, _set_time),
    "status": _set_status,
    "reopen_count": _set_uint,
    "csat": _set_uint,
    "tags": _set_tags,
    "messages": _set_messages,
}


def ticket_from_json(raw: bytes) -> ImportItem:
    """One `Ticket` in the protobuf JSON mapping (a webhook body), or a `RowError`."""
    try:
        obj = decode(raw, unique_keys=True)
    except NotJson as exc:
        return RowError(0, "", [FieldViolation("line", str(exc))])
    return _jsonl_record(0, obj)
