"""Value conversions the helpdesk API importers (Zendesk, Freshdesk) share.

Times, numbers and ids arrive as loosely typed JSON; each helper returns None for a
value that is absent or unusable, so a mapper sets only what the vendor stated.
These overlap the CSV exports' value mapping (`importers/values.py`) and should
fold into it once both exist.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer.api.convert import datetime_to_timestamp, ticket_from_proto
from ticketminer.domain.errors import FieldViolation
from ticketminer.importers.records import ImportItem, RowError
from ticketminer.v1 import ticketminer_pb2 as pb


def zone(tz: str | tzinfo | None) -> tzinfo:
    """The zone naive timestamps are read in (UTC when None); a bad name is a usage error."""
    if isinstance(tz, tzinfo):
        return tz
    if not tz:
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {tz!r}: use an IANA name such as Europe/Berlin"
        raise ValueError(message) from None


def parse_time(value: Any, tz: tzinfo) -> datetime | None:
    """ISO 8601 (`2024-05-01T10:00:00Z`); a naive time is in `tz`. None when absent.

    Raises ValueError for a present value that is not a time, so the record is
    reported rather than imported without it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"is not a timestamp: {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"is not an ISO 8601 timestamp: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def set_time(
    out: Timestamp, value: Any, tz: tzinfo, field: str, problems: list[FieldViolation]
) -> datetime | None:
    """Parse `value` into `out`; a bad value becomes a violation on `field`."""
    try:
        moment = parse_time(value, tz)
    except ValueError as exc:
        problems.append(FieldViolation(field, str(exc)))
        return None
    if moment is not None:
        datetime_to_timestamp(moment, out)
    return moment


def count(value: Any) -> int | None:
    """A non-negative integer count, or None (JSON booleans are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


def ident(value: Any) -> str:
    """An id as text ("" when absent); ids are numbers in both APIs."""
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value)


def tags(value: Any) -> list[str]:
    """The non-empty strings of a JSON array of tags (anything else holds none)."""
    return [t for t in value if isinstance(t, str) and t] if isinstance(value, list) else []


def attribute_text(value: Any) -> str | None:
    """A custom field's value as an attribute string; None leaves the key out."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(str(v) for v in value if v is not None)
    if isinstance(value, dict):
        return None  # nested objects are not attributes
    return str(value)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """End minus start in seconds; None when either is missing or end is earlier."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def finish(index: int, msg: pb.Ticket, problems: list[FieldViolation]) -> ImportItem:
    """The domain ticket through the shared wire checks, or every problem met."""
    ticket, violations = ticket_from_proto(msg)
    problems = problems + violations
    if problems:  # the ticket then holds placeholders and must not be used
        return RowError(index, msg.external_id, problems)
    return ticket


# --- saved API responses ------------------------------------------------------------


def json_records(path: Path, key: str) -> tuple[dict[str, Any], Iterator[Any]]:
    """(envelope, records) of a saved API response: one JSON object with a `key`
    array (the envelope then holds the sideloads), a JSON array, one record object,
    or JSONL with one record per line (streamed; a bad line is a `RowError`).

    The file is JSONL when its first line alone is a whole record (an object with an
    `id`); anything else that is not one JSON document raises ValueError naming the
    file."""
    if _first_line_is_record(path, key):
        return {}, _jsonl(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path.name}: not a JSON document or JSONL: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data, iter(data[key])
    if isinstance(data, list):
        return {}, iter(data)
    if isinstance(data, dict) and "id" in data:
        return {}, iter([data])
    raise ValueError(f"{path.name}: expected a JSON object with a {key!r} array, or an array")


def _first_line_is_record(path: Path, key: str) -> bool:
    with path.open("rb") as f:
        for raw in f:
            if raw.strip():
                try:
                    first = json.loads(raw.decode("utf-8-sig"))
                except (UnicodeDecodeError, ValueError):
                    return False
                return isinstance(first, dict) and key not in first and "id" in first
    return False


def _jsonl(path: Path) -> Iterator[Any]:
    # Lines are decoded one at a time: a bad line costs one record, not the file.
    with path.open("rb") as f:
        index = 0
        for raw in f:
            if not raw.strip():
                continue
            try:
                yield json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError) as exc:
                yield RowError(index, "", [FieldViolation("line", f"is not valid JSON: {exc}")])
            index += 1
