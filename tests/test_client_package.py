"""The light client (clients/python, distribution ticketminer-client): its stubs match the
proto, the built wheel imports without numpy, scikit-learn or the server package and
leaves the environment alone, and it talks to a real server; importing the server's own
stubs leaves numpy and the environment alone too, while the server still pins numpy."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from certs import make_ca, make_leaf
from grpc_helpers import good_ticket

from ticketminer.domain.api_keys import Scope
from ticketminer.numerics import _cpu_flags
from ticketminer.server import Server

ROOT = Path(__file__).resolve().parents[1]
CLIENT_DIR = ROOT / "clients" / "python"
sys.path.insert(0, str(CLIENT_DIR / "src"))

from ticketminer_client import (  # noqa: E402  (the client's source tree, put on the path above)
    DeadlineExceededError,
    InvalidArgumentError,
    RetryPolicy,
    TicketMinerClient,
    UnavailableError,
)
from ticketminer_client.v1 import ticketminer_pb2 as cpb  # noqa: E402
from ticketminer_client.v1 import ticketminer_pb2_grpc as cpb_grpc  # noqa: E402

PIN_VARIABLES = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_THREAD_TIMEOUT")
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)


def _unpinned_env(**extra: str) -> dict[str, str]:
    """This process's environment without the pin (conftest's numpy import set it)."""
    env = {k: v for k, v in os.environ.items() if k not in PIN_VARIABLES}
    return {**env, **extra}


def _run(script: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_client_stubs_match_the_proto() -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_stubs", CLIENT_DIR / "generate_stubs.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.drifted() == [], "run 'make client-proto'"


def test_server_stubs_leave_numpy_and_the_environment_alone_until_numpy_loads() -> None:
    seen = _run(
        """
        import json, os, sys
        before = dict(os.environ)
        import ticketminer.v1.ticketminer_pb2, ticketminer.v1.ticketminer_pb2_grpc
        stubs = {"numpy": "numpy" in sys.modules, "env_same": dict(os.environ) == before}
        import ticketminer.server  # the server's modules load numpy
        from numpy._core._multiarray_umath import __cpu_features__
        print(json.dumps({
            "stubs": stubs,
            "timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
            "avx512_skx": __cpu_features__.get("AVX512_SKX"),
        }))
        """,
        _unpinned_env(PYTHONPATH=str(ROOT / "src")),
    )
    assert seen["stubs"] == {"numpy": False, "env_same": True}
    # The server still pins, before numpy loads: numpy itself runs without AVX-512.
    assert seen["timeout"] == "4"
    if {"avx2", "avx512f"} <= _cpu_flags():
        assert seen["avx512_skx"] is False


@pytest.fixture(scope="module")
def installed_client(tmp_path_factory) -> Path:
    """The wheel built from clients/python (offline, from a copy of the tree) and
    installed into a folder of its own."""
    work = tmp_path_factory.mktemp("client")
    source = work / "source"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    offline = ["--no-deps", "--no-index", "--no-build-isolation"]
    subprocess.run([*pip, "wheel", *offline, "-w", str(work / "dist"), str(source)], check=True)
    (wheel,) = (work / "dist").glob("ticketminer_client-*.whl")
    target = work / "site"
    subprocess.run([*pip, "install", *offline, "--target", str(target), str(wheel)], check=True)
    return target


@pytest.fixture
def keyed_server(settings) -> Iterator[tuple[Server, str, str]]:
    """A real server with --auth keys: (server, write key, read key)."""
    srv = Server(replace(settings, auth="keys")).start()
    writer = srv.app.api_keys.create(["default"], Scope.WRITE)[1]
    reader = srv.app.api_keys.create(["default"], Scope.READ)[1]
    try:
        yield srv, writer, reader
    finally:
        srv.stop(grace=1)


def test_the_installed_client_imports_alone_and_talks_to_a_real_server(
    installed_client: Path, keyed_server
) -> None:
    srv, writer, reader = keyed_server
    seen = _run(
        """
        import importlib.abc, json, os, sys

        FORBIDDEN = ("numpy", "sklearn", "scipy", "ticketminer")

        class Forbid(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in FORBIDDEN:
                    raise ImportError(f"the client must not import {name}")

        sys.meta_path.insert(0, Forbid())
        before = dict(os.environ)
        import ticketminer_client
        from ticketminer_client import InvalidArgumentError, TicketMinerClient, pb
        from ticketminer_client import UnauthenticatedError
        imported = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
        env_same = dict(os.environ) == before

        def ticket(n):
            return pb.Ticket(
                external_id=f"T-{n}", channel="email", subject=f"parcel {n} late",
                status=pb.TICKET_STATUS_OPEN,
                created_at={"seconds": 1_772_442_000 + 60 * n},
            )

        port, writer, reader = os.environ["ARGS"].split()
        with TicketMinerClient(f"127.0.0.1:{port}", api_key=writer, timeout=20) as client:
            first = client.ingest_ticket(ticket(1))
            bulk = client.ingest_tickets(ticket(n) for n in range(2, 6))
            try:
                client.ingest_ticket(pb.Ticket(subject="no id, no time"))
                refused = None
            except InvalidArgumentError as err:
                refused = {v.field: v.description for v in err.field_violations}
        with TicketMinerClient(f"127.0.0.1:{port}", api_key=reader, timeout=20) as client:
            got = client.get_ticket("T-3")
            listed = [v.ticket.external_id for v in client.list_tickets(page_size=2)]
            metrics = client.get_metrics()
            tenants = [t.tenant_id for t in client.list_tenants(page_size=1)]
        try:
            TicketMinerClient(f"127.0.0.1:{port}").get_ticket("T-1")
            anonymous = "answered"
        except UnauthenticatedError as err:
            anonymous = err.code.name
        print(json.dumps({
            "module": ticketminer_client.__file__,
            "imported": imported,
            "env_same": env_same,
            "first": pb.IngestOutcome.Name(first.outcome),
            "bulk": [bulk.accepted, bulk.created, bulk.rejected],
            "refused": refused,
            "got": [got.ticket.external_id, got.ticket.subject],
            "listed": listed,
            "volume": metrics.overall.volume,
            "tenants": tenants,
            "anonymous": anonymous,
        }))
        """,
        _unpinned_env(PYTHONPATH=str(installed_client), ARGS=f"{srv.port} {writer} {reader}"),
    )
    assert seen["module"].startswith(str(installed_client))  # the wheel, not the source tree
    assert seen["imported"] == []
    assert seen["env_same"] is True
    assert seen["first"] == "INGEST_OUTCOME_CREATED"
    assert seen["bulk"] == [4, 4, 0]
    assert "ticket.external_id" in seen["refused"]
    assert "ticket.created_at" in seen["refused"]
    assert seen["got"] == ["T-3", "parcel 3 late"]
    # Five tickets through pages of two: newest first, none lost or repeated.
    assert seen["listed"] == ["T-5", "T-4", "T-3", "T-2", "T-1"]
    assert seen["volume"] == 5
    assert seen["tenants"] == ["default"]
    assert seen["anonymous"] == "UNAUTHENTICATED"


class FlakyServicer(cpb_grpc.TicketMinerServicer):
    """Answers UNAVAILABLE `failures` times, then serves; records what each call sent."""

    def __init__(self, failures: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE):
        self.failures = failures
        self.code = code
        self.calls: list[dict[str, str]] = []
        self.streamed: list[list[str]] = []
        self._lock = threading.Lock()

    def _attempt(self, context: grpc.ServicerContext) -> None:
        with self._lock:
            self.calls.append(dict(context.invocation_metadata()))
            failing = len(self.calls) <= self.failures
        if failing:
            context.abort(self.code, "try again")

    def GetTicket(self, request, context):
        self._attempt(context)
        return cpb.GetTicketResponse(ticket=cpb.Ticket(external_id=request.external_id))

    def IngestTickets(self, request_iterator, context):
        ids = [r.ticket.external_id for r in request_iterator]
        self.streamed.append(ids)
        self._attempt(context)
        return cpb.IngestTicketsResponse(accepted=len(ids))


@pytest.fixture
def flaky() -> Iterator[tuple[FlakyServicer, str]]:
    from concurrent.futures import ThreadPoolExecutor

    servicer = FlakyServicer(failures=2)
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    cpb_grpc.add_TicketMinerServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def test_unavailable_is_retried_with_the_key_on_every_attempt(flaky) -> None:
    servicer, target = flaky
    with TicketMinerClient(target, api_key="k-1", retry=FAST_RETRY, timeout=5) as client:
        assert client.get_ticket("T-9").ticket.external_id == "T-9"
    assert [c.get("authorization") for c in servicer.calls] == ["Bearer k-1"] * 3


def test_retries_give_up_with_a_typed_error(flaky) -> None:
    servicer, target = flaky
    servicer.failures = 100
    client = TicketMinerClient(target, retry=FAST_RETRY, timeout=5)
    with client, pytest.raises(UnavailableError) as err:
        client.get_ticket("T-9")
    assert (err.value.message, len(servicer.calls)) == ("try again", 3)


def test_other_codes_are_not_retried(flaky) -> None:
    servicer, target = flaky
    servicer.code = grpc.StatusCode.INVALID_ARGUMENT
    client = TicketMinerClient(target, retry=FAST_RETRY, timeout=5)
    with client, pytest.raises(InvalidArgumentError) as err:
        client.get_ticket("T-9")
    assert len(servicer.calls) == 1
    assert err.value.field_violations == []  # this server sent no BadRequest detail


def test_a_ticket_list_is_streamed_again_but_an_iterator_is_sent_once(flaky) -> None:
    servicer, target = flaky
    tickets = [cpb.Ticket(external_id=f"T-{n}") for n in range(3)]
    with TicketMinerClient(target, retry=FAST_RETRY, timeout=5) as client:
        assert client.ingest_tickets(tickets).accepted == 3
        assert servicer.streamed == [["T-0", "T-1", "T-2"]] * 3
        servicer.calls.clear()
        with pytest.raises(UnavailableError):
            client.ingest_tickets(iter(tickets))
    assert len(servicer.calls) == 1


def test_the_deadline_covers_the_retries(flaky) -> None:
    servicer, target = flaky
    servicer.failures = 100
    slow = RetryPolicy(max_attempts=50, initial_backoff=0.2, max_backoff=0.2, multiplier=1)
    client = TicketMinerClient(target, retry=slow, timeout=0.5)
    started = time.monotonic()
    # The last UNAVAILABLE when no pause fits, DEADLINE_EXCEEDED when time ran out mid-call.
    with client, pytest.raises((UnavailableError, DeadlineExceededError)):
        client.get_ticket("T-9")
    assert time.monotonic() - started < 1.0
    # Pauses average 0.1 s: a 0.5 s deadline leaves room for a handful, never fifty.
    assert 1 <= len(servicer.calls) < 20


def test_the_client_speaks_tls_with_a_given_ca(settings, tmp_path) -> None:
    ca, ca_key = make_ca(tmp_path, "ca")
    leaf = make_leaf(tmp_path, "server", ca, ca_key, server=True)
    srv = Server(
        replace(settings, tls_cert_file=str(leaf.cert_file), tls_key_file=str(leaf.key_file))
    ).start()
    try:
        trusting = grpc.ssl_channel_credentials(root_certificates=ca.cert)
        with TicketMinerClient(f"localhost:{srv.port}", tls=trusting, timeout=10) as client:
            client.ingest_ticket(good_ticket("T-1"))
            assert [t.tenant_id for t in client.list_tenants()] == ["default"]
        plain = TicketMinerClient(f"localhost:{srv.port}", retry=FAST_RETRY, timeout=5)
        with plain, pytest.raises(UnavailableError):
            list(plain.list_tenants())
    finally:
        srv.stop(grace=1)
