"""Read a helpdesk's CSV export through a column map: vendor column -> Ticket target.

A vendor module (zendesk_csv, freshdesk_csv) only declares a `CsvLayout`: its
documented columns and the target each one fills. This module owns the targets,
the per-cell conversion (importers.values) and the few derived fields, so a new
export format is a table, and `--field-map` can add or override entries.

Targets:

- Ticket fields: external_id, subject, description, channel (lower-cased),
  customer_id, language, created_at, updated_at, solved_at, first_solved_at,
  customer_since, status, csat, reopen_count, tags
- `attributes.<key>`: a string attribute (priority, group, a custom field, ...)
- reported facts, for exports without the thread: `reported.public_agent_replies`;
  `reported.first_response_minutes` / `_hours` (HH:MM:SS or decimal) / `_seconds`
- derived: `first_response_at` (first response = it - created_at), `closed_at`
  (solved_at when no solve time is given), `first_resolution_minutes` (first_solved_at
  = created_at + it), `full_resolution_minutes` (solved_at when none is given)
- `-`: ignore the column

When several columns fill one target, the first non-empty one in map order wins
(Zendesk's "Requester id" before "Requester email"); `--field-map` entries come first.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.model import DEFAULT_TENANT, ReportedFacts, Ticket, TicketStatus
from ticketminer.importers import values
from ticketminer.importers.records import ImportItem, RowError
from ticketminer.importers.values import Invalid

ATTRIBUTE_PREFIX = "attributes."
IGNORE = "-"

_TEXT_TARGETS = ("external_id", "subject", "description", "customer_id", "language")
_TIME_TARGETS = (
    "created_at",
    "updated_at",
    "solved_at",
    "first_solved_at",
    "customer_since",
    "closed_at",
    "first_response_at",
)
# target -> the slot it fills: several units of one fact share a slot, so the
# first non-empty column in map order wins whatever its unit.
_SLOTS = {
    "reported.first_response_minutes": "first_response_seconds",
    "reported.first_response_hours": "first_response_seconds",
    "reported.first_response_seconds": "first_response_seconds",
}
TARGETS = (
    *_TEXT_TARGETS,
    "channel",
    *_TIME_TARGETS,
    "status",
    "csat",
    "reopen_count",
    "tags",
    "reported.public_agent_replies",
    *_SLOTS,
    "first_resolution_minutes",
    "full_resolution_minutes",
)

Mapper = Callable[[str], Any]


class HeaderError(ValueError):
    """The file is not the export it claims to be, or a field map is wrong: one line
    for the user, and exit status 2."""


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """A vendor's CSV export: its documented columns and where each one goes."""

    name: str
    columns: Mapping[str, str]
    # Lower-case column names that together say "this file is that export".
    signature: tuple[str, ...] = ()
    tag_separators: str = ","
    # Column -> attribute key for the vendor's custom-field naming, else None.
    custom_field: Callable[[str], str | None] = lambda _column: None
    notes: tuple[str, ...] = ()

    def column_for(self, target: str) -> str:
        return next((c for c, t in self.columns.items() if t == target), target)


@dataclass(frozen=True, slots=True)
class _Step:
    column: str
    index: int
    slot: str
    mapper: Mapper


@dataclass(slots=True)
class ColumnPlan:
    """What each header column becomes; `dry_run` prints it."""

    layout: CsvLayout
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (column, target)
    ignored: list[str] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    width: int = 0

    def column_for(self, target: str) -> str:
        """The header column that fills `target`, for messages about it."""
        found = next((c for c, t in self.mapped if t == target), None)
        return found or self.layout.column_for(target)


def _text(cell: str) -> str | None:
    return cell.strip() or None


def _lower(cell: str) -> str | None:
    return cell.strip().lower() or None


def _tags(separators: str, cell: str) -> list[str] | None:
    return values.split_tags(cell, separators) or None


def _mapper(target: str, layout: CsvLayout, zone: tzinfo | None) -> Mapper:
    if target in _TEXT_TARGETS or target.startswith(ATTRIBUTE_PREFIX):
        return _text
    if target in _TIME_TARGETS:
        return partial(values.timestamp, zone=zone)
    simple: dict[str, Mapper] = {
        "channel": _lower,
        "status": values.status,
        "csat": values.csat,
        "reopen_count": values.count,
        "reported.public_agent_replies": values.count,
        "reported.first_response_minutes": values.minutes,
        "reported.first_response_hours": values.hours,
        "reported.first_response_seconds": values.seconds,
        "first_resolution_minutes": values.minutes,
        "full_resolution_minutes": values.minutes,
        "tags": partial(_tags, layout.tag_separators),
    }
    return simple[target]


