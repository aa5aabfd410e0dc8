"""GetMetrics grouped and filtered by ticket tag, beside the same query grouped by
channel and by an attribute, over the whole metrics bench set (default 100,000
tickets with 0 to 3 tags each, cached like bench.metrics_latency's), through gRPC
to an in-process server.

The first tag query loads every ticket's tags (reported as the cold call); each
query then gets one warm-up call and `--calls` timed ones.

    python -m bench.metrics_tags [--tickets 100000 --calls 20]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import grpc

from bench.common import log, percentile, write_result
from bench.metrics_latency import cached_db

NAME = "metrics_tags"


def _queries() -> dict[str, Any]:
    from ticketminer.v1 import ticketminer_pb2 as pb

    return {
        "by_channel": pb.GetMetricsRequest(group_by="channel"),
        "by_carrier": pb.GetMetricsRequest(group_by="attributes.carrier"),
        "by_tag": pb.GetMetricsRequest(group_by="tag"),
        "by_tag_week": pb.GetMetricsRequest(group_by="tag", granularity=pb.GRANULARITY_WEEK),
        "filter_2_tags": pb.GetMetricsRequest(filter=pb.TicketFilter(tags=["urgent", "refund"])),
        "list_tickets_2_tags": pb.ListTicketsRequest(
            filter=pb.TicketFilter(tags=["urgent", "refund"]), page_size=50
        ),
    }


def _ms(call: Any, req: Any) -> float:
    started = time.perf_counter()
    call(req, timeout=600)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    from ticketminer.config import Settings
    from ticketminer.server import Server
    from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

    db, built = cached_db(args.tickets)
    log(f"db {db} ({'built' if built else 'cached'})")
    # GetMetrics alone: no background anomaly scan or re-cluster (see metrics_latency).
    settings = Settings(
        port=0,
        db_url=str(db),
        grace_seconds=1,
        anomaly_scan_seconds=0,
        recluster_min_tickets=10**9,
    )
    srv = Server(settings).start()
    out: dict[str, Any] = {"tickets": args.tickets, "calls": args.calls}
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            queries = _queries()
            out["cold_facts_ms"] = _ms(stub.GetMetrics, queries["by_channel"])
            out["cold_tags_ms"] = _ms(stub.GetMetrics, queries["by_tag"])
            tags = stub.GetMetrics(queries["by_tag"], timeout=600)
            out["tag_groups"] = {g.value: g.metrics.volume for g in tags.groups}
            out["queries"] = {}
            for name, req in queries.items():
                call = stub.ListTickets if name.startswith("list") else stub.GetMetrics
                _ms(call, req)
                times = [_ms(call, req) for _ in range(args.calls)]
                out["queries"][name] = {
                    "p50_ms": round(percentile(times, 0.5), 1),
                    "p90_ms": round(percentile(times, 0.9), 1),
                }
                log(f"{name}: {out['queries'][name]}")
    finally:
        srv.stop(grace=1)
    print(write_result(NAME, out))


if __name__ == "__main__":
    main()
