"""`ticketminer sync zendesk|freshdesk`: pull the tickets that changed since the last
sync from the helpdesk's API into the database.

Credentials come from the environment only:

  Zendesk    ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN
             (ZENDESK_BASE_URL instead of the subdomain, for a proxy)
  Freshdesk  FRESHDESK_DOMAIN, FRESHDESK_API_KEY
             (FRESHDESK_BASE_URL instead of the domain)

The cursor is stored per tenant after each page, so a sync that is killed goes on
where it stopped when run again. `--every SECONDS` polls until SIGTERM or Ctrl-C,
which end it after the page in hand is stored.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_settings

if TYPE_CHECKING:
    from ticketminer.services.helpdesk_sync import HelpdeskSync, SyncReport
    from ticketminer.sync.base import HelpdeskSource

PROG = "ticketminer sync"
SOURCES = ("zendesk", "freshdesk")
SHOWN_ERRORS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("source", choices=SOURCES, help="the helpdesk to pull from")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="sync once and exit (the default)")
    when.add_argument(
        "--every", type=float, metavar="SECONDS", help="sync, then again every SECONDS"
    )
    parser.add_argument("--tenant", default="default", help="tenant to store the tickets in")
    parser.add_argument(
        "--since",
        metavar="DATE",
        help="first sync only: tickets changed on or after this ISO date (default: all)",
    )
    parser.add_argument(
        "--no-threads",
        action="store_true",
        help="skip the per-ticket comments/conversations requests (metrics then come from "
        "Zendesk's metric sets, or Freshdesk's stats)",
    )
    add_settings(parser, only=("db_url", "max_text_bytes", "log_level"))


def _fail(message: str, code: int = 2) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return code


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)  # ValueError names the text
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _source(args: argparse.Namespace, stop: threading.Event) -> HelpdeskSource:
    since = _since(args.since)
    if args.source == "zendesk":
        from ticketminer.sync import zendesk

        start = int(since.timestamp()) if since is not None else 0
        client = zendesk.client_from_env(os.environ, stop)
        return zendesk.ZendeskSource(client, start_time=start, comments=not args.no_threads)
    from ticketminer.sync import freshdesk

    client = freshdesk.client_from_env(os.environ, stop)
    return freshdesk.FreshdeskSource(client, since=since, conversations=not args.no_threads)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, so the loop ends between pages."""
    stop = threading.Event()
    previous = {}

    def handle(signum: int, _frame: object) -> None:
        if stop.is_set():  # asked twice: do not wait for the request in hand
            raise KeyboardInterrupt
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handle)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_sync(args: argparse.Namespace, settings: Settings, out=None) -> int:
    from ticketminer.sync.base import MissingCredentials

    out = out or sys.stdout
    if args.every is not None and args.every <= 0:
        return _fail("--every needs a number of seconds above 0")
    with _stop_on_signals() as stop:
        try:  # before the database is opened: a missing credential or a bad date
            source = _source(args, stop)
        except MissingCredentials as exc:
            return _fail(f"{args.source}: {exc}")
        except ValueError as exc:
            return _fail(f"--since: {exc}")
        from ticketminer.app import App
        from ticketminer.services.helpdesk_sync import HelpdeskSync

        app = App.open(settings)
        try:
            sync = HelpdeskSync(app.engine, app.tickets.ingest_bulk)
            return _loop(sync, source, args, stop, out)
        except KeyboardInterrupt:  # safe anywhere: the cursor never runs ahead of the tickets
            return _fail("interrupted; run it again to go on", 130)
        finally:
            app.close()


def _loop(
    sync: HelpdeskSync,
    source: HelpdeskSource,
    args: argparse.Namespace,
    stop: threading.Event,
    out,
) -> int:
    from ticketminer.services.helpdesk_sync import SyncBusy
    from ticketminer.sync.http import Stopped, SyncError

    while True:
        started = time.perf_counter()
        try:
            report = sync.run_once(source, args.tenant, stop)
        except Stopped:
            return 0
        except SyncBusy as exc:
            return _fail(str(exc), 1)
        except SyncError as exc:
            if args.every is None or exc.fatal:
                return _fail(f"{args.source}: {exc}", 1)
            print(f"{PROG}: {args.source}: {exc}; trying again in {args.every:g} s", file=out)
        else:
            print_report(args.source, args.tenant, report, time.perf_counter() - started, out)
        if args.every is None or stop.wait(args.every):
            return 0


def print_report(source: str, tenant: str, report: SyncReport, seconds: float, out) -> None:
    stored = report.stored
    total = stored.accepted + stored.rejected
    print(
        f"{source} -> tenant {tenant!r}: {report.pages} pages, {total} tickets in "
        f"{seconds:.1f} s: created {stored.created}, updated {stored.updated}, "
        f"unchanged {stored.unchanged}, stale {stored.stale}, rejected {stored.rejected}",
        file=out,
    )
    for err in stored.errors[:SHOWN_ERRORS]:
        problems = "; ".join(f"{v.field}: {v.description}" for v in err.violations)
        print(f"  rejected ticket {err.external_id or 'without id'}: {problems}", file=out)
    if stored.rejected > SHOWN_ERRORS:
        print(f"  ... and {stored.rejected - SHOWN_ERRORS} more rejected tickets", file=out)
    out.flush()
