"""`ticketminer demo`: a fresh demo database, 8 weeks of synthetic tickets sent
through the gRPC API, a re-cluster and an anomaly scan, then the anomaly report, the
customer insights and the weekly digests (Markdown and HTML files) of the weeks with
incidents (or of the last week, when the preset has none).

Everything goes over the wire exactly as a helpdesk platform would send it, so the
report shows what the API returns.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ticketminer.config import Settings
from ticketminer.synth.scenario import PRESETS

if TYPE_CHECKING:
    from ticketminer.v1 import ticketminer_pb2 as pb

BATCH = 2000
TZ = ZoneInfo("Asia/Shanghai")  # the synthetic helpdesk's local time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default="", help="demo database file (default: a fresh temp file)")
    parser.add_argument("--port", type=int, default=0, help="port to serve on (0: any free one)")
    parser.add_argument("--tickets-per-day", type=float, default=150.0)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default="default",
        help="default: five incidents; lifecycle: new customers' activation trouble and "
        "praised packaging (see `ticketminer synth`)",
    )
    parser.add_argument(
        "--keep-serving", action="store_true", help="keep the server up for grpcurl afterwards"
    )


def _requests(tickets) -> Iterator[pb.IngestTicketRequest]:
    from ticketminer.api.convert import ticket_to_proto
    from ticketminer.v1 import ticketminer_pb2 as pb

    for t in tickets:
        req = pb.IngestTicketRequest()
        ticket_to_proto(t, req.ticket)
        yield req


def _week(moment) -> str:
    return "{}-W{:02d}".format(*moment.astimezone(TZ).isocalendar()[:2])


def _write_digests(stub, weeks: list[str], folder: Path, out) -> None:
    """The digests of `weeks`, as the API renders them."""
    from ticketminer.v1 import ticketminer_pb2 as pb

    print("\nweekly digests:", file=out)
    for week in weeks:
        request = pb.GetWeeklyDigestRequest(iso_week=week, time_zone=str(TZ))
        reply = stub.GetWeeklyDigest(request)
        for suffix, text in ((".md", reply.markdown), (".html", reply.html)):
            (folder / f"digest-{week}{suffix}").write_text(text, encoding="utf-8")
        d = reply.digest
        print(
            f"  {week}: {d.metrics.volume} tickets, {len(d.anomalies)} anomalies -> "
            f"{folder / f'digest-{week}.html'} (and .md)",
            file=out,
        )


def run_demo(args: argparse.Namespace, out=None) -> int:
    # The server, gRPC and the stubs load only when the demo runs (see cli/__init__.py).
    import grpc

    from ticketminer.reports.anomalies import render
    from ticketminer.reports.insights import render_insights
    from ticketminer.server import Server
    from ticketminer.synth import generate, preset
    from ticketminer.v1 import ticketminer_pb2 as pb
    from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

    out = out or sys.stdout
    db = (
        Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="ticketminer-demo-")) / "demo.db"
    )
    if db.exists():
        db.unlink()
    settings = Settings(
        port=args.port,
        db_url=f"sqlite:///{db}",
        recluster_min_tickets=10**9,  # the demo re-clusters once, explicitly
        anomaly_scan_seconds=0,
        anomaly_time_zone=str(TZ),
    )
    scenario = preset(
        args.preset, weeks=args.weeks, tickets_per_day=args.tickets_per_day, seed=args.seed
    )
    result = generate(scenario)
    server = Server(settings).start()
    started = time.perf_counter()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            sent = 0
            for i in range(0, len(result.tickets), BATCH):
                reply = stub.IngestTickets(_requests(result.tickets[i : i + BATCH]))
                sent += reply.accepted
            print(f"ingested {sent} tickets over gRPC ({db})", file=out)
            issues = stub.ReclusterIssues(pb.ReclusterIssuesRequest())
            topics = len(set(result.topic_of.values()))
            print(
                f"issues: {issues.issues} for the generator's {topics} topics "
                f"(model version {issues.model_version})",
                file=out,
            )
            scan = stub.ScanAnomalies(pb.ScanAnomaliesRequest())
            print(
                f"anomaly scan: {scan.opened} anomalies over {scan.series} series x "
                f"{scan.hours} hours in {scan.seconds:.1f} s\n",
                file=out,
            )
            listing = stub.ListAnomalies(pb.ListAnomaliesRequest(page_size=50))
            print(render(listing.anomalies), file=out)
            print("injected incidents (ground truth):", file=out)
            for inc in result.truth:
                dims = " ∧ ".join(f"{k}={v}" for k, v in inc.dims) or "-"
                what = inc.topic or inc.metric
                print(
                    f"  {inc.id}: {inc.kind} {what} {inc.start:%Y-%m-%d %H:%M} -> "
                    f"{inc.end:%Y-%m-%d %H:%M} UTC, {dims}",
                    file=out,
                )
            insights = stub.GetCustomerInsights(pb.GetCustomerInsightsRequest(top=3))
            print("\ncustomer insights (GetCustomerInsights, whole history):", file=out)
            print(render_insights(insights), file=out)
            if result.journey is not None:
                j = result.journey
                print(
                    f"customer journey (ground truth): {j.activation_topic} "
                    f"({len(j.activation_ids)} tickets from first-week customers), "
                    f"{j.praise_topic} ({len(j.praise_ids)} compliments)",
                    file=out,
                )
            weeks = sorted({_week(i.start) for i in result.truth}) or [
                _week(scenario.at(scenario.days - 7))
            ]
            _write_digests(stub, weeks, db.parent, out)
            print(f"\ndemo took {time.perf_counter() - started:.0f} s", file=out)
        if args.keep_serving:
            print(f"serving on 127.0.0.1:{server.port}; Ctrl-C stops", file=out)
            server.wait()
    finally:
        server.stop()
    return 0
