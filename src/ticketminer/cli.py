"""Command line: serve, import, synth, demo, digest, health, keys and migrate."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from tqdm import tqdm

from ticketminer import logs
from ticketminer.config import ConfigError, Settings, add_arguments, check_serve, settings_from
from ticketminer.demo import add_arguments as add_demo_arguments
from ticketminer.demo import run_demo
from ticketminer.digest_command import add_arguments as add_digest_arguments
from ticketminer.digest_command import run_digest
from ticketminer.domain.ingest import BulkIngestReport, BulkItem
from ticketminer.domain.model import DEFAULT_TENANT, Ticket
from ticketminer.health_command import add_arguments as add_health_arguments
from ticketminer.health_command import run_health
from ticketminer.importers.records import ImportItem
from ticketminer.keys_command import add_arguments as add_keys_arguments
from ticketminer.keys_command import run_keys
from ticketminer.migrate_command import add_arguments as add_migrate_arguments
from ticketminer.migrate_command import run_migrate
from ticketminer.synth.scenario import DEFAULT_END, PRESETS

FORMATS = ("auto", "csv", "jsonl", "servicenow")
SHOWN_ERRORS = 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketminer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC server")
    add_arguments(serve)
    imp = sub.add_parser("import", help="load tickets from a file into the database")
    imp.add_argument("file", help="CSV or JSONL in the Ticket shape, or the ServiceNow log")
    imp.add_argument("--format", choices=FORMATS, default="auto")
    imp.add_argument("--tenant", default="", help="tenant for formats that carry none")
    imp.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_arguments(imp, only=("db_url", "max_text_bytes", "log_level"))
    demo = sub.add_parser("demo", help="load a synthetic history and print its anomalies")
    add_demo_arguments(demo)
    digest = sub.add_parser("digest", help="write one ISO week's digest (md, html or json)")
    add_digest_arguments(digest)
    keys = sub.add_parser("keys", help="create, list or revoke API keys (--auth keys)")
    add_keys_arguments(keys)
    migrate = sub.add_parser("migrate", help="upgrade the database schema to the newest revision")
    add_migrate_arguments(migrate)
    health = sub.add_parser("health", help="exit 0 if the server reports SERVING")
    add_health_arguments(health)
    synth = sub.add_parser("synth", help="write a synthetic helpdesk history with incidents")
    synth.add_argument("--preset", choices=PRESETS, default="default")
    synth.add_argument("--weeks", type=int, default=8)
    synth.add_argument("--tickets-per-day", type=float, default=300.0)
    synth.add_argument("--seed", type=int, default=1)
    synth.add_argument("--tenant", default=DEFAULT_TENANT)
    synth.add_argument("--tz", default="Asia/Shanghai", help="the helpdesk's local time zone")
    synth.add_argument(
        "--end",
        type=date.fromisoformat,
        default=DEFAULT_END,
        help=f"the local day after the last one generated (default {DEFAULT_END})",
    )
    synth.add_argument("--out", required=True, help="tickets, JSONL in the Ticket shape")
    synth.add_argument("--truth", help="ground truth JSON: incidents and topic labels")
    return parser


def _read(path: str, fmt: str, tenant: str) -> Iterator[ImportItem]:
    if fmt == "servicenow":
        from ticketminer.importers.servicenow import read_servicenow

        return iter(read_servicenow(path, tenant_id=tenant or "servicenow"))
    from ticketminer.importers.ticket_files import read_ticket_file

    return read_ticket_file(path, None if fmt == "auto" else fmt)


def _bulk(items: Iterable[ImportItem], tenant: str) -> Iterator[BulkItem]:
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
    # The whole app loads only for the commands that open the database: the container's
    # health probe runs `ticketminer health` every 15 s.
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


def run_synth(args: argparse.Namespace) -> int:
    """Write a synthetic history (and its ground truth); same arguments, same bytes."""
    from ticketminer.synth import counts_frame, iter_tickets, preset, write_jsonl, write_truth

    started = time.perf_counter()
    try:
        scenario = preset(
            args.preset,
            weeks=args.weeks,
            tickets_per_day=args.tickets_per_day,
            seed=args.seed,
            tenant=args.tenant,
            tz=args.tz,
            end=args.end,
        )
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        print(f"ticketminer synth: {exc}", file=sys.stderr)
        return 2
    frame = counts_frame(scenario)
    count = write_jsonl(args.out, iter_tickets(frame))
    if args.truth:
        write_truth(args.truth, scenario, frame.truth(), frame.topic_of(), frame.journey_truth())
    truth = f", truth in {args.truth}" if args.truth else ""
    print(
        f"wrote {count} tickets ({scenario.first_day} to {scenario.end}, preset {args.preset}, "
        f"{len(scenario.incidents)} incidents) to {args.out}{truth} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "synth":
        return run_synth(args)
    if args.command == "demo":
        logs.configure("WARNING")
        return run_demo(args)
    try:
        settings = settings_from(args)
        if args.command == "serve":
            check_serve(settings)
    except ConfigError as exc:  # a message naming the setting, not a traceback
        print(f"ticketminer: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    if args.command == "serve":
        from ticketminer.server import serve

        serve(settings)
        return 0
    if args.command == "health":
        return run_health(args, settings)
    if args.command == "digest":
        return run_digest(args, settings)
    if args.command == "keys":
        return run_keys(args, settings)
    if args.command == "migrate":
        return run_migrate(args, settings)
    return run_import(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
