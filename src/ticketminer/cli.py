"""Command line: `ticketminer serve` and `ticketminer import`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator, Sequence

from tqdm import tqdm

from ticketminer import logs
from ticketminer.app import App
from ticketminer.config import Settings, add_arguments, settings_from
from ticketminer.domain.ingest import BulkIngestReport, BulkItem
from ticketminer.domain.model import DEFAULT_TENANT, Ticket
from ticketminer.importers.records import ImportItem

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
    health = sub.add_parser("health", help="exit 0 if the server reports SERVING")
    add_arguments(health, only=("host", "port", "log_level"))
    health.add_argument("--timeout", type=float, default=3.0)
    return parser


def run_health(args: argparse.Namespace, settings: Settings) -> int:
    """A probe for container health checks that needs no extra binary."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"{settings.host}:{settings.port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=args.timeout
            )
        except grpc.RpcError as err:
            print(f"unhealthy: {err.code().name}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = settings_from(args)
    logs.configure(settings.log_level)
    if args.command == "serve":
        from ticketminer.server import serve

        serve(settings)
        return 0
    if args.command == "health":
        return run_health(args, settings)
    return run_import(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
