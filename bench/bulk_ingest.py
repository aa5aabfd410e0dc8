"""Bulk ingest: tickets/s through the IngestTickets client stream and `ticketminer import`.

- stream: `ticketminer serve` (fresh SQLite db) in its own process; a load process
  sends 100k pre-serialised tickets over one IngestTickets stream, then (fresh
  server) over 4 concurrent streams of 25k.
- import: `ticketminer import FILE --format jsonl|csv --db FRESH --no-progress` on a
  generated file of 100k tickets (bench.ticket_gen, cached under artifacts/bench/);
  both the CLI's own rate and the whole process's wall-clock rate are reported.
- when JSONL import misses the target: where the time goes, stage by stage, on
  the first 20k lines of the same file (read_ticket_file, and inside it json.loads
  and ticket_from_proto; validate_ticket; plan_upsert; store_tickets in 1000-ticket
  transactions).

    python -m bench.bulk_ingest [--count 100000 --breakdown-count 20000]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    ARTIFACTS,
    PYTHON,
    ROOT,
    ServerProc,
    clean_env,
    log,
    run_json,
    temp_dir,
    ticketminer_argv,
    write_result,
)
from bench.profile_summary import summarize
from bench.ticket_gen import cached_file, specs, to_pb

NAME = "bulk_ingest"
TARGET = 20_000  # tickets/s
SUMMARY = re.compile(r"read (\d+) tickets in ([\d.]+) s \(([\d,]+)/s\)")


def _ticketminer_cli() -> list[str]:
    script = Path(PYTHON).parent / "ticketminer"
    return [str(script)] if script.exists() else [PYTHON, "-m", "ticketminer.cli"]


STREAM_PROFILE = {
    "stream thread: ingest_bulk (reads, decodes, validates)": (
        "services/tickets.py",
        "ingest_bulk",
    ),
    "  grpc: next request (_RequestIterator._next)": ("grpc/_server.py", "_next"),
    "  request parse (lenient_parser)": ("api/deserialize.py", "parse"),
    "  wire -> domain (ticket_from_proto)": ("api/convert.py", "ticket_from_proto"),
    "  validation (validate_ticket)": ("domain/validation.py", "validate_ticket"),
    "group commit: whole transaction (_commit)": ("store/group_commit.py", "_commit"),
    "  plan_upsert (hash + analyse)": ("domain/upsert.py", "plan_upsert"),
    "  write_plans (SQL)": ("store/tickets_repo.py", "write_plans"),
    "  fetch_summaries (SQL)": ("store/tickets_repo.py", "fetch_summaries"),
    "  sqlite COMMIT": ("~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    "grpc sync server poll loop (_serve)": ("grpc/_server.py", "_serve"),
}


def stream(count: int, streams: int, tmp: Path, profile_to: Path | None = None) -> dict[str, Any]:
    argv = ticketminer_argv(tmp / f"stream{streams}.db", profile_to=profile_to)
    (tmp / f"stream{streams}.db").unlink(missing_ok=True)
    with ServerProc(argv, tmp / "stream.log") as srv:
        cpu0 = srv.cpu_seconds()
        argv = [PYTHON, "-m", "bench.load", "stream", "--target", srv.address]
        argv += ["--count", str(count), "--streams", str(streams), "--prefix", f"S{streams}"]
        result = run_json(argv, timeout=900)
        result["server_cpu_s"] = srv.cpu_seconds() - cpu0
    if result["errors"] or result["accepted"] != count:
        raise RuntimeError(f"stream: {result['errors']}, accepted {result['accepted']}/{count}")
    result["command"] = (
        "ticketminer serve --port 0 --db FRESH.db (own process); "
        f".venv/bin/python -m bench.load stream --target ADDR --count {count} --streams {streams}"
    )
    return result


def run_import(path: Path, fmt: str, tmp: Path) -> dict[str, Any]:
    db = tmp / f"import-{fmt}.db"
    argv = [*_ticketminer_cli(), "import", str(path), "--format", fmt, "--db", str(db)]
    argv += ["--no-progress"]
    started = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=900, cwd=ROOT, env=clean_env(), check=False
    )
    wall = time.perf_counter() - started
    match = SUMMARY.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    tickets, seconds = int(match.group(1)), float(match.group(2))
    return {
        "format": fmt,
        "tickets": tickets,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "summary": done.stdout.strip().splitlines()[0],
        "cli_seconds": seconds,
        "tickets_per_s": tickets / seconds,
        "process_wall_seconds": wall,
        "tickets_per_s_wall": tickets / wall,
        "db_mb": round(db.stat().st_size / 1e6, 1),
        "command": f".venv/bin/ticketminer import {path.relative_to(ROOT)} --format {fmt} "
        "--db FRESH.db --no-progress",
    }


def _timed(label: str, fn: Callable[[], Any], out: dict[str, float]) -> Any:
    started = time.perf_counter()
    value = fn()
    out[label] = time.perf_counter() - started
    return value


def breakdown(path: Path, n: int, tmp: Path) -> dict[str, Any]:
    """Stage costs of the JSONL import path on the first `n` lines, in this process,
    one stage at a time (no threads). Only public entry points are timed, so the
    stages hold whatever the importer does today."""
    import json

    from google.protobuf import json_format

    from ticketminer.api.convert import ticket_from_proto
    from ticketminer.domain.issues import UNASSIGNED, IssueAssignment
    from ticketminer.domain.upsert import plan_upsert
    from ticketminer.domain.validation import Limits, validate_ticket
    from ticketminer.importers.ticket_files import read_ticket_file
    from ticketminer.issues.ticket_text import ticket_tokens
    from ticketminer.services.ticket_writes import PreparedTicket, store_tickets
    from ticketminer.store.engine import init_schema, make_engine
    from ticketminer.v1 import ticketminer_pb2 as pb

    lines: list[bytes] = []
    with path.open("rb") as f:
        for raw in f:
            if len(lines) >= n:
                break
            lines.append(raw)
    subset = tmp / "subset.jsonl"
    subset.write_bytes(b"".join(lines))
    t: dict[str, float] = {}
    tickets = _timed(
        "read_ticket_file: JSON line -> domain Ticket",
        lambda: list(read_ticket_file(subset, "jsonl")),
        t,
    )
    objs = _timed("  of which json.loads", lambda: [json.loads(r) for r in lines], t)
    # The same tickets as wire messages (the file was written from these specs).
    msgs = [to_pb(s) for s in specs(len(lines), prefix="J")]
    _timed("  of which ticket_from_proto", lambda: [ticket_from_proto(m) for m in msgs], t)

    def parse_dicts() -> None:
        for o in objs[: max(1, len(objs) // 4)]:
            json_format.ParseDict(o, pb.Ticket())

    _timed("(reference: json_format.ParseDict, generic parser)", parse_dicts, t)
    t["(reference: json_format.ParseDict, generic parser)"] *= len(objs) / max(1, len(objs) // 4)
    limits = Limits()
    _timed("validate_ticket", lambda: [validate_ticket(x, limits) for x in tickets], t)
    _timed(
        "plan_upsert (content hash + analyse)", lambda: [plan_upsert(x, None) for x in tickets], t
    )
    tokens = _timed(
        "ticket_tokens (normalise, mask PII, tokenise)",
        lambda: [ticket_tokens(x) for x in tickets],
        t,
    )
    # No issue model yet in a fresh database: every ticket is unassigned.
    unassigned = IssueAssignment(UNASSIGNED, "", 0.0, 0)
    prepared = [PreparedTicket(x, tok, unassigned) for x, tok in zip(tickets, tokens, strict=True)]
    engine = make_engine(str(tmp / "breakdown.db"))
    init_schema(engine)

    def store() -> None:
        for i in range(0, len(prepared), 1000):
            with engine.begin() as conn:
                store_tickets(conn, prepared[i : i + 1000])

    _timed("store_tickets, 1000 per transaction (includes plan_upsert)", store, t)
    engine.dispose()
    per = {k: v / len(lines) * 1e6 for k, v in t.items()}
    plan = per["plan_upsert (content hash + analyse)"]
    groups = {
        "parse (read_ticket_file)": per["read_ticket_file: JSON line -> domain Ticket"],
        "validate": per["validate_ticket"],
        "plan (hash + analyse)": plan,
        "tokenise (text pipeline)": per["ticket_tokens (normalise, mask PII, tokenise)"],
        "SQL write + commit (store_tickets minus plan)": (
            per["store_tickets, 1000 per transaction (includes plan_upsert)"] - plan
        ),
    }
    total = sum(groups.values())
    return {
        "tickets": len(lines),
        "us_per_ticket": {k: round(v, 1) for k, v in per.items()},
        "groups_us_per_ticket": {k: round(v, 1) for k, v in groups.items()},
        "groups_share": {k: round(v / total, 3) for k, v in groups.items()},
        "sum_us_per_ticket": round(total, 1),
        "implied_tickets_per_s_single_core": round(1e6 / total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--breakdown-count", type=int, default=20_000)
    parser.add_argument("--profile-count", type=int, default=20_000, help="0: no profile")
    args = parser.parse_args()
    started = time.perf_counter()
    log("generating (or reusing) the import files")
    files = {fmt: cached_file(fmt, args.count, ARTIFACTS / "data") for fmt in ("jsonl", "csv")}
    results: dict[str, Any] = {"target_tickets_per_s": TARGET}
    with temp_dir(NAME) as tmp:
        for streams in (1, 4):
            res = stream(args.count, streams, tmp)
            results[f"stream_{streams}"] = res
            log(f"IngestTickets x{streams}: {res['tickets_per_s']:.0f} tickets/s")
        if args.profile_count:
            prof = tmp / "stream.prof"
            res = stream(args.profile_count, 1, tmp, profile_to=prof)
            results["stream_profile"] = {
                "tickets_per_s_under_profiler": res["tickets_per_s"],
                "unit": "ticket",
                **summarize(prof, STREAM_PROFILE, args.profile_count),
            }
        for fmt, path in files.items():
            res = run_import(path, fmt, tmp)
            results[f"import_{fmt}"] = res
            log(f"import {fmt}: {res['tickets_per_s']:.0f} tickets/s ({res['summary']})")
        if results["import_jsonl"]["tickets_per_s"] < TARGET:
            results["jsonl_breakdown"] = breakdown(files["jsonl"], args.breakdown_count, tmp)
            log(f"breakdown: {results['jsonl_breakdown']['groups_us_per_ticket']}")
    results["pass"] = {
        k: results[k]["tickets_per_s"] >= TARGET
        for k in ("stream_1", "stream_4", "import_jsonl", "import_csv")
    }
    results["files"] = {k: str(v.relative_to(ROOT)) for k, v in files.items()}
    write_result(NAME, results, started)


if __name__ == "__main__":
    main()
