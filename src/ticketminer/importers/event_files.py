"""The loop shared by the helpdesk JSON export readers (Zammad, Chatwoot): each
record becomes a `TicketEvent` through the same mapping the webhooks use, then a
`Ticket`; a record that cannot be mapped is a `RowError`, never fatal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ticketminer.domain.errors import InvalidArgument
from ticketminer.domain.ticket_events import TicketEvent, apply_event
from ticketminer.importers.records import ImportItem, RowError


def load_json_file(path: str | Path) -> Any:
    """The whole file as JSON; ValueError (naming the file) if it is not JSON."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return json.loads(f.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: not a JSON file: {exc}") from exc


def _guess_id(record: Any, keys: tuple[str, ...]) -> str:
    if isinstance(record, dict):
        for key in keys:
            value = record.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    return ""


def tickets_of(
    records: Iterable[Any],
    event_of: Callable[[Any, str], TicketEvent],
    tenant_id: str,
    id_keys: tuple[str, ...] = ("id",),
) -> Iterator[ImportItem]:
    """One `Ticket` (or `RowError`) per record; `event_of(record, field)` maps a
    record, naming fields under `field` (e.g. "tickets[3]")."""
    for index, record in enumerate(records):
        try:
            event = event_of(record, f"[{index}]")
        except InvalidArgument as exc:
            yield RowError(index, _guess_id(record, id_keys), exc.violations)
            continue
        yield apply_event(None, event, tenant_id)
