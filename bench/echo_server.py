"""A trivial gRPC server: the baseline for what gRPC in Python costs on this machine.

It registers the ticketminer method names with raw-bytes handlers (no request
parsing, no interceptor, no work) that answer a small fixed IngestTicketResponse,
so a load generator can send it exactly the bytes it sends ticketminer.

    python -m bench.echo_server --flavour sync --workers 32   # or --flavour aio

Logs {"event":"serving","port":N} on stderr like `ticketminer serve`; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from ticketminer.v1 import ticketminer_pb2 as pb

SERVICE = "ticketminer.v1.TicketMiner"
MAX_MESSAGE = 16 * 1024 * 1024
OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
]

# What ticketminer answers for a new solved ticket, so both servers send alike.
RESPONSE = pb.IngestTicketResponse(
    tenant_id="default",
    external_id="T-00000000",
    outcome=pb.INGEST_OUTCOME_CREATED,
    analysis=pb.TicketAnalysis(
        first_response_seconds=5400.0,
        resolution_seconds=86400.0,
        full_resolution_seconds=86400.0,
        public_agent_replies=1,
        solved=True,
        ever_solved=True,
        fcr=True,
        fcr_no_followup=True,
    ),
).SerializeToString()
BULK_RESPONSE = pb.IngestTicketsResponse(accepted=1, created=1).SerializeToString()


def _serving(port: int, flavour: str) -> None:
    line = {"event": "serving", "host": "127.0.0.1", "port": port, "flavour": flavour}
    print(json.dumps(line, separators=(",", ":")), file=sys.stderr, flush=True)


def _sync_handlers() -> grpc.GenericRpcHandler:
    def unary(request: bytes, context: grpc.ServicerContext) -> bytes:
        return RESPONSE

    def stream(requests: Any, context: grpc.ServicerContext) -> bytes:
        for _ in requests:
            pass
        return BULK_RESPONSE

    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "IngestTicket": grpc.unary_unary_rpc_method_handler(unary),
            "IngestTickets": grpc.stream_unary_rpc_method_handler(stream),
        },
    )


def serve_sync(workers: int) -> None:
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc"),
        options=OPTIONS,
        maximum_concurrent_rpcs=256,
    )
    server.add_generic_rpc_handlers((_sync_handlers(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    _serving(port, "sync")
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=lambda: server.stop(1).wait(), name="stop").start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.wait_for_termination()


async def _serve_aio() -> None:
    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return RESPONSE

    async def stream(requests: Any, context: grpc.aio.ServicerContext) -> bytes:
        async for _ in requests:
            pass
        return BULK_RESPONSE

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "IngestTicket": grpc.unary_unary_rpc_method_handler(unary),
            "IngestTickets": grpc.stream_unary_rpc_method_handler(stream),
        },
    )
    server = grpc.aio.server(options=OPTIONS, maximum_concurrent_rpcs=256)
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    _serving(port, "aio")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=("sync", "aio"), default="sync")
    parser.add_argument("--workers", type=int, default=32, help="thread pool size (sync)")
    args = parser.parse_args()
    if args.flavour == "sync":
        serve_sync(args.workers)
    else:
        asyncio.run(_serve_aio())


if __name__ == "__main__":
    main()
