"""Reading JSON and JSONL record files (and webhook bodies) into records, and the one
loop that turns records into importer items.

Every JSON reader shares these rules: UTF-8 with or without a BOM; a JSONL line is
decoded on its own, so a bad line costs one record (a `RowError` on `line`), not the
file; blank lines are no records; a file that is no JSON at all is one ValueError
naming the file (the CLI prints it and exits 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.ticket_events import TicketEvent, apply_event
from ticketminer.importers.records import ImportItem, RowError


class NotJson(ValueError):
    """Bytes that are not UTF-8 JSON; the message reads after a field name."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def decode(raw: bytes | str, unique_keys: bool = False) -> Any:
    """The JSON value of `raw` (UTF-8 bytes, or text); NotJson ("is not valid UTF-8:
    ...", "is not valid JSON: ...") otherwise, nesting too deep for the parser
    included. `unique_keys` refuses an object that names a key twice (the wire shape,
    where the second value would silently win)."""
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotJson(f"is not valid UTF-8: {exc}") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys if unique_keys else None)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError or a duplicate key
        raise NotJson(f"is not valid JSON: {exc}") from None


def load_json_file(path: str | Path) -> Any:
    """The whole file as one JSON value; ValueError naming the file otherwise."""
    path = Path(path)
    try:
        return decode(path.read_bytes())
    except NotJson as exc:
        raise ValueError(f"{path}: not a JSON file: {exc}") from None


def json_lines(path: str | Path, unique_keys: bool = False) -> Iterator[Any]:
    """The record of each non-blank line of a JSONL file, or a `RowError` on `line`
    for a line that is not JSON; a record's index counts non-blank lines."""
    with Path(path).open("rb") as f:
        index = 0
        for raw in f:
            if not raw.strip():
                continue
            try:
                yield decode(raw, unique_keys)
            except NotJson as exc:
                yield RowError(index, "", [FieldViolation("line", str(exc))])
            index += 1


def json_records(
    path: str | Path, key: str, id_keys: tuple[str, ...] = ("id",), what: str = "records"
) -> tuple[dict[str, Any], Iterator[Any]]:
    """(envelope, records) of a saved API answer: one JSON object with a `key` array
    (the envelope then holds the sideloads), a JSON array, one record object, or JSONL
    with one record per line (streamed).

    The file is JSONL when its first line alone is a whole record (an object with one
    of `id_keys`); anything else that is not one JSON document raises ValueError
    naming the file."""
    path = Path(path)
    first, whole = _first_line(path)
    if isinstance(first, dict) and key not in first and any(k in first for k in id_keys):
        return {}, json_lines(path)
    data = first if whole else load_json_file(path)  # a one-line file is parsed once
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data, iter(data[key])
    if isinstance(data, list):
        return {}, iter(data)
    if isinstance(data, dict) and any(k in data for k in id_keys):
        return {}, iter([data])
    raise ValueError(
        f"{path}: expected a JSON object with a {key!r} array, an array of {what}, "
        "or JSONL with one record a line"
    )


def _first_line(path: Path) -> tuple[Any, bool]:
    """The first non-blank line's JSON value (None when it is no JSON), and whether
    that line is the whole file."""
    with path.open("rb") as f:
        for raw in f:
            if raw.strip():
                try:
                    first = decode(raw)
                except NotJson:
                    return None, False
                return first, not any(rest.strip() for rest in f)
    return None, False


def guess_id(record: Any, keys: tuple[str, ...]) -> str:
    """The record's id for the error line of a record that could not be read."""
    if isinstance(record, dict):
        for key in keys:
            value = record.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    return ""


def map_records(
    records: Iterable[Any], convert: Callable[[Any, int], ImportItem]
) -> Iterator[ImportItem]:
    """`convert(record, index)` for each record; a `RowError` (a JSONL line that was no
    JSON) passes through."""
    for index, record in enumerate(records):
        yield record if isinstance(record, RowError) else convert(record, index)


def event_items(
    records: Iterable[Any],
    event_of: Callable[[Any, str], TicketEvent],
    tenant_id: str,
    id_keys: tuple[str, ...] = ("id",),
) -> Iterator[ImportItem]:
    """One `Ticket` (or `RowError`) per record through the webhooks' mapping:
    `event_of(record, field)` maps a record, naming fields under `field` ("[3]")."""

    def convert(record: Any, index: int) -> ImportItem:
        try:
            event = event_of(record, f"[{index}]")
        except InvalidArgument as exc:
            return RowError(index, guess_id(record, id_keys), exc.violations)
        return apply_event(None, event, tenant_id)

    return map_records(records, convert)
