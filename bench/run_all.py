"""Run every benchmark (each in its own process, with a time budget) and write
BENCHMARKS.md at the repository root from their artifacts/bench/<name>.json.

    python -m bench.run_all                      # everything (what `make bench` runs)
    python -m bench.run_all --only ingest_latency
    python -m bench.run_all --render-only        # rewrite BENCHMARKS.md from the JSON files

A benchmark without a result file (not run here, artifacts cleaned) keeps its section
and summary rows from the BENCHMARKS.md being replaced, marked as kept, so one
benchmark can be refreshed without re-running the rest.

A benchmark that crashes or runs out of time is reported as such in BENCHMARKS.md;
the others still run. Logs go to artifacts/bench/logs/<name>.log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.common import ARTIFACTS, PYTHON, ROOT, clean_env, log, machine_facts
from bench.render import render


@dataclass(frozen=True)
class Bench:
    name: str
    budget_s: int
    args: tuple[str, ...] = ()


# Budgets assume cached data; the first run also builds the 1M-ticket db (~5 min).
BENCHES = (
    Bench("ticket_gen", 120),
    Bench("server_flavours", 300),
    Bench("ingest_latency", 600),
    Bench("bulk_ingest", 900),
    Bench("metrics_latency", 1200),
    Bench("quality", 2400),
    Bench("tokenizer_throughput", 300),
    Bench("recluster", 1800),
    Bench("embedding_throughput", 600),
    Bench("embed_backfill", 1200),
    Bench("ingest_embedding", 900),
    Bench("anomaly", 3600),
    # The first run also builds its own 1M-ticket db through ingest (~20-25 min).
    Bench("digest_latency", 2400),
    # Ingests, re-clusters and scans 12 generated histories (~150k tickets, ~25 min).
    Bench("anomaly_discovered", 2700),
    Bench("sentiment_eval", 900),
)


def run_one(bench: Bench) -> dict[str, Any]:
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result_file = ARTIFACTS / f"{bench.name}.json"
    result_file.unlink(missing_ok=True)  # never render a stale result as fresh
    argv = [PYTHON, "-m", f"bench.{bench.name}", *bench.args]
    log(f"running {' '.join(argv[1:])} (budget {bench.budget_s} s)")
    started = time.perf_counter()
    with (logs / f"{bench.name}.log").open("w") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=clean_env(),
            start_new_session=True,
        )  # fmt: skip
        try:
            code = proc.wait(timeout=bench.budget_s)
            status = "ok" if code == 0 else f"crashed (exit code {code})"
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            status = f"timed out after {bench.budget_s} s"
    seconds = time.perf_counter() - started
    if status == "ok" and not result_file.exists():
        status = "finished without writing its result"
    log(f"{bench.name}: {status} in {seconds:.0f} s")
    tail = ""
    if status != "ok":
        tail = "\n".join(
            (logs / f"{bench.name}.log").read_text(errors="replace").splitlines()[-25:]
        )
    return {"status": status, "seconds": round(seconds, 1), "log_tail": tail}


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """The benchmark and the servers it started share its process group."""
    import os
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def load_results(names: list[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        path = ARTIFACTS / f"{name}.json"
        if path.exists():
            out[name] = json.loads(path.read_text())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHES])
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    names = [b.name for b in BENCHES]
    status_file = ARTIFACTS / "run_all_status.json"
    statuses: dict[str, Any] = json.loads(status_file.read_text()) if status_file.exists() else {}
    started = time.perf_counter()
    if not args.render_only:
        for bench in BENCHES:
            if args.only and bench.name not in args.only:
                continue
            statuses[bench.name] = run_one(bench)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            status_file.write_text(json.dumps(statuses, indent=2) + "\n")
    target = ROOT / "BENCHMARKS.md"
    previous = target.read_text() if target.exists() else ""
    results = load_results(names)
    text = render(results, statuses, machine_facts(), time.perf_counter() - started, previous)
    target.write_text(text)
    log(f"wrote {ROOT / 'BENCHMARKS.md'}")
    failed = [n for n, s in statuses.items() if s.get("status") != "ok"]
    if failed:
        log(f"not ok: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