def check_target(target: str) -> str:
    """The target, or HeaderError naming the ones a field map may use."""
    target = target.strip()
    if target == IGNORE or target in TARGETS:
        return target
    if target.startswith(ATTRIBUTE_PREFIX) and target[len(ATTRIBUTE_PREFIX) :].strip():
        return ATTRIBUTE_PREFIX + target[len(ATTRIBUTE_PREFIX) :].strip()
    raise HeaderError(
        f"unknown field-map target {target!r}: use attributes.<key>, '-' (ignore) "
        f"or one of {', '.join(TARGETS)}"
    )


def plan_columns(
    header: list[str],
    layout: CsvLayout,
    zone: tzinfo | None,
    field_map: Mapping[str, str] | None = None,
) -> ColumnPlan:
    """Match the header to the layout; HeaderError when the id or creation time
    has no column (the file is then some other export)."""
    # Header names match in any case: Freshdesk has written both "Created time"
    # and "Created Time" over the years.
    wanted: dict[str, tuple[str, str]] = {}  # folded name -> (name, target)
    for column, target in [*(field_map or {}).items(), *layout.columns.items()]:
        wanted.setdefault(column.strip().casefold(), (column, target))
    position: dict[str, tuple[int, str]] = {}  # folded name -> (index, header name)
    plan = ColumnPlan(layout=layout, width=len(header))
    for i, name in enumerate(header):
        column = name.strip()
        folded = column.casefold()
        if folded in position:
            plan.ignored.append(f"{column} (a second column of that name)")
            continue
        position[folded] = (i, column)
        if folded not in wanted:
            key = layout.custom_field(column)
            if key is not None:
                wanted[folded] = (column, ATTRIBUTE_PREFIX + key)
            else:
                plan.ignored.append(column)
    for folded, (_, target) in wanted.items():
        if folded not in position:
            continue
        index, column = position[folded]
        if target == IGNORE:
            plan.ignored.append(column)
            continue
        plan.mapped.append((column, target))
        slot = _SLOTS.get(target, target)
        plan.steps.append(_Step(column, index, slot, _mapper(target, layout, zone)))
    targets = {target for _, target in plan.mapped}
    for required in ("external_id", "created_at"):
        if required not in targets:
            raise HeaderError(
                f"the header has no {layout.column_for(required)!r} column (for {required}): "
                f"is this a {layout.name} export? Columns: {', '.join(header[:12])}"
                + (" ..." if len(header) > 12 else "")
            )
    return plan


def read_export(
    path: str | Path,
    layout: CsvLayout,
    zone: tzinfo | None,
    field_map: Mapping[str, str] | None = None,
    tenant_id: str = DEFAULT_TENANT,
) -> Iterator[ImportItem]:
    """Yield a Ticket or a RowError per data row. The header is checked before the
    first row is yielded, so a wrong file fails once, not once per row."""
    plan = read_plan(path, layout, zone, field_map)
    return _rows(Path(path), plan, tenant_id)


def export_reader(layout: CsvLayout) -> Callable[..., Iterator[ImportItem]]:
    """The `read_<vendor>_csv(path, tz, field_map=None, tenant_id=...)` of a layout,
    the reader the import command's format table names."""

    def read(
        path: str | Path,
        tz: tzinfo | None,
        field_map: Mapping[str, str] | None = None,
        tenant_id: str = DEFAULT_TENANT,
    ) -> Iterator[ImportItem]:
        return read_export(path, layout, tz, field_map, tenant_id)

    read.__doc__ = (
        f"A Ticket or RowError per row; HeaderError when the file is no {layout.name} export."
    )
    return read


def _open(path: Path) -> Any:
    # Bad bytes stay in the text as lone surrogates, so they cost their own row
    # (convert_row checks) rather than the rest of the file.
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def _not_utf8(row: list[str]) -> bool:
    try:
        "".join(row).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_plan(
    path: str | Path,
    layout: CsvLayout,
    zone: tzinfo | None,
    field_map: Mapping[str, str] | None = None,
) -> ColumnPlan:
    with _open(Path(path)) as f:
        return plan_columns(_header(csv.reader(f), layout), layout, zone, field_map)


def _header(reader: Any, layout: CsvLayout) -> list[str]:
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise HeaderError(f"cannot read the CSV header: {exc}") from None
    if not header:
        raise HeaderError(f"the file is empty: a {layout.name} export starts with a header row")
    if _not_utf8(header):
        raise HeaderError("the CSV header is not UTF-8 text: save the export as UTF-8")
    return header


def _rows(path: Path, plan: ColumnPlan, tenant_id: str) -> Iterator[ImportItem]:
    with _open(path) as f:
        reader = csv.reader(f)
        next(reader, None)  # the header, read and checked by read_plan
        index = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The reader cannot resynchronise after a broken quote.
                problem = f"cannot be read, and neither can the rest: {exc}"
                yield RowError(index, "", [FieldViolation("row", problem)])
                return
            if not row:
                continue
            yield convert_row(index, row, plan, tenant_id)
            index += 1


