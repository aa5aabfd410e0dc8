"""GetWeeklyDigest latency over 1,000,000 stored tickets (52 weeks), through gRPC.

The database is built once through the production path and cached under
artifacts/bench/data/ (keyed by DATA_VERSION and the schema hash): the project's
synthetic generator (`preset("default", weeks=52, tickets_per_day=2750)`, with its
injected incidents) streamed into `App.tickets.ingest_bulk`, then one re-cluster
and one anomaly scan, so tokens, issue assignments and anomalies exist.

`ticketminer serve` runs in its own process on the cached db (no background
re-cluster or anomaly scan), on 2 fresh servers per format (Markdown + HTML, data
only), the formats interleaved; each server is asked for:

  after restart  its very first GetWeeklyDigest: it waits for the facts table
                 (loaded by the server's warm-up thread) and loads the issue column;
  cold           the first digest of each of 8 other weeks, facts in memory: a
                 digest not built yet (the number held against the 1 s target);
  warm           the first week again, 30 times, nothing changed (digest cache).

If a cold digest takes more than 1 s, an in-process cProfile of cold digests
(App over the same db) lists where the time goes.

    python -m bench.digest_latency [--servers 2 --calls 30 --no-profile --build-only]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import sqlite3
import time
from collections.abc import Iterator
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
from bench.metrics_latency import _rss_mb, schema_hash

NAME = "digest_latency"
DATA_VERSION = 1
SEED = 1
WEEKS = 52
TICKETS_PER_DAY = 2750
TENANT = "default"
TIME_ZONE = "Asia/Shanghai"
TARGET_S = 1.0
METHOD = "/ticketminer.v1.TicketMiner/GetWeeklyDigest"
# The data covers 2025-W47 .. 2026-W46 (Shanghai); incidents sit in the last three
# weeks, and the anomaly scan reads the last 120 days.
FIRST_WEEK = "2026-W46"
COLD_WEEKS = (
    "2026-W45",
    "2026-W44",
    "2026-W43",
    "2026-W40",
    "2026-W33",
    "2026-W22",
    "2026-W10",
    "2025-W50",
)
WARM_WEEK = FIRST_WEEK
FORMATS = {"markdown_html": "DIGEST_FORMAT_UNSPECIFIED", "data": "DIGEST_FORMAT_DATA"}
SERVE_ARGS = (
    "--recluster-min-tickets", "1000000000",
    "--anomaly-scan-seconds", "0",
    "--anomaly-time-zone", TIME_ZONE,
    "--max-message-bytes", str(64 * 1024 * 1024),
)  # fmt: skip
PROFILE_WEEKS = ("2026-W45", "2026-W40", "2026-W22")
PROFILE_TOP = 25
# The digest's steps, as (file, function) in the profile; indented = inside the above.
PROFILE_STEPS = {
    "rendered (whole call)": ("services/digest.py", "rendered"),
    "  weekly (the digest)": ("services/digest.py", "weekly"),
    "    facts cache catch-up (FactsCache.table)": ("services/facts_cache.py", "table"),
    "    issue column (IssueColumns.column)": ("services/issue_columns.py", "column"),
    "    anomalies of the week (AnomalyService.list)": ("services/anomalies.py", "list"),
    "    _build": ("services/digest.py", "_build"),
    "      _reports (6 metrics reports: days, issues, channels x 2 weeks)": (
        "services/digest.py",
        "_reports",
    ),
    "      _first_seen (np.minimum.at over all tickets)": ("services/digest.py", "_first_seen"),
    "      _weekly (8-week sparkline per top issue)": ("services/digest.py", "_weekly"),
    "      _changes (incl. lineage SQL)": ("services/digest.py", "_changes"),
    "      attribute_counts (SQL in a worker thread, values with >= 20 tickets)": (
        "store/facts_repo.py",
        "attribute_counts",
    ),
    "      _movers": ("services/digest.py", "_movers"),
    "        _volume_tests (a z-score per channel and attribute value)": (
        "services/digest.py",
        "_volume_tests",
    ),
    "      _highlights (incl. ticket_samples SQL)": ("services/digest.py", "_highlights"),
    "  render_markdown": ("digest/markdown.py", "render_markdown"),
    "  render_html": ("digest/html.py", "render_html"),
    "SQLite: execute (all queries)": ("~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    "SQLite: fetch rows (all queries)": ("~", "<method 'fetchone' of 'sqlite3.Cursor' objects>"),
}


# --- the database -------------------------------------------------------------------


def _scenario() -> Any:
    from ticketminer.synth import preset

    return preset("default", weeks=WEEKS, tickets_per_day=TICKETS_PER_DAY, seed=SEED, tz=TIME_ZONE)


def _logged(tickets: Iterator[Any], total: int, every: int = 50_000) -> Iterator[Any]:
    started = time.perf_counter()
    for n, ticket in enumerate(tickets, 1):
        yield ticket
        if n % every == 0:
            rate = n / (time.perf_counter() - started)
            log(f"ingested {n:,} / {total:,} tickets ({rate:,.0f}/s)")


def build_db(path: Path) -> dict[str, Any]:
    """Generate, ingest, re-cluster, scan: the production path, in this process."""
    from ticketminer.app import App
    from ticketminer.config import Settings
    from ticketminer.synth import counts_frame, iter_tickets

    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    scenario = _scenario()
    frame = counts_frame(scenario)
    total = len(frame.created_us)
    log(f"scenario {scenario.first_day} .. {scenario.end} ({scenario.tz}): {total:,} tickets")
    settings = Settings(db_url=str(tmp), recluster_min_tickets=10**9, anomaly_time_zone=TIME_ZONE)
    app = App.open(settings)
    try:
        t0 = time.perf_counter()
        report = app.tickets.ingest_bulk(_logged(iter_tickets(frame), total))
        ingest_s = time.perf_counter() - t0
        log(f"ingest: {report} in {ingest_s:.0f} s")
        if report.rejected:
            raise RuntimeError(f"{report.rejected} tickets rejected: {report.errors[:5]}")
        t0 = time.perf_counter()
        recluster = app.issues.recluster(TENANT)
        recluster_s = time.perf_counter() - t0
        log(f"recluster: {recluster.n_issues} issues, v{recluster.model_version}, "
            f"{recluster_s:.0f} s")  # fmt: skip
        t0 = time.perf_counter()
        scan = app.anomalies.scan(TENANT)
        scan_s = time.perf_counter() - t0
        log(f"anomaly scan: {scan.opened} opened, {len(scan.active)} active, {scan_s:.0f} s")
        with app.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        app.close()
    seconds = time.perf_counter() - started
    tmp.replace(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    stats = {
        "tickets": report.created,
        "first_day": str(scenario.first_day),
        "end_day": str(scenario.end),
        "seconds": round(seconds, 1),
        "ingest_seconds": round(ingest_s, 1),
        "ingest_tickets_per_s": round(report.created / ingest_s),
        "recluster_seconds": round(recluster_s, 1),
        "issues": recluster.n_issues,
        "unclustered": recluster.unclustered,
        "anomaly_scan_seconds": round(scan_s, 1),
        "anomalies_opened": scan.opened,
        "mb": round(path.stat().st_size / 1e6),
    }
    _stats_path(path).write_text(json.dumps(stats, indent=2) + "\n")
    return stats


def _stats_path(db: Path) -> Path:
    return db.with_name(db.name + ".build.json")


def cached_db() -> tuple[Path, dict[str, Any], bool]:
    """(path, build stats, built in this run)."""
    name = f"digest-v{DATA_VERSION}-s{SEED}-w{WEEKS}-{TICKETS_PER_DAY}-{schema_hash()}.db"
    path, built = cached_data(name, build_db)
    if built is not None:
        return path, built, True
    stats_file = _stats_path(path)
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return path, stats, False


# --- through gRPC ------------------------------------------------------------------


def _channel(address: str) -> grpc.Channel:
    return grpc.insecure_channel(
        address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    )


def _stub(channel: grpc.Channel) -> Any:
    from ticketminer.v1 import ticketminer_pb2 as pb

    return channel.unary_unary(
        METHOD,
        request_serializer=pb.GetWeeklyDigestRequest.SerializeToString,
        response_deserializer=pb.GetWeeklyDigestResponse.FromString,
    )


def _request(week: str, fmt: str) -> Any:
    from ticketminer.v1 import ticketminer_pb2 as pb

    return pb.GetWeeklyDigestRequest(
        tenant_id=TENANT, iso_week=week, time_zone=TIME_ZONE, format=getattr(pb, fmt)
    )


def _timed_call(call: Any, req: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    resp = call(req, timeout=600)
    return (time.perf_counter() - started) * 1000, resp


def _shape(resp: Any) -> dict[str, Any]:
    """What one response carries."""
    d = resp.digest
    return {
        "tickets_in_week": d.metrics.volume,
        "response_bytes": resp.ByteSize(),
        "digest_bytes": d.ByteSize(),
        "markdown_bytes": len(resp.markdown.encode()),
        "html_bytes": len(resp.html.encode()),
        "anomalies": len(d.anomalies),
        "top_issues": len(d.top_issues),
        "active_issues": d.active_issues,
        "issue_changes": len(d.issue_changes),
        "movers": len(d.movers),
        "highlights": len(d.highlights),
    }


def _server_events(text: str, event: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if f'"event":"{event}"' in line.replace(" ", ""):
            try:
                out.append(json.loads(line[line.index("{") :]))
            except ValueError:
                continue
    return out


def _wait_for_tables(server: ServerProc, timeout: float = 300) -> float | None:
    """The warm-up thread's own report of loading the facts tables (seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loaded = _server_events(server.log_text(), "metrics_tables_loaded")
        if loaded:
            return float(loaded[0]["seconds"])
        time.sleep(0.1)
    return None


