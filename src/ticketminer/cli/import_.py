"""`ticketminer import`: load tickets from a file into the database, and say what
happened to every row.

Formats are rows of one table (`FORMATS`): a reader `read_X(path, tz)` yielding a
Ticket or a RowError per record (tickets of tenant "default" get --tenant). Adding a
format is one line there, e.g.
`"zendesk-json": Format("ticketminer.importers.zendesk_json:read_zendesk_json", "Zendesk JSON")`;
the readers are imported only when used, because the health probe loads this parser
every 15 s. A reader raises ValueError (or importers.vendor_csv.HeaderError) for a
file it cannot read at all: the command prints that one line and exits 2.

Exit status: 0 when every row was stored, 1 when any row was rejected (the good
rows are stored all the same), 2 for a usage or file error (nothing is stored).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_settings

if TYPE_CHECKING:
    from ticketminer.domain.ingest import BulkIngestReport, BulkItem
    from ticketminer.importers.records import ImportItem

SHOWN_ERRORS = 20
SHOWN_TICKETS = 3


@dataclass(frozen=True, slots=True)
class Format:
    """A file format: where its reader lives ("module:function") and how to count
    its records cheaply for the progress bar."""

    reader: str
    help: str
    records: str = "lines"  # "lines" (one per line), "csv" (lines minus the header), "" (unknown)
    layout: str = ""  # "module:LAYOUT" of a vendor CSV: takes --field-map, shows its column map
    tenant: str = ""  # the tenant of its tickets when --tenant is not given

    def load(self) -> Callable[..., Iterator[ImportItem]]:
        return _attr(self.reader)


_HERE = __name__
FORMATS: dict[str, Format] = {
    "csv": Format(f"{_HERE}:read_wire_csv", "CSV in the Ticket shape", records="csv"),
    "jsonl": Format(f"{_HERE}:read_wire_jsonl", "JSONL, one Ticket per line"),
    "servicenow": Format(
        f"{_HERE}:read_servicenow_log", "ServiceNow incident log", records="", tenant="servicenow"
    ),
    "zendesk-csv": Format(
        "ticketminer.importers.zendesk_csv:read_zendesk_csv",
        "Zendesk CSV export",
        records="csv",
        layout="ticketminer.importers.zendesk_csv:LAYOUT",
    ),
    "freshdesk-csv": Format(
        "ticketminer.importers.freshdesk_csv:read_freshdesk_csv",
        "Freshdesk CSV export",
        records="csv",
        layout="ticketminer.importers.freshdesk_csv:LAYOUT",
    ),
    # Saved API JSON: one page or array of objects, or JSONL; records are not counted.
    "zendesk-json": Format(
        "ticketminer.importers.zendesk_api:read_zendesk_json", "Zendesk API JSON", records=""
    ),
    "freshdesk-json": Format(
        "ticketminer.importers.freshdesk_api:read_freshdesk_json",
        "Freshdesk tickets-and-conversations JSON",
        records="",
    ),
    "zammad-json": Format(
        "ticketminer.importers.zammad:read_zammad_json", "Zammad tickets JSON", records=""
    ),
    "chatwoot-json": Format(
        "ticketminer.importers.chatwoot:read_chatwoot_json",
        "Chatwoot conversations JSON",
        records="",
    ),
}
SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}


def _attr(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def read_wire_csv(path: Path, tz: tzinfo | None) -> Iterator[ImportItem]:
    from ticketminer.importers.ticket_files import read_ticket_file

    return read_ticket_file(path, "csv")


def read_wire_jsonl(path: Path, tz: tzinfo | None) -> Iterator[ImportItem]:
    from ticketminer.importers.ticket_files import read_ticket_file

    return read_ticket_file(path, "jsonl")


def read_servicenow_log(path: Path, tz: tzinfo | None) -> Iterator[ImportItem]:
    from ticketminer.domain.model import DEFAULT_TENANT
    from ticketminer.importers.servicenow import read_servicenow

    return iter(read_servicenow(path, tenant_id=DEFAULT_TENANT))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the file to import")
    names = ", ".join(f"{name} ({fmt.help})" for name, fmt in FORMATS.items())
    parser.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        default="auto",
        help=f"auto (by suffix; a .csv by its header) or one of: {names}",
    )
    parser.add_argument("--tenant", default="", help="tenant for formats that carry none")
    parser.add_argument(
        "--tz",
        default="",
        metavar="ZONE",
        help="IANA zone of times written without a UTC offset (Zendesk and Freshdesk "
        "exports write the account's local time), e.g. Europe/Berlin",
    )
    parser.add_argument(
        "--field-map",
        default="",
        metavar="FILE_OR_SPEC",
        help='extra or changed columns of a vendor CSV: "Order number=attributes.order_id,'
        'Brand=attributes.brand", or a file of Column=target lines',
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the column map, ignored columns, the first tickets as JSON and every "
        "problem; store nothing",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_settings(parser, only=("db_url", "max_text_bytes", "log_level"))


class UsageError(Exception):
    """A problem with the command line or the file as a whole: one line, exit 2."""


def _format_of(path: Path, name: str) -> str:
    if name != "auto":
        return name
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(SUFFIX_FORMATS))
        raise UsageError(f"cannot tell the format of {path.name}: use --format, or one of {known}")
    if fmt == "csv":
        return _vendor_csv(path) or fmt
    return fmt


def _vendor_csv(path: Path) -> str | None:
    """The vendor CSV format whose documented header the file has, if any."""
    from ticketminer.importers.vendor_csv import matches, sniff_header

    header = sniff_header(path)
    for name, fmt in FORMATS.items():
        if fmt.layout and matches(_attr(fmt.layout), header):
            return name
    return None


def _zone(name: str) -> tzinfo | None:
    """The --tz zone; None when not given (vendor CSVs then refuse local times)."""
    from ticketminer.importers import values

    try:
        return values.zone(name, default=None)
    except ValueError as exc:
        raise UsageError(f"--tz: {exc}") from None


def _open(args: argparse.Namespace) -> tuple[str, Iterator[ImportItem], Any]:
    """The format name, its records and (for vendor CSVs) the column plan. Reads the
    header and first record before the database is touched: a wrong file fails here."""
    from ticketminer.importers.vendor_csv import HeaderError, parse_field_map, read_plan

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}" if not path.exists() else f"not a file: {path}")
    name = _format_of(path, args.format)
    fmt = FORMATS[name]
    zone = _zone(args.tz)
    extra: dict[str, Any] = {}
    plan = None
    try:
        if args.field_map:
            if not fmt.layout:
                raise UsageError(f"--field-map applies to vendor CSV formats, not {name}")
            extra["field_map"] = parse_field_map(args.field_map)
        if fmt.layout:
            plan = read_plan(path, _attr(fmt.layout), zone, extra.get("field_map"))
        items = iter(fmt.load()(path, zone, **extra))
        first = next(items, None)
    except (HeaderError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise UsageError(_file_error(exc, name, path)) from None
    if fmt.layout and zone is None and _needs_zone(first):
        raise UsageError(
            f"{path.name} writes times without a UTC offset: pass --tz with the helpdesk "
            "account's time zone (e.g. --tz Europe/Berlin)"
        )
    return name, (items if first is None else chain([first], items)), plan


def _needs_zone(item: ImportItem | None) -> bool:
    from ticketminer.importers.values import NO_OFFSET

    violations = getattr(item, "violations", ())
    return any(NO_OFFSET in v.description for v in violations)


def _file_error(exc: BaseException, name: str, path: Path) -> str:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        message = f"cannot read {path}: {exc.strerror}"
    if name == "csv" and isinstance(exc, ValueError):
        vendor = _vendor_csv(path)
        if vendor:
            message += f" (the header is a {FORMATS[vendor].help}: use --format {vendor})"
    return message


def _with_tenant(items: Iterable[ImportItem], tenant: str) -> Iterator[BulkItem]:
    from ticketminer.domain.model import DEFAULT_TENANT, Ticket

    for item in items:
        if tenant and isinstance(item, Ticket) and item.tenant_id == DEFAULT_TENANT:
            item.tenant_id = tenant
        yield item


def _estimate(path: Path, records: str) -> int | None:
    """Records in the file, counted as lines (a quoted cell may hold line breaks, so
    it is an upper bound): about 10 ms for 20 MB."""
    if not records:
        return None
    lines = 0
    last = b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(lines - (records == "csv"), 0)


def _progress(items: Iterator[ImportItem], total: int | None, hide: bool) -> Iterator[ImportItem]:
    from tqdm import tqdm

    bar = tqdm(items, total=total, unit=" tickets", disable=hide, mininterval=0.5)
    try:
        yield from bar
        if bar.total is not None and bar.n != bar.total:
            bar.total = bar.n  # the line count was an upper bound: finish at 100 %
            bar.refresh()
    finally:
        bar.close()


def print_errors(report: BulkIngestReport, out: TextIO) -> None:
    """`row N: field: reason`, N counting records from 1 (a CSV header is not a row)."""
    lines = 0
    for err in report.errors:
        for violation in err.violations:
            if lines == SHOWN_ERRORS:
                print(f"  ... {report.rejected} rejected rows in all", file=out)
                return
            print(
                f"  row {err.index + 1}: {violation.field or 'row'}: {violation.description}",
                file=out,
            )
            lines += 1


def print_summary(report: BulkIngestReport, seconds: float, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    total = report.accepted + report.rejected
    rate = total / seconds if seconds > 0 else 0.0
    print(
        f"read {total} tickets in {seconds:.1f} s ({rate:,.0f}/s): created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}, stale {report.stale}, "
        f"rejected {report.rejected}",
        file=out,
    )
    print_errors(report, out)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        name, items, plan = _open(args)
    except UsageError as exc:
        print(f"ticketminer import: {exc}", file=sys.stderr)
        return 2
    tenant = args.tenant or FORMATS[name].tenant
    total = _estimate(Path(args.file), FORMATS[name].records)
    if args.dry_run:
        return _dry_run(name, plan, _with_tenant(items, tenant), settings)
    # The whole app loads only for the commands that open the database.
    from ticketminer.app import App

    app = App.open(settings)
    started = time.perf_counter()
    stopped: str | None = None
    report = None
    try:
        stream = _progress(items, total, args.no_progress)
        report = app.tickets.ingest_bulk(_with_tenant(_stop_on_file_error(stream), tenant))
    except _FileBroke as exc:
        stopped = str(exc)
    finally:
        app.close()
    if report is None:
        print(f"ticketminer import: {stopped}; rows read before it may be stored", file=sys.stderr)
        return 2
    print_summary(report, time.perf_counter() - started)
    return 1 if report.rejected else 0


class _FileBroke(Exception):
    """The file could not be read on past some row (a reader raised)."""


def _stop_on_file_error(items: Iterator[ImportItem]) -> Iterator[ImportItem]:
    try:
        yield from items
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise _FileBroke(str(exc) or type(exc).__name__) from None


def _dry_run(name: str, plan: Any, items: Iterator[ImportItem], settings: Settings) -> int:
    """Map and validate every row as the service would; store nothing."""
    from ticketminer.domain.ingest import BulkIngestReport, RejectedItem
    from ticketminer.domain.model import Ticket
    from ticketminer.domain.validation import Limits, validate_ticket

    print(f"format: {name} ({FORMATS[name].help})")
    if plan is not None:
        print("column map:")
        for column, target in plan.mapped:
            print(f"  {column} -> {target}")
        print(f"ignored columns: {', '.join(plan.ignored) or '(none)'}")
    limits = Limits(max_text_bytes=settings.max_text_bytes, max_id_bytes=settings.max_id_bytes)
    report = BulkIngestReport()
    shown: list[Ticket] = []
    try:
        for index, item in enumerate(_stop_on_file_error(items)):
            if isinstance(item, RejectedItem):
                report.reject(item)
                continue
            violations = validate_ticket(item, limits)
            if violations:
                report.reject(RejectedItem(index, item.external_id, violations))
                continue
            report.created += 1
            if len(shown) < SHOWN_TICKETS:
                shown.append(item)
    except _FileBroke as exc:
        print(f"ticketminer import: {exc}", file=sys.stderr)
        return 2
    print(f"first {len(shown)} tickets as they would be stored:")
    for ticket in shown:
        print(_as_json(ticket))
    print(
        f"dry run: {report.created} tickets would be imported, {report.rejected} rejected; "
        "nothing was stored"
    )
    print_errors(report, sys.stdout)
    return 1 if report.rejected else 0


def _as_json(ticket: Any) -> str:
    from google.protobuf import json_format

    from ticketminer.api.convert import ticket_to_proto
    from ticketminer.v1 import ticketminer_pb2 as pb

    msg = pb.Ticket()
    ticket_to_proto(ticket, msg)
    return json_format.MessageToJson(msg, indent=2, ensure_ascii=False)
