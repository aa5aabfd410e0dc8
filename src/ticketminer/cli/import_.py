"""`ticketminer import`: load tickets from a CSV or JSONL file in the Ticket shape, or
from the ServiceNow incident log, into the database, and summarise what happened."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_settings

if TYPE_CHECKING:
    from ticketminer.domain.ingest import BulkIngestReport, BulkItem
    from ticketminer.importers.records import ImportItem

FORMATS = ("auto", "csv", "jsonl", "servicenow")
SHOWN_ERRORS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV or JSONL in the Ticket shape, or the ServiceNow log")
    parser.add_argument("--format", choices=FORMATS, default="auto")
    parser.add_argument("--tenant", default="", help="tenant for formats that carry none")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_settings(parser, only=("db_url", "max_text_bytes", "log_level"))


def _read(path: str, fmt: str, tenant: str) -> Iterator[ImportItem]:
    if fmt == "servicenow":
        from ticketminer.importers.servicenow import read_servicenow

        return iter(read_servicenow(path, tenant_id=tenant or "servicenow"))
    from ticketminer.importers.ticket_files import read_ticket_file

    return read_ticket_file(path, None if fmt == "auto" else fmt)


def _bulk(items: Iterable[ImportItem], tenant: str) -> Iterator[BulkItem]:
    from ticketminer.domain.model import DEFAULT_TENANT, Ticket

    for item in items:
        if isinstance(item, Ticket) and tenant and item.tenant_id == DEFAULT_TENANT:
            item.tenant_id = tenant
        yield item


def print_summary(report: BulkIngestReport, seconds: float, out=None) -> None:
    out = out or sys.stdout
    total = report.accepted + report.rejected
    rate = total / seconds if seconds > 0 else 0.0
    print(
        f"read {total} tickets in {seconds:.1f} s ({rate:,.0f}/s): created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}, stale {report.stale}, "
        f"rejected {report.rejected}",
        file=out,
    )
    for err in report.errors[:SHOWN_ERRORS]:
        problems = "; ".join(f"{v.field}: {v.description}" for v in err.violations)
        print(f"  rejected row {err.index} ({err.external_id or 'no id'}): {problems}", file=out)
    if report.rejected > SHOWN_ERRORS:
        print(f"  ... and {report.rejected - SHOWN_ERRORS} more rejected rows", file=out)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    # The whole app loads only for the commands that open the database.
    from tqdm import tqdm

    from ticketminer.app import App

    app = App.open(settings)
    started = time.perf_counter()
    try:
        items = _read(args.file, args.format, args.tenant)
        items = tqdm(items, unit=" tickets", disable=args.no_progress, mininterval=0.5)
        report = app.tickets.ingest_bulk(_bulk(items, args.tenant))
    finally:
        app.close()
    print_summary(report, time.perf_counter() - started)
    return 0 if report.accepted or not report.rejected else 1
