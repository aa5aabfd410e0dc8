"""Load generator, run as its own process: N unary calls with C in flight, or bulk streams.

    python -m bench.load unary --target 127.0.0.1:PORT --client aio --concurrency 32 \
        --count 10000 --warmup 500 --prefix r1
    python -m bench.load stream --target 127.0.0.1:PORT --count 100000 --streams 1

Requests are generated and serialised before the clock starts and sent as raw bytes
(no client-side serialisation), so a server under test receives identical bytes
whatever it is. Prints one JSON document with throughput, latency percentiles and
this process's CPU time, so the client's own cost on the shared cores is visible.

Clients (unary):
  aio      grpc.aio channel, C coroutines on one event loop (the default: on this
           machine it drives more calls per client CPU second; see ingest_latency)
  threads  sync channel, C threads each making blocking calls
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator

import grpc

from bench.common import percentile, self_cpu_seconds
from bench.ticket_gen import DEFAULT_SEED, ingest_request_bytes, specs

INGEST = "/ticketminer.v1.TicketMiner/IngestTicket"
INGEST_STREAM = "/ticketminer.v1.TicketMiner/IngestTickets"
CALL_TIMEOUT = 60.0
OPTIONS = [("grpc.max_send_message_length", 16 * 1024 * 1024)]


def requests(count: int, prefix: str, seed: int) -> list[bytes]:
    return [ingest_request_bytes(s) for s in specs(count, seed=seed, prefix=prefix)]


class Tally:
    def __init__(self, n: int) -> None:
        self.latency = [0.0] * n
        self.errors = 0
        self.first_error = ""

    def error(self, exc: grpc.RpcError) -> None:
        self.errors += 1
        if not self.first_error:
            code = exc.code() if hasattr(exc, "code") else None
            details = exc.details() if hasattr(exc, "details") else str(exc)
            self.first_error = f"{code}: {details}"


async def _aio_phase(target: str, reqs: list[bytes], concurrency: int) -> tuple[Tally, float]:
    tally = Tally(len(reqs))
    async with grpc.aio.insecure_channel(target, options=OPTIONS) as channel:
        await asyncio.wait_for(channel.channel_ready(), 20)
        call = channel.unary_unary(INGEST)
        counter = itertools.count()
        n = len(reqs)

        async def worker() -> None:
            while (i := next(counter)) < n:
                t0 = time.perf_counter()
                try:
                    await call(reqs[i], timeout=CALL_TIMEOUT)
                except grpc.aio.AioRpcError as exc:
                    tally.error(exc)
                tally.latency[i] = time.perf_counter() - t0

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return tally, time.perf_counter() - started


def _threads_phase(target: str, reqs: list[bytes], concurrency: int) -> tuple[Tally, float]:
    tally = Tally(len(reqs))
    with grpc.insecure_channel(target, options=OPTIONS) as channel:
        grpc.channel_ready_future(channel).result(timeout=20)
        call = channel.unary_unary(INGEST)
        counter = itertools.count()  # next() on it is atomic under the GIL
        n = len(reqs)

        def worker() -> None:
            while (i := next(counter)) < n:
                t0 = time.perf_counter()
                try:
                    call(reqs[i], timeout=CALL_TIMEOUT)
                except grpc.RpcError as exc:
                    tally.error(exc)
                tally.latency[i] = time.perf_counter() - t0

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return tally, time.perf_counter() - started


def _phase(client: str, target: str, reqs: list[bytes], concurrency: int) -> tuple[Tally, float]:
    if client == "aio":
        return asyncio.run(_aio_phase(target, reqs, concurrency))
    return _threads_phase(target, reqs, concurrency)


def unary(args: argparse.Namespace) -> dict[str, object]:
    warm = requests(args.warmup, f"{args.prefix}-warm", args.seed + 1)
    reqs = requests(args.count, args.prefix, args.seed)
    if warm:
        _phase(args.client, args.target, warm, args.concurrency)
    cpu0 = self_cpu_seconds()
    tally, seconds = _phase(args.client, args.target, reqs, args.concurrency)
    cpu = self_cpu_seconds() - cpu0
    ms = [x * 1000 for x in tally.latency]
    return {
        "mode": "unary",
        "client": args.client,
        "concurrency": args.concurrency,
        "calls": len(reqs),
        "warmup_calls": len(warm),
        "errors": tally.errors,
        "first_error": tally.first_error,
        "seconds": seconds,
        "throughput": len(reqs) / seconds,
        "p50_ms": percentile(ms, 0.5),
        "p90_ms": percentile(ms, 0.9),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms) if ms else float("nan"),
        "mean_ms": sum(ms) / len(ms) if ms else float("nan"),
        "client_cpu_s": cpu,
        "client_cpu_us_per_call": cpu / len(reqs) * 1e6,
        "request_bytes_mean": sum(map(len, reqs)) / len(reqs),
    }


def stream(args: argparse.Namespace) -> dict[str, object]:
    """`streams` concurrent IngestTickets calls sharing `count` tickets."""
    reqs = requests(args.count, args.prefix, args.seed)
    per = -(-len(reqs) // args.streams)
    parts = [reqs[i : i + per] for i in range(0, len(reqs), per)]
    results: list[bytes | None] = [None] * len(parts)
    errors: list[str] = []
    with grpc.insecure_channel(args.target, options=OPTIONS) as channel:
        grpc.channel_ready_future(channel).result(timeout=20)
        call = channel.stream_unary(INGEST_STREAM)

        def send(k: int) -> None:
            def items() -> Iterator[bytes]:
                yield from parts[k]

            try:
                results[k] = call(items(), timeout=args.timeout)
            except grpc.RpcError as exc:
                errors.append(f"{exc.code()}: {exc.details()}")  # type: ignore[attr-defined]

        threads = [threading.Thread(target=send, args=(k,)) for k in range(len(parts))]
        cpu0 = self_cpu_seconds()
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        cpu = self_cpu_seconds() - cpu0
    from ticketminer.v1 import ticketminer_pb2 as pb

    accepted = rejected = 0
    for raw in results:
        if raw is not None:
            resp = pb.IngestTicketsResponse.FromString(raw)
            accepted += resp.accepted
            rejected += resp.rejected
    return {
        "mode": "stream",
        "streams": len(parts),
        "tickets": len(reqs),
        "accepted": accepted,
        "rejected": rejected,
        "errors": errors,
        "seconds": seconds,
        "tickets_per_s": len(reqs) / seconds,
        "client_cpu_s": cpu,
        "request_bytes_mean": sum(map(len, reqs)) / len(reqs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("unary", "stream"):
        p = sub.add_parser(name)
        p.add_argument("--target", required=True)
        p.add_argument("--count", type=int, default=10_000)
        p.add_argument("--prefix", default="L")
        p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    u = sub.choices["unary"]
    u.add_argument("--client", choices=("aio", "threads"), default="aio")
    u.add_argument("--concurrency", type=int, default=32)
    u.add_argument("--warmup", type=int, default=500)
    s = sub.choices["stream"]
    s.add_argument("--streams", type=int, default=1)
    s.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    out = unary(args) if args.mode == "unary" else stream(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