def convert_row(index: int, row: list[str], plan: ColumnPlan, tenant_id: str) -> ImportItem:
    """One data row as a Ticket, or every problem of the row as a RowError."""
    if len(row) != plan.width:
        violation = FieldViolation("row", f"has {len(row)} cells; the header has {plan.width}")
        return RowError(index, _external_id_of(row, plan), [violation])
    if _not_utf8(row):
        violation = FieldViolation("row", "is not valid UTF-8 text")
        return RowError(index, "", [violation])
    got: dict[str, Any] = {}
    source: dict[str, str] = {}
    violations: list[FieldViolation] = []
    for step in plan.steps:
        cell = row[step.index]
        if not cell or step.slot in got:
            continue
        value = step.mapper(cell)
        if value is None:
            continue
        if type(value) is Invalid:
            violations.append(FieldViolation(step.column, value.reason))
            continue
        got[step.slot] = value
        source[step.slot] = step.column
    return _ticket(index, got, source, violations, plan, tenant_id)


def _external_id_of(row: list[str], plan: ColumnPlan) -> str:
    for step in plan.steps:
        if step.slot == "external_id" and step.index < len(row):
            return row[step.index].strip()
    return ""


def _ticket(
    index: int,
    got: dict[str, Any],
    source: dict[str, str],
    violations: list[FieldViolation],
    plan: ColumnPlan,
    tenant_id: str,
) -> ImportItem:
    external_id = got.get("external_id", "")
    created: datetime | None = got.get("created_at")
    unreadable = {v.field for v in violations}
    for slot, value in (("external_id", external_id), ("created_at", created)):
        column = plan.column_for(slot)
        if not value and column not in unreadable:
            violations.append(FieldViolation(column, "is required"))
    first_response = got.get("first_response_seconds")
    answered = got.get("first_response_at")
    if answered is not None and created is not None:
        if answered < created:
            column = source["first_response_at"]
            violations.append(FieldViolation(column, "must not be before the creation time"))
        elif first_response is None:
            first_response = (answered - created).total_seconds()
    if violations:
        return RowError(index, external_id, violations)
    assert created is not None  # for the type checker: checked above
    solved = got.get("solved_at") or got.get("closed_at")
    status = got.get("status")
    if solved is None and "full_resolution_minutes" in got and status and status.is_solved:
        solved = created + timedelta(seconds=got["full_resolution_minutes"])
    first_solved = got.get("first_solved_at")
    if first_solved is None and "first_resolution_minutes" in got:
        first_solved = created + timedelta(seconds=got["first_resolution_minutes"])
        if solved is not None and first_solved > solved:
            first_solved = solved  # whole minutes may pass the exact solve time
    attributes = {
        slot[len(ATTRIBUTE_PREFIX) :]: value
        for slot, value in got.items()
        if slot.startswith(ATTRIBUTE_PREFIX)
    }
    kwargs: dict[str, Any] = {
        name: got[name]
        for name in ("subject", "description", "channel", "customer_id", "language")
        if name in got
    }
    return Ticket(
        external_id=external_id,
        created_at=created,
        tenant_id=tenant_id,
        updated_at=got.get("updated_at"),
        status=status if status is not None else TicketStatus.UNSPECIFIED,
        solved_at=solved,
        first_solved_at=first_solved,
        reopen_count=got.get("reopen_count", 0),
        customer_since=got.get("customer_since"),
        attributes=attributes,
        tags=got.get("tags", []),
        csat=got.get("csat"),
        reported=ReportedFacts(got.get("reported.public_agent_replies"), first_response),
        **kwargs,
    )


def parse_field_map(spec: str) -> dict[str, str]:
    """`Column=target,Column=target`, or a file of `Column=target` lines (# comments).

    Raises HeaderError for an entry without `=` or an unknown target."""
    path = Path(spec)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise HeaderError(f"cannot read the field map {spec}: {exc}") from None
        entries = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    else:
        entries = spec.split(",")
    out: dict[str, str] = {}
    for entry in entries:
        if not entry.strip():
            continue
        column, sep, target = entry.rpartition("=")
        if not sep or not column.strip():
            raise HeaderError(f"field-map entry {entry.strip()!r} is not Column=target")
        out[column.strip()] = check_target(target)
    if not out:
        raise HeaderError("the field map is empty: use Column=target[,Column=target...]")
    return out


def sniff_header(path: str | Path) -> list[str]:
    """The header row, or [] when the file has none that can be read."""
    try:
        with _open(Path(path)) as f:
            return next(csv.reader(f), None) or []
    except (OSError, csv.Error, UnicodeDecodeError):
        return []


def matches(layout: CsvLayout, header: list[str]) -> bool:
    names = {name.strip().casefold() for name in header}
    return bool(layout.signature) and all(name in names for name in layout.signature)
