"""GetMetrics latency over 1,000,000 stored tickets, through gRPC.

The database is filled once with the store layer (reserve_versions + write_plans,
20k tickets per transaction; plan_upsert runs in two worker processes) and cached
under artifacts/bench/data/, keyed by the generator version and a hash of the
schema, so re-runs reuse it. Tickets are spread over 365 days; every query asks
for the last 90 days (~250k tickets) with GRANULARITY_DAY:

  overall        no grouping, day series
  by_channel     group_by "channel", day series per group
  by_carrier     group_by "attributes.carrier", day series per group

`ticketminer serve` runs in its own process on the cached db. The very first call
loads the in-memory facts table (reported as the cold call), the first call on
attributes.carrier loads that attribute column (reported as the cold attribute
call); then each query gets one warm-up call and 30 timed calls.

    python -m bench.metrics_latency [--tickets 1000000 --calls 30]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import signal
import time
from collections import deque
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import grpc

from bench.common import (
    ServerProc,
    cached_data,
    log,
    percentile,
    temp_dir,
    ticketminer_argv,
    write_result,
)
from bench.profile_summary import summarize
from bench.ticket_gen import DEFAULT_SEED, END, GEN_VERSION, specs, to_domain

NAME = "metrics_latency"
TARGET_P50_MS = 200.0
WINDOW_DAYS = 90
BATCH = 20_000
PLAN_CHUNK = 5_000
AHEAD = 8  # chunks planned ahead of the writer
METHOD = "/ticketminer.v1.TicketMiner/GetMetrics"

# GetMetrics alone: no background anomaly scan (its first pass scores the sentiment
# of every ticket, minutes of CPU at 1M) or re-cluster competing for the two cores.
QUIET = ("--anomaly-scan-seconds", "0", "--recluster-min-tickets", "1000000000")

PROFILE_ENTRIES = {
    "GetMetrics servicer": ("api/servicer.py", "GetMetrics"),
    "  facts cache catch-up (FactsCache.table)": ("services/facts_cache.py", "table"),
    "  get_metrics (numpy work + report objects)": ("services/metrics.py", "get_metrics"),
    "    metric_sets (aggregation)": ("metrics/aggregate.py", "metric_sets"),
    "      per-cell duration stats (aggregate._durations)": ("metrics/aggregate.py", "_durations"),
    "      CSAT stats per cell (aggregate._csat)": ("metrics/aggregate.py", "_csat"),
    "    _series (series points + drill-down filters)": ("services/metrics.py", "_series"),
    "    select (row mask)": ("metrics/selection.py", "select"),
    "  metrics_report_to_proto": ("api/metrics_convert.py", "metrics_report_to_proto"),
    "    series points (_point)": ("api/metrics_convert.py", "series_point_to_proto"),
    "    drill-down filters (filter_to_proto)": ("api/convert.py", "filter_to_proto"),
    "grpc: serialise the response": (
        "~",
        "<method 'SerializeToString' of 'google._upb._message.Message' objects>",
    ),
    "access log (interceptor _log)": ("api/interceptors.py", "_log"),
}


def schema_hash() -> str:
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from ticketminer.store.schema import metadata

    dialect = sqlite.dialect()
    ddl = []
    for table in metadata.sorted_tables:
        ddl.append(str(CreateTable(table).compile(dialect=dialect)))
        # table.indexes is a set: sort, or the hash changes from process to process.
        ddl.extend(sorted(str(CreateIndex(i).compile(dialect=dialect)) for i in table.indexes))
    return hashlib.sha1("\n".join(ddl).encode()).hexdigest()[:10]


def _plans(start: int, count: int) -> list[Any]:
    """Worker: plans for tickets [start, start + count) of the metrics set."""
    from ticketminer.domain.upsert import plan_upsert

    return [
        plan_upsert(to_domain(s), None)
        for s in specs(count, seed=DEFAULT_SEED, prefix="M", start=start)
    ]


def build_db(path: Path, tickets: int) -> dict[str, Any]:
    """Fill a fresh db with `tickets` new tickets through the store layer."""
    from ticketminer.domain.timeutil import to_us, utc_now
    from ticketminer.store.engine import init_schema, make_engine
    from ticketminer.store.tickets_repo import reserve_versions, write_plans

    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    ctx = multiprocessing.get_context("fork")  # before the engine exists: nothing to share
    with ctx.Pool(2) as pool:
        engine = make_engine(str(tmp))
        init_schema(engine)
        starts = iter(range(0, tickets, PLAN_CHUNK))
        # A bounded window of chunks in flight: workers plan faster than SQLite
        # stores, and an unbounded imap would hold every plan in memory.
        window = deque(
            pool.apply_async(_plans, (s, min(PLAN_CHUNK, tickets - s)))
            for s in islice(starts, AHEAD)
        )
        done = 0
        while done < tickets:
            batch = []
            while len(batch) < BATCH and window:
                batch.extend(window.popleft().get(timeout=600))
                window.extend(
                    pool.apply_async(_plans, (s, min(PLAN_CHUNK, tickets - s)))
                    for s in islice(starts, 1)
                )
            with engine.begin() as conn:
                first = reserve_versions(conn, len(batch))
                now_us = to_us(utc_now())
                write_plans(conn, [(p, first + i) for i, p in enumerate(batch)], now_us)
            done += len(batch)
            log(f"stored {done:,} / {tickets:,} tickets")
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    seconds = time.perf_counter() - started
    tmp.replace(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    return {"tickets": tickets, "seconds": seconds, "tickets_per_s": tickets / seconds}


def cached_db(tickets: int) -> tuple[Path, dict[str, Any] | None]:
    name = f"metrics-v{GEN_VERSION}-s{DEFAULT_SEED}-{tickets}-{schema_hash()}.db"
    return cached_data(name, lambda path: build_db(path, tickets))


def _request(group_by: str) -> Any:
    from ticketminer.v1 import ticketminer_pb2 as pb

    req = pb.GetMetricsRequest(group_by=group_by, granularity=pb.GRANULARITY_DAY)
    req.filter.start_time.FromDatetime(END - timedelta(days=WINDOW_DAYS))
    req.filter.end_time.FromDatetime(END)
    return req


def _timed_call(call: Any, req: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    resp = call(req, timeout=600)
    return (time.perf_counter() - started) * 1000, resp


QUERIES = {"overall": "", "by_channel": "channel", "by_carrier": "attributes.carrier"}


def _stub(channel: grpc.Channel) -> Any:
    from ticketminer.v1 import ticketminer_pb2 as pb

    return channel.unary_unary(
        METHOD,
        request_serializer=pb.GetMetricsRequest.SerializeToString,
        response_deserializer=pb.GetMetricsResponse.FromString,
    )


def _channel(address: str) -> grpc.Channel:
    return grpc.insecure_channel(
        address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    )


def set_calendar(address: str, on: bool = True) -> None:
    """Give the tenant a business-hours calendar (every query from then on also
    computes the business-hours durations), or with `on=False` take it away: the
    cached database keeps settings between runs, so each run starts without one."""
    from ticketminer.v1 import ticketminer_pb2 as pb
    from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

    settings = pb.TenantSettings()
    if on:
        weekdays = [pb.WEEKDAY_MONDAY + i for i in range(5)]
        hours = settings.business_hours
        hours.hours.add(weekdays=weekdays, open="09:00", close="12:00")
        hours.hours.add(weekdays=weekdays, open="13:00", close="18:00")
        # Mainland holidays inside the 90-day window that ends on 2025-07-01.
        holidays = ["2025-04-04", "2025-05-01", "2025-05-02", "2025-05-05", "2025-06-02"]
        hours.holidays.extend(holidays)
    request = pb.UpdateTenantSettingsRequest(settings=settings)
    request.update_mask.paths.extend(["business_hours"])  # unset in the message: removed
    with _channel(address) as channel:
        pb_grpc.TicketMinerStub(channel).UpdateTenantSettings(request, timeout=60)


def measure(address: str, calls: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _channel(address) as channel:
        call = _stub(channel)
        for name, group_by in QUERIES.items():
            req = _request(group_by)
            first_ms, resp = _timed_call(call, req)  # cold for overall and by_carrier
            ms = [_timed_call(call, req)[0] for _ in range(calls)]
            out[name] = {
                "group_by": group_by,
                "first_call_ms": first_ms,
                "p50_ms": percentile(ms, 0.5),
                "p90_ms": percentile(ms, 0.9),
                "min_ms": min(ms),
                "max_ms": max(ms),
                "calls": calls,
                "volume": resp.overall.volume,
                "series_points": len(resp.series) + sum(len(g.series) for g in resp.groups),
                "groups": len(resp.groups),
                "response_bytes": resp.ByteSize(),
            }
            log(
                f"{name}: first {first_ms:.0f} ms, p50 {out[name]['p50_ms']:.1f} ms, "
                f"p90 {out[name]['p90_ms']:.1f} ms, {out[name]['response_bytes']:,} bytes"
            )
    return out


def profile_warm(db: Path, tmp: Path, calls: int) -> dict[str, Any]:
    """CPU profile of warm calls only: every query is called once (cold loads),
    then the profiler takes its baseline (SIGUSR1), then `calls` of each."""
    prof = tmp / "metrics.prof"
    p50: dict[str, float] = {}
    argv = ticketminer_argv(db, *QUIET, profile_to=prof)
    with ServerProc(argv, tmp / "prof.log") as server, _channel(server.address) as channel:
        if True:
            call = _stub(channel)
            for group_by in QUERIES.values():
                _timed_call(call, _request(group_by))
            os.kill(server.pid, signal.SIGUSR1)
            deadline = time.monotonic() + 30
            while '"profile_baseline"' not in server.log_text():
                if time.monotonic() > deadline:
                    raise RuntimeError("the profiled server never took its baseline")
                time.sleep(0.05)
            for name, group_by in QUERIES.items():
                req = _request(group_by)
                p50[name] = percentile([_timed_call(call, req)[0] for _ in range(calls)], 0.5)
    return {
        "note": f"warm calls only ({calls} of each query, after one cold call each)",
        "p50_ms_under_profiler": p50,
        **summarize(prof, PROFILE_ENTRIES, calls * len(QUERIES)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    db, built = cached_db(args.tickets)
    result: dict[str, Any] = {
        "target_p50_ms": TARGET_P50_MS,
        "tickets": args.tickets,
        "window_days": WINDOW_DAYS,
        "db": {"file": db.name, "mb": round(db.stat().st_size / 1e6), "build": built or "cached"},
    }
    with temp_dir(NAME) as tmp:
        with ServerProc(ticketminer_argv(db, *QUIET), tmp / "server.log", port=0) as server:
            set_calendar(server.address, on=False)
            rss0 = _rss_mb(server.pid)
            result["queries"] = measure(server.address, args.calls)
            result["server_rss_mb"] = {"before": rss0, "after": _rss_mb(server.pid)}
            # The same queries once the tenant has a business-hours calendar, in the
            # same server: the ratio is the calendar's cost.
            set_calendar(server.address)
            log("with a business-hours calendar:")
            result["queries_business_hours"] = measure(server.address, args.calls)
            set_calendar(server.address, on=False)
        q = result["queries"]
        result["cold"] = {
            "first_call_facts_load_ms": q["overall"]["first_call_ms"],
            "first_attribute_call_ms": q["by_carrier"]["first_call_ms"],
        }
        result["pass"] = {name: v["p50_ms"] <= TARGET_P50_MS for name, v in q.items()}
        if not args.no_profile:
            result["profile"] = profile_warm(db, tmp, 10)
    write_result(NAME, result, started)


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


if __name__ == "__main__":
    main()
