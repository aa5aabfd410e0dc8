"""IngestTicket under 32 calls in flight: ticketminer against a trivial echo server.

Each round starts the sync echo server (bench.echo_server, 32 workers) and then
`ticketminer serve` (32 workers, fresh SQLite db, default INFO logging), each in
its own process, and drives both with the same load process and the same request
bytes (bench.load, grpc.aio client, distinct external_ids, realistic tickets).
A third run per round repeats ticketminer with --log-level WARNING to price the
per-RPC access log. Rounds interleave the servers so drift on the shared cores
hits both alike; ratios are computed per round and their median is reported.

Afterwards: which client loads the server harder per client CPU (aio vs threads,
against echo), and a CPU profile of ticketminer under the same load.

    python -m bench.ingest_latency [--rounds 3 --count 10000 --warmup 500]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    ServerProc,
    add_load_arguments,
    echo_argv,
    free_port,
    load_config,
    log,
    median,
    ratios_per_round,
    run_json,
    temp_dir,
    ticketminer_argv,
    write_result,
)
from bench.profile_summary import summarize

NAME = "ingest_latency"
TARGET_RATIO = 0.6
LOAD_TIMEOUT = 300.0

PROFILE_ENTRIES = {
    "servicer IngestTicket (decode, validate, wait for commit)": (
        "api/servicer.py",
        "IngestTicket",
    ),
    "grpc: request parse (lenient_parser)": ("api/deserialize.py", "parse"),
    "access log (interceptor _log)": ("api/interceptors.py", "_log"),
    "wire -> domain (ticket_from_proto)": ("api/convert.py", "ticket_from_proto"),
    "validation (validate_ticket)": ("domain/validation.py", "validate_ticket"),
    "response (ingest_result_to_proto)": ("api/convert.py", "ingest_result_to_proto"),
    "group commit: whole transaction (_commit)": ("store/group_commit.py", "_commit"),
    "  store_tickets": ("services/ticket_writes.py", "store_tickets"),
    "    plan_upsert (hash + analyse)": ("domain/upsert.py", "plan_upsert"),
    "    write_plans (SQL)": ("store/tickets_repo.py", "write_plans"),
    "    fetch_summaries (SQL)": ("store/tickets_repo.py", "fetch_summaries"),
    "    SQLAlchemy statement compile": ("sqlalchemy/sql/elements.py", "compile"),
    "  sqlite COMMIT": ("~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    "grpc sync server poll loop (_serve)": ("grpc/_server.py", "_serve"),
    "grpc: unary call in pool (_unary_response_in_pool)": (
        "grpc/_server.py",
        "_unary_response_in_pool",
    ),
}


def _load_argv(address: str, args: argparse.Namespace, client: str, count: int, warmup: int):
    return [
        PYTHON,
        "-m",
        "bench.load",
        "unary",
        "--target",
        address,
        "--client",
        client,
        "--concurrency",
        str(args.concurrency),
        "--count",
        str(count),
        "--warmup",
        str(warmup),
        "--prefix",
        "I",
    ]


def measure(
    server: tuple[list[str], int],
    log_path: Path,
    args: argparse.Namespace,
    client: str | None = None,
    count: int | None = None,
    warmup: int | None = None,
) -> dict[str, Any]:
    """Start `server` = (argv, port or 0), run one load against it, stop it."""
    count = args.count if count is None else count
    warmup = args.warmup if warmup is None else warmup
    with ServerProc(server[0], log_path, port=server[1]) as server:
        cpu0 = server.cpu_seconds()
        result = run_json(
            _load_argv(server.address, args, client or args.client, count, warmup),
            timeout=LOAD_TIMEOUT,
        )
        server_cpu = server.cpu_seconds() - cpu0
    result["server_cpu_s"] = server_cpu
    # Warm-up calls ran against the same process, so they share the CPU bill.
    result["server_cpu_us_per_call"] = server_cpu / (count + warmup) * 1e6
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed calls: {result['first_error']}")
    return result


def _brief(r: dict[str, Any]) -> str:
    return (
        f"{r['throughput']:.0f} calls/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
        f"server {r['server_cpu_us_per_call']:.0f} us CPU/call"
    )


KEYS = ("throughput", "p50_ms", "p90_ms", "p99_ms", "server_cpu_us_per_call")
KEYS += ("client_cpu_us_per_call",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    parser.add_argument("--client", choices=("aio", "threads"), default="aio")
    parser.add_argument("--no-extras", action="store_true", help="skip calibration and profile")
    args = parser.parse_args()
    started = time.perf_counter()
    workers = ("--workers", str(args.workers))

    def quiet(d: Path, r: int) -> tuple[list[str], int]:
        # At WARNING the "serving" line is not logged, so the port is chosen here.
        port = free_port()
        return ticketminer_argv(
            d / f"r{r}-q.db", *workers, "--log-level", "WARNING", port=port
        ), port

    systems = {
        "echo": lambda d, r: (echo_argv("sync", args.workers), 0),
        "ticketminer": lambda d, r: (ticketminer_argv(d / f"r{r}.db", *workers), 0),
        "ticketminer_log_warning": quiet,
    }
    rounds: list[dict[str, Any]] = []
    with temp_dir(NAME) as tmp:
        for r in range(1, args.rounds + 1):
            row: dict[str, Any] = {"round": r}
            for name, argv in systems.items():
                row[name] = measure(argv(tmp, r), tmp / f"{name}-{r}.log", args)
                log(f"round {r} {name}: {_brief(row[name])}")
            rounds.append(row)

        medians = {
            name: {k: median([row[name][k] for row in rounds]) for k in KEYS} for name in systems
        }
        per_round = ratios_per_round(rounds, "ticketminer", "echo")
        ratios = {k: median(v) for k, v in per_round.items()}
        quiet_gain = median(
            [
                row["ticketminer_log_warning"]["throughput"] / row["ticketminer"]["throughput"]
                for row in rounds
            ]
        )

        extras: dict[str, Any] = {}
        if not args.no_extras:
            calib = []
            for client in ("aio", "threads", "aio", "threads"):
                res = measure(systems["echo"](tmp, 0), tmp / "calib.log", args, client, 4000, 300)
                calib.append({"client": client, **{k: res[k] for k in KEYS}})
                client_us = res["client_cpu_us_per_call"]
                log(f"client {client} vs echo: {_brief(res)}, client {client_us:.0f} us CPU/call")
            extras["client_calibration"] = calib
            prof = tmp / "ticketminer.prof"
            count, warmup = 3000, 200
            res = measure(
                (ticketminer_argv(tmp / "prof.db", *workers, profile_to=prof), 0),
                tmp / "prof.log",
                args,
                count=count,
                warmup=warmup,
            )
            extras["profile"] = {
                "load_under_profiler": {k: res[k] for k in KEYS},
                **summarize(prof, PROFILE_ENTRIES, count + warmup),
            }

    ok = {k: v >= TARGET_RATIO for k, v in ratios.items()}
    write_result(
        NAME,
        {
            "config": {
                **load_config(args),
                "server_workers": args.workers,
                "client": args.client,
                "echo": "sync grpc.server, raw-bytes handler, fixed IngestTicketResponse",
                "ticketminer": "ticketminer serve, fresh SQLite db per run, default settings",
            },
            "target_ratio": TARGET_RATIO,
            "ratios": ratios,
            "ratios_per_round": per_round,
            "pass": ok,
            "medians": medians,
            "access_log_off_throughput_gain": quiet_gain,
            "rounds": rounds,
            **extras,
        },
        started,
    )


if __name__ == "__main__":
    main()