def measure(db: Path, tmp: Path, fmt_key: str, calls: int) -> dict[str, Any]:
    """One fresh server: the first digest, the cold weeks, then warm calls."""
    fmt = FORMATS[fmt_key]
    argv = ticketminer_argv(db, *SERVE_ARGS)
    started = time.perf_counter()
    server = ServerProc(argv, tmp / f"server-{fmt_key}.log").start(timeout=120)
    try:
        start_s = time.perf_counter() - started
        rss0 = _rss_mb(server.pid)
        with _channel(server.address) as channel:
            call = _stub(channel)
            first_ms, resp = _timed_call(call, _request(FIRST_WEEK, fmt))
            first = {"week": FIRST_WEEK, "ms": first_ms, **_shape(resp)}
            log(f"{fmt_key}: after restart {FIRST_WEEK} {first_ms:,.0f} ms, "
                f"{first['response_bytes']:,} bytes")  # fmt: skip
            rss1 = _rss_mb(server.pid)
            tables_s = _wait_for_tables(server)
            cold = []
            for week in COLD_WEEKS:
                ms, resp = _timed_call(call, _request(week, fmt))
                shape = _shape(resp)
                cold.append({"week": week, "ms": ms, **shape})
                log(f"{fmt_key}: cold {week} {ms:,.0f} ms ({shape['tickets_in_week']:,} "
                    f"tickets, {shape['anomalies']} anomalies)")  # fmt: skip
            warm_req = _request(WARM_WEEK, fmt)
            warm = [_timed_call(call, warm_req)[0] for _ in range(calls)]
            log(f"{fmt_key}: warm {WARM_WEEK} p50 {percentile(warm, 0.5):.1f} ms")
        rss2 = _rss_mb(server.pid)
    except grpc.RpcError as exc:
        raise RuntimeError(f"GetWeeklyDigest failed: {exc}\n{server.log_text()[-6000:]}") from exc
    finally:
        server.stop()
    rpcs = [e for e in _server_events(server.log_text(), "rpc") if "WeeklyDigest" in e["method"]]
    server_ms = [float(e["latency_ms"]) for e in rpcs]
    return {
        "server_start_seconds": round(start_s, 2),
        "facts_tables_loaded_seconds": tables_s,
        "after_restart": {**first, "server_ms": server_ms[0] if server_ms else None},
        "cold": cold,
        "cold_server_ms": server_ms[1 : 1 + len(cold)],
        "warm_ms": warm,
        "warm_server_ms": server_ms[1 + len(cold) :],
        "server_rss_mb": {"started": rss0, "after_first": rss1, "end": rss2},
    }


