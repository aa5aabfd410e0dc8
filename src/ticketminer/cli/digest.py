"""`ticketminer digest`: write one week's digest as Markdown, HTML or JSON.

It reads the database directly by default (the same code path as the RPC), or asks
a running server with --server, so a cron job needs no server and an engineer's
laptop needs no database. JSON is the GetWeeklyDigest message as grpcurl shows it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_settings
from ticketminer.domain.errors import InvalidArgument

if TYPE_CHECKING:
    from ticketminer.v1 import ticketminer_pb2 as pb

# Names of services.digest.DigestFormat, and of the wire enum after DIGEST_FORMAT_ (gRPC
# and the stubs load only when a digest is asked for: see cli/__init__.py).
FORMATS = {"md": "MARKDOWN", "html": "HTML", "json": "DATA"}
_SETTINGS = ("db_url", "log_level", "digest_ticket_url")
_SETTINGS += ("smtp_url", "smtp_from", "delivery_timeout_seconds")  # for --send


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", default="", help="ISO week, e.g. 2026-W46 (default: last week)")
    parser.add_argument("--tenant", default="", help="tenant id (default: 'default')")
    parser.add_argument(
        "--tz",
        default="",
        help="IANA time zone of the week's boundaries (default: the tenant's, else UTC)",
    )
    parser.add_argument("--format", choices=tuple(FORMATS), default="md")
    parser.add_argument("--out", default="-", help="file to write (default: standard output)")
    parser.add_argument(
        "--server", default="", help="host:port of a running server (default: read --db directly)"
    )
    parser.add_argument(
        "--send",
        default="",
        metavar="SCHEDULE_ID",
        help="instead of writing: send the schedule's latest due week now, unless that week "
        "was already sent (a failure is left for the server to retry)",
    )
    add_settings(parser, only=_SETTINGS)


def _local(args: argparse.Namespace, settings: Settings) -> pb.GetWeeklyDigestResponse:
    # Heavy (the whole app): imported here, so `ticketminer health` and the parser stay light.
    from ticketminer.api.digest_convert import rendered_to_proto
    from ticketminer.app import App
    from ticketminer.services.digest import DigestFormat

    app = App.open(settings)
    try:
        rendered = app.digest.rendered(
            args.tenant or "default", args.week, args.tz, fmt=DigestFormat[FORMATS[args.format]]
        )
    finally:
        app.close()
    return rendered_to_proto(rendered)


def _remote(args: argparse.Namespace) -> pb.GetWeeklyDigestResponse:
    import grpc

    from ticketminer.v1 import ticketminer_pb2 as pb
    from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

    request = pb.GetWeeklyDigestRequest(
        tenant_id=args.tenant,
        iso_week=args.week,
        time_zone=args.tz,
        format=pb.DigestFormat.Value("DIGEST_FORMAT_" + FORMATS[args.format]),
    )
    with grpc.insecure_channel(args.server) as channel:
        return pb_grpc.TicketMinerStub(channel).GetWeeklyDigest(request, timeout=120)


def _text(response: pb.GetWeeklyDigestResponse, fmt: str) -> str:
    if fmt == "md":
        return response.markdown
    if fmt == "html":
        return response.html
    from google.protobuf import json_format

    return json_format.MessageToJson(
        response.digest, preserving_proto_field_name=True, ensure_ascii=False, indent=2
    )


def _send(args: argparse.Namespace, settings: Settings) -> int:
    """Ops: run one schedule now, through the same claim as the server's loop."""
    from ticketminer.app import App
    from ticketminer.domain.errors import FailedPrecondition, NotFound

    if args.server:
        print("ticketminer digest: --send reads --db directly, not --server", file=sys.stderr)
        return 2
    app = App.open(settings)
    started = datetime.now(UTC)
    try:
        assert app.deliveries is not None  # App.open sets it
        row = app.deliveries.send_now(args.tenant or "default", args.send)
    except (NotFound, FailedPrecondition) as exc:
        print(f"ticketminer digest: {exc}", file=sys.stderr)
        return 2
    finally:
        app.close()
    if row is None:
        print("ticketminer digest: another sender is on this tenant; try again", file=sys.stderr)
        return 1
    error = f"; last error: {row.last_error}" if row.last_error else ""
    earlier = row.sent_at is not None and row.sent_at < started
    outcome = (
        f"already sent at {row.sent_at:%Y-%m-%d %H:%M:%S}Z" if earlier else row.status.name.lower()
    )
    print(
        f"{row.iso_week} of {args.send!r}: {outcome} after {row.attempts} attempt(s){error}",
        file=sys.stderr,
    )
    return 0 if row.sent_at is not None else 1


def run_digest(args: argparse.Namespace, settings: Settings) -> int:
    import grpc

    if args.send:
        return _send(args, settings)

    try:
        response = _remote(args) if args.server else _local(args, settings)
    except InvalidArgument as exc:
        print(f"ticketminer digest: {exc}", file=sys.stderr)
        return 2
    except grpc.RpcError as exc:
        print(f"ticketminer digest: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    text = _text(response, args.format)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        digest = response.digest
        print(
            f"wrote the {digest.iso_week} digest of {digest.tenant_id!r} "
            f"({digest.metrics.volume} tickets, {len(digest.anomalies)} anomalies) to {args.out}",
            file=sys.stderr,
        )
    return 0
