"""IngestTicket with the embedding queue at work against the same server without it.

Each round starts `ticketminer serve` twice on a fresh SQLite database, once with
`--embedder off` and once with the default `--embedder use` (the background queue
then embeds every ticket as it is ingested), everything else at its default, and
drives each with the same load (bench.load: grpc.aio client, 32 calls in flight,
distinct realistic tickets). The order of the two alternates from round to round so
drift on the shared cores hits both alike; ratios are computed per round and their
median is reported. Target: embedding is off the ingest path, so throughput and
latency with the queue stay within 5 % of those without it.

For the `use` runs it also records how many tickets already had a vector when the
load ended, and in the first round how long the queue then took to embed the rest
(the server idle).

    python -m bench.ingest_embedding [--rounds 5 --count 10000 --warmup 500]
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.common import (
    ServerProc,
    add_load_arguments,
    load_config,
    log,
    median,
    run_json,
    temp_dir,
    ticketminer_argv,
    write_result,
)
from bench.ingest_latency import KEYS, LOAD_TIMEOUT, _brief, _load_argv

NAME = "ingest_embedding"
TARGET_RATIO = 0.95  # with the queue / without, higher is better
SYSTEMS = ("off", "use")
CATCH_UP_TIMEOUT = 180.0


def _counts(db: Path) -> tuple[int, int]:
    """(tickets, tickets with a vector) in the database, read while the server runs."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as c:
        tickets = c.execute("SELECT count(*) FROM tickets").fetchone()[0]
        try:
            vectors = c.execute("SELECT count(*) FROM ticket_vectors").fetchone()[0]
        except sqlite3.OperationalError:
            vectors = 0
    return int(tickets), int(vectors)


def measure(
    system: str, db: Path, log_path: Path, args: argparse.Namespace, catch_up: bool
) -> dict[str, Any]:
    argv = ticketminer_argv(db, "--workers", str(args.workers), "--embedder", system)
    with ServerProc(argv, log_path) as server:
        cpu0 = server.cpu_seconds()
        result = run_json(
            _load_argv(server.address, args, args.client, args.count, args.warmup),
            timeout=LOAD_TIMEOUT,
        )
        result["server_cpu_s"] = server.cpu_seconds() - cpu0
        tickets, vectors = _counts(db)
        result["tickets_stored"] = tickets
        result["vectors_at_load_end"] = vectors
        if system != "off" and catch_up:
            started = time.perf_counter()
            while vectors < tickets and time.perf_counter() - started < CATCH_UP_TIMEOUT:
                time.sleep(0.5)
                tickets, vectors = _counts(db)
            result["catch_up_seconds"] = round(time.perf_counter() - started, 1)
            result["vectors_after_catch_up"] = vectors
            result["server_cpu_s_with_catch_up"] = server.cpu_seconds() - cpu0
    calls = args.count + args.warmup
    result["server_cpu_us_per_call"] = result["server_cpu_s"] / calls * 1e6
    result["reclusters"] = server.log_text().count('"reclustered"')
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed calls: {result['first_error']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.set_defaults(rounds=5)
    parser.add_argument("--client", choices=("aio", "threads"), default="aio")
    args = parser.parse_args()
    started = time.perf_counter()
    rounds: list[dict[str, Any]] = []
    with temp_dir(NAME) as tmp:
        for r in range(1, args.rounds + 1):
            row: dict[str, Any] = {"round": r}
            order = SYSTEMS if r % 2 else tuple(reversed(SYSTEMS))
            row["order"] = list(order)
            for system in order:
                db, log_path = tmp / f"r{r}-{system}.db", tmp / f"r{r}-{system}.log"
                res = measure(system, db, log_path, args, catch_up=r == 1)
                row[system] = res
                extra = ""
                if system != "off":
                    extra = (
                        f"; {res['vectors_at_load_end']:,}/{res['tickets_stored']:,} embedded at "
                        f"load end, rest in {res.get('catch_up_seconds', '(not waited for)')} s"
                    )
                log(f"round {r} embedder {system}: {_brief(res)}{extra}")
            rounds.append(row)

    per_round = {
        "throughput": [r["use"]["throughput"] / r["off"]["throughput"] for r in rounds],
        "p50": [r["off"]["p50_ms"] / r["use"]["p50_ms"] for r in rounds],
        "p99": [r["off"]["p99_ms"] / r["use"]["p99_ms"] for r in rounds],
    }
    ratios = {k: median(v) for k, v in per_round.items()}
    medians = {s: {k: median([r[s][k] for r in rounds]) for k in KEYS} for s in SYSTEMS}
    use_runs = [r["use"] for r in rounds]
    queue = {
        "embedded_share_at_load_end": median(
            [u["vectors_at_load_end"] / max(u["tickets_stored"], 1) for u in use_runs]
        ),
        "catch_up_seconds": use_runs[0]["catch_up_seconds"],
        "catch_up_tickets": use_runs[0]["tickets_stored"] - use_runs[0]["vectors_at_load_end"],
        "all_embedded": use_runs[0]["vectors_after_catch_up"] >= use_runs[0]["tickets_stored"],
    }
    write_result(
        NAME,
        {
            "config": {
                **load_config(args),
                "server_workers": args.workers,
                "client": args.client,
                "systems": {
                    "off": "ticketminer serve --embedder off (no queue), fresh SQLite db",
                    "use": "ticketminer serve --embedder use (the default: background "
                    "embedding queue), fresh SQLite db",
                },
            },
            "target_ratio": TARGET_RATIO,
            "ratios": ratios,
            "ratios_per_round": per_round,
            "pass": {k: v >= TARGET_RATIO for k, v in ratios.items()},
            "medians": medians,
            "queue": queue,
            "rounds": rounds,
        },
        started,
    )


if __name__ == "__main__":
    main()
