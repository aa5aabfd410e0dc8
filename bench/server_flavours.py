"""Sync grpc.server vs grpc.aio server, both serving the trivial echo service.

The server module says the sync server was measured faster than grpc.aio on this
machine; this re-measures it. Each round runs the sync echo server (32 worker
threads) and the aio echo server (one event loop, async handler) in their own
processes, interleaved, under the same load process (grpc.aio client, 32 calls in
flight, identical ~1.1 kB IngestTicket request bytes).

    python -m bench.server_flavours [--rounds 3 --count 10000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import (
    PYTHON,
    ServerProc,
    add_load_arguments,
    echo_argv,
    load_config,
    log,
    median,
    ratios_per_round,
    run_json,
    temp_dir,
    write_result,
)

NAME = "server_flavours"
KEYS = ("throughput", "p50_ms", "p99_ms", "server_cpu_us_per_call", "client_cpu_us_per_call")


def run(flavour: str, args: argparse.Namespace, tmp_log: Any) -> dict[str, Any]:
    with ServerProc(echo_argv(flavour, args.workers), tmp_log) as server:
        cpu0 = server.cpu_seconds()
        argv = [PYTHON, "-m", "bench.load", "unary", "--target", server.address]
        argv += ["--concurrency", str(args.concurrency), "--count", str(args.count)]
        argv += ["--warmup", str(args.warmup), "--client", "aio", "--prefix", "F"]
        result = run_json(argv, timeout=300)
        cpu = server.cpu_seconds() - cpu0
    result["server_cpu_us_per_call"] = cpu / (args.count + args.warmup) * 1e6
    if result["errors"]:
        raise RuntimeError(result["first_error"])
    return {k: result[k] for k in KEYS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser)
    args = parser.parse_args()
    started = time.perf_counter()
    rounds = []
    with temp_dir(NAME) as tmp:
        for r in range(1, args.rounds + 1):
            row: dict[str, Any] = {"round": r}
            for flavour in ("sync", "aio"):
                row[flavour] = run(flavour, args, tmp / f"{flavour}-{r}.log")
                res = row[flavour]
                log(
                    f"round {r} {flavour}: {res['throughput']:.0f} calls/s, "
                    f"p50 {res['p50_ms']:.1f} ms, p99 {res['p99_ms']:.1f} ms"
                )
            rounds.append(row)
    sync_vs_aio = ratios_per_round(rounds, "sync", "aio")
    per_round = {
        "throughput_sync_over_aio": sync_vs_aio["throughput"],
        "p50_aio_over_sync": sync_vs_aio["p50"],
        "p99_aio_over_sync": sync_vs_aio["p99"],
    }
    ratios = {k: median(v) for k, v in per_round.items()}
    write_result(
        NAME,
        {
            "config": {
                **load_config(args),
                "sync_workers": args.workers,
                "client": "aio",
            },
            "claim": "sync grpc.server is faster than grpc.aio on this workload",
            "ratios": ratios,
            "ratios_per_round": per_round,
            "claim_holds": ratios["throughput_sync_over_aio"] > 1.0,
            "medians": {
                f: {k: median([r[f][k] for r in rounds]) for k in KEYS} for f in ("sync", "aio")
            },
            "rounds": rounds,
        },
        started,
    )


if __name__ == "__main__":
    main()