def combine(fmt_key: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One format's servers pooled: cold = every (round, week), warm = every call."""
    first = [r["after_restart"]["ms"] for r in rounds]
    cold_ms = [c["ms"] for r in rounds for c in r["cold"]]
    warm = [ms for r in rounds for ms in r["warm_ms"]]
    weeks = []
    for i, week in enumerate(rounds[0]["cold"]):
        shape = {k: v for k, v in week.items() if k != "ms"}
        weeks.append({**shape, "ms": [r["cold"][i]["ms"] for r in rounds]})
    return {
        "format": FORMATS[fmt_key],
        "servers": len(rounds),
        "server_start_seconds": [r["server_start_seconds"] for r in rounds],
        "facts_tables_loaded_seconds": [r["facts_tables_loaded_seconds"] for r in rounds],
        "after_restart": {
            **{k: v for k, v in rounds[0]["after_restart"].items() if k != "server_ms"},
            "ms": percentile(first, 0.5),
            "ms_each": first,
        },
        "cold": {
            "weeks": weeks,
            "samples": len(cold_ms),
            "p50_ms": percentile(cold_ms, 0.5),
            "max_ms": max(cold_ms),
            "min_ms": min(cold_ms),
            "p50_ms_each_server": [percentile([c["ms"] for c in r["cold"]], 0.5) for r in rounds],
            "server_p50_ms": percentile([x for r in rounds for x in r["cold_server_ms"]], 0.5),
        },
        "warm": {
            "week": WARM_WEEK,
            "calls": len(warm),
            "p50_ms": percentile(warm, 0.5),
            "p90_ms": percentile(warm, 0.9),
            "min_ms": min(warm),
            "max_ms": max(warm),
            "server_p50_ms": percentile([x for r in rounds for x in r["warm_server_ms"]], 0.5),
        },
        "server_rss_mb": [r["server_rss_mb"] for r in rounds],
    }


# --- where cold time goes ---------------------------------------------------------------


def _where(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if filename == "~":
        return func
    for marker in ("/src/ticketminer/", "/site-packages/", "/lib/python3."):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            if marker == "/lib/python3.":
                filename = filename.split("/", 1)[1]
            break
    return f"{filename}:{line}({func})"


def profile_cold(db: Path) -> dict[str, Any]:
    """cProfile of cold digests (Markdown + HTML) in-process, facts and the issue
    column already loaded; seconds are per digest."""
    from ticketminer.app import App
    from ticketminer.config import Settings
    from ticketminer.services.digest import DigestFormat

    app = App.open(
        Settings(db_url=str(db), recluster_min_tickets=10**9, anomaly_time_zone=TIME_ZONE)
    )
    try:
        t0 = time.perf_counter()
        app.facts.table(TENANT)
        facts_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.digest.weekly(TENANT, FIRST_WEEK, TIME_ZONE)
        first_s = time.perf_counter() - t0
        profiler = cProfile.Profile()
        seconds = []
        for week in PROFILE_WEEKS:
            t0 = time.perf_counter()
            profiler.enable()
            app.digest.rendered(TENANT, week, TIME_ZONE, fmt=DigestFormat.BOTH)
            profiler.disable()
            seconds.append(time.perf_counter() - t0)
        # What attribute_counts hands back for one week and the week before, by key.
        from ticketminer.digest.movers import MIN_RATED
        from ticketminer.digest.weeks import IsoWeek
        from ticketminer.domain.timeutil import to_us
        from ticketminer.store.facts_repo import attribute_counts

        week = IsoWeek.parse(PROFILE_WEEKS[0])
        edges = [week.shifted(-1).window(TIME_ZONE)[0], *week.window(TIME_ZONE)]
        with app.engine.connect() as conn:
            counted = attribute_counts(conn, TENANT, *(to_us(e) for e in edges), 2 * MIN_RATED)
        rows_by_key: dict[str, int] = {}
        for key, *_rest in counted:
            rows_by_key[key] = rows_by_key.get(key, 0) + 1
    finally:
        app.close()
    n = len(PROFILE_WEEKS)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = [
        (_where(key), cc, nc, tt, ct)
        for key, (cc, nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
    ]

    def top(index: int) -> list[list[Any]]:
        ordered = sorted(rows, key=lambda r: -r[index])[:PROFILE_TOP]
        return [[w, round(ct / n, 4), round(tt / n, 4), nc // n] for w, _cc, nc, tt, ct in ordered]

    entries = stats.stats  # type: ignore[attr-defined]
    raw = [(f, name, nc, ct) for (f, _l, name), (_cc, nc, _tt, ct, _c) in entries.items()]
    steps = {}
    for label, (path, func) in PROFILE_STEPS.items():
        hits = [(nc, ct) for f, name, nc, ct in raw if name == func and f.endswith(path)]
        steps[label] = {
            "seconds": round(sum(ct for _nc, ct in hits) / n, 4),
            "calls": sum(nc for nc, _ct in hits) // n,
        }
    return {
        "weeks": list(PROFILE_WEEKS),
        "steps": steps,
        "attribute_counts_rows": {
            "week": PROFILE_WEEKS[0],
            "rows": len(counted),
            "by_key": dict(sorted(rows_by_key.items(), key=lambda kv: -kv[1])),
        },
        "note": (
            f"In-process cProfile of {n} cold digests ({', '.join(PROFILE_WEEKS)}), Markdown "
            "+ HTML, after the facts table and the issue column were loaded; seconds and "
            "calls per digest (top_*: [function, cumulative s, own s, calls])"
        ),
        "facts_load_seconds": round(facts_s, 2),
        "first_digest_seconds": round(first_s, 2),
        "seconds_per_digest_under_profiler": [round(s, 3) for s in seconds],
        "top_cumulative": top(4),
        "top_own": top(3),
    }


def _count_tickets(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM tickets").fetchone()[0])


def run(
    db: Path, stats: dict[str, Any], built: bool, servers: int, calls: int, profile: bool | None
) -> dict[str, Any]:
    """The result: each format on `servers` fresh servers; profiled when a cold digest
    misses the target (`profile` True: always, False: never)."""
    result: dict[str, Any] = {
        "target_seconds": TARGET_S,
        "tickets": stats.get("tickets") or _count_tickets(db),
        "weeks_of_data": WEEKS,
        "time_zone": TIME_ZONE,
        "db": {
            "file": db.name,
            "mb": round(db.stat().st_size / 1e6),
            "built_in_this_run": built,
            "build": stats,
        },
        "weeks_used": {"after_restart": FIRST_WEEK, "cold": list(COLD_WEEKS), "warm": WARM_WEEK},
        "servers_per_format": servers,
        "formats": {},
    }
    log(f"weeks: after restart {FIRST_WEEK}; cold {', '.join(COLD_WEEKS)}; warm {WARM_WEEK}")
    rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in FORMATS}
    with temp_dir(NAME) as tmp:
        for i in range(servers):
            # Interleaved, so drift on the shared cores hits both formats alike.
            for key in FORMATS if i % 2 == 0 else reversed(FORMATS):
                rounds[key].append(measure(db, tmp, key, calls))
    result["formats"] = {key: combine(key, r) for key, r in rounds.items()}
    fm = result["formats"]
    result["pass"] = {
        f"{k}_{q}": fm[k]["cold"][f"{q}_ms"] <= TARGET_S * 1000 for k in fm for q in ("p50", "max")
    }
    slow = max(f["cold"]["max_ms"] for f in fm.values()) > TARGET_S * 1000
    if profile or (profile is None and slow):
        log("profiling cold digests in-process")
        result["profile"] = profile_cold(db)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="warm calls per server")
    parser.add_argument("--servers", type=int, default=2, help="fresh servers per format")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile even if cold meets 1 s")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    db, stats, built = cached_db()
    if args.build_only:
        log(f"{db} ready: {stats}")
        return
    profile = False if args.no_profile else (True if args.profile else None)
    write_result(NAME, run(db, stats, built, args.servers, args.calls, profile), started)


if __name__ == "__main__":
    main()
