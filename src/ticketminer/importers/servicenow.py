"""Import the public ServiceNow incident event log (UCI "Incident management
process enriched event log") as one `Ticket` per incident.

The log has one row per update of an incident; an incident's current state is its
row with the highest `sys_mod_count` (on a tie the later row wins). Only that row
is converted, so timestamps are parsed 24,918 times rather than 141,712.

Columns are read by position: the file's header renames `incident_state` to
`ident_state` and `subcategory` to a second `category`. Timestamps are
`d/m/Y H:M`, naive, and taken as UTC; `?` marks a missing value.

Mapping (`Ticket` field <- column):

- external_id <- number, created_at <- opened_at, updated_at <- sys_updated_at
- channel <- contact_type, lower-cased ("phone", "email", "self service", ...)
- status <- incident_state, by `STATUS_BY_STATE`:

  =====================  ========  =============================================
  incident_state         status    why
  =====================  ========  =============================================
  New                    NEW
  Active                 OPEN      an agent is working on it
  Awaiting User Info     PENDING   waiting on the caller (PENDING's meaning)
  Awaiting Evidence      PENDING   evidence is asked of the caller too
  Awaiting Vendor        ON_HOLD   waiting on a third party
  Awaiting Problem       ON_HOLD   waiting on problem management, internal
  Resolved               SOLVED
  Closed                 CLOSED
  anything else (-100)   UNSPECIFIED
  =====================  ========  =============================================

- solved_at <- resolved_at, reopen_count <- reopen_count, customer_id <- caller_id
- attributes <- category, subcategory, u_symptom (as "symptom"), location, impact,
  urgency, priority, assignment_group, assigned_to, reassignment_count, made_sla,
  knowledge, closed_code, resolved_by, opened_by, cmdb_ci, vendor; a `?` value
  leaves the key out. `first_solved_at` is not set: every row of an incident
  carries the same final `resolved_at`, so the log holds no earlier solve.

Data findings that drive the choices below (this copy of the log, 24,918
incidents): every incident's last row is `Closed`; 1,556 of them have no
`resolved_at`. They are imported as CLOSED without `solved_at`, so they count as
solved but have no resolution time. `closed_at` is not used as a stand-in: it is
the automatic close that follows a resolution by days, and would inflate
resolution times. No incident has `resolved_at` or `sys_updated_at` before
`opened_at` when dates are read day-first (read month-first, many would). As a
guard for other copies, a time before `opened_at` is dropped from the ticket and
kept verbatim as attribute `resolved_at_raw` / `sys_updated_at_raw`: the ticket
is still worth importing for volume and attribute breakdowns, and the service
would reject the whole ticket for that one field. A missing `opened_at` is left
as None so that the service rejects the ticket ("created_at is required") rather
than the importer dropping it silently. A malformed timestamp or a row of the
wrong width raises `ValueError`: that means a different file, not a bad row.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ticketminer.domain.model import Ticket, TicketStatus

DEFAULT_TENANT = "servicenow"
CSV_NAME = "incident_event_log.csv"
ZIP_NAME = "incident_event_log.zip"
MISSING = "?"

# Column positions (0-based) in incident_event_log.csv.
NUMBER = 0
INCIDENT_STATE = 1
REASSIGNMENT_COUNT = 3
REOPEN_COUNT = 4
SYS_MOD_COUNT = 5
MADE_SLA = 6
CALLER_ID = 7
OPENED_BY = 8
OPENED_AT = 9
SYS_UPDATED_AT = 13
CONTACT_TYPE = 14
LOCATION = 15
CATEGORY = 16
SUBCATEGORY = 17
U_SYMPTOM = 18
CMDB_CI = 19
IMPACT = 20
URGENCY = 21
PRIORITY = 22
ASSIGNMENT_GROUP = 23
ASSIGNED_TO = 24
KNOWLEDGE = 25
VENDOR = 30
CLOSED_CODE = 32
RESOLVED_BY = 33
RESOLVED_AT = 34
N_COLUMNS = 36

ATTRIBUTE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("category", CATEGORY),
    ("subcategory", SUBCATEGORY),
    ("symptom", U_SYMPTOM),
    ("location", LOCATION),
    ("impact", IMPACT),
    ("urgency", URGENCY),
    ("priority", PRIORITY),
    ("assignment_group", ASSIGNMENT_GROUP),
    ("assigned_to", ASSIGNED_TO),
    ("reassignment_count", REASSIGNMENT_COUNT),
    ("made_sla", MADE_SLA),
    ("knowledge", KNOWLEDGE),
    ("closed_code", CLOSED_CODE),
    ("resolved_by", RESOLVED_BY),
    ("opened_by", OPENED_BY),
    ("cmdb_ci", CMDB_CI),
    ("vendor", VENDOR),
)

STATUS_BY_STATE: dict[str, TicketStatus] = {
    "New": TicketStatus.NEW,
    "Active": TicketStatus.OPEN,
    "Awaiting User Info": TicketStatus.PENDING,
    "Awaiting Evidence": TicketStatus.PENDING,
    "Awaiting Vendor": TicketStatus.ON_HOLD,
    "Awaiting Problem": TicketStatus.ON_HOLD,
    "Resolved": TicketStatus.SOLVED,
    "Closed": TicketStatus.CLOSED,
}


def read_servicenow(path: str | Path, tenant_id: str = DEFAULT_TENANT) -> Iterator[Ticket]:
    """Yield one `Ticket` per incident, in order of first appearance.

    `path` is the zip, the extracted CSV, or a folder holding either; the zip is
    read in place so the (licensed, 27 MB) CSV never lands on disk.
    """
    source = _locate(Path(path))
    if source.suffix.lower() == ".zip":
        with zipfile.ZipFile(source) as archive:
            member = _csv_member(archive, source)
            with archive.open(member) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                latest = _latest_rows(csv.reader(text), f"{source}!{member}")
    else:
        with source.open(encoding="utf-8-sig", newline="") as f:
            latest = _latest_rows(csv.reader(f), str(source))
    for line, row in latest.values():
        yield _ticket(row, tenant_id, line)


def _locate(path: Path) -> Path:
    if not path.is_dir():
        if not path.exists():
            raise FileNotFoundError(f"no ServiceNow incident log at {path}")
        return path
    for candidate in (
        path / CSV_NAME,
        path / CSV_NAME.removesuffix(".csv") / CSV_NAME,
        path / ZIP_NAME,
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"neither {CSV_NAME} nor {ZIP_NAME} in {path}")


def _csv_member(archive: zipfile.ZipFile, source: Path) -> str:
    members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
    if len(members) != 1:
        raise ValueError(f"{source}: expected one CSV member, found {members}")
    return members[0]


def _latest_rows(rows: Iterable[list[str]], where: str) -> dict[str, tuple[int, list[str]]]:
    """Keep, per incident number, (line number, row) of the highest sys_mod_count."""
    it = iter(rows)
    header = next(it, None)
    if header is None or len(header) != N_COLUMNS or header[NUMBER] != "number":
        raise ValueError(f"{where}: not a ServiceNow incident_event_log header: {header}")
    latest: dict[str, tuple[int, list[str]]] = {}
    mods: dict[str, int] = {}
    for line, row in enumerate(it, start=2):
        if len(row) != N_COLUMNS:
            if not row:
                continue
            raise ValueError(f"{where}: line {line} has {len(row)} columns, not {N_COLUMNS}")
        number = row[NUMBER]
        try:
            mod = int(row[SYS_MOD_COUNT])
        except ValueError:
            raise ValueError(
                f"{where}: line {line}: sys_mod_count {row[SYS_MOD_COUNT]!r} is not an integer"
            ) from None
        if mod >= mods.get(number, -1):
            mods[number] = mod
            latest[number] = (line, row)
    return latest


def parse_time(value: str) -> datetime | None:
    """Parse `d/m/Y H:M` as UTC; `?` (or empty) is None. Hand-split because
    `strptime` is several times slower and this runs ~100k times per import."""
    if value == MISSING or not value:
        return None
    date, _, clock = value.partition(" ")
    day, month, year = date.split("/")
    hour, minute = clock.split(":")
    return datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=UTC)


def _time(row: list[str], column: int, line: int) -> datetime | None:
    try:
        return parse_time(row[column])
    except ValueError:
        raise ValueError(
            f"line {line}, column {column}: {row[column]!r} is not a d/m/Y H:M time"
        ) from None


def _ticket(row: list[str], tenant_id: str, line: int) -> Ticket:
    attributes = {key: row[col] for key, col in ATTRIBUTE_COLUMNS if row[col] != MISSING}
    created = _time(row, OPENED_AT, line)
    updated = _time(row, SYS_UPDATED_AT, line)
    solved = _time(row, RESOLVED_AT, line)
    if created is not None:
        if updated is not None and updated < created:
            attributes["sys_updated_at_raw"] = row[SYS_UPDATED_AT]
            updated = None
        if solved is not None and solved < created:
            attributes["resolved_at_raw"] = row[RESOLVED_AT]
            solved = None
    try:
        reopen = 0 if row[REOPEN_COUNT] == MISSING else int(row[REOPEN_COUNT])
    except ValueError:
        raise ValueError(
            f"line {line}: reopen_count {row[REOPEN_COUNT]!r} is not an integer"
        ) from None
    return Ticket(
        tenant_id=tenant_id,
        external_id=row[NUMBER],
        created_at=created,  # type: ignore[arg-type]  # None: the service rejects it
        updated_at=updated,
        channel="" if row[CONTACT_TYPE] == MISSING else row[CONTACT_TYPE].lower(),
        status=STATUS_BY_STATE.get(row[INCIDENT_STATE], TicketStatus.UNSPECIFIED),
        solved_at=solved,
        reopen_count=reopen,
        customer_id="" if row[CALLER_ID] == MISSING else row[CALLER_ID],
        attributes=attributes,
    )
