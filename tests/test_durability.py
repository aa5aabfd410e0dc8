"""Acknowledged means durable: kill -9 the server right after the last of many
concurrent acknowledgements (with other calls still in flight), restart it on the
same SQLite file, and find every acknowledged ticket with the acknowledged content."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from server_process import ServerProcess

from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

pytestmark = pytest.mark.e2e

TENANT = "durable"
WORKERS = 8
TARGET_ACKS = 300  # kill as soon as this many calls were acknowledged
UPDATE_EVERY = 4  # every 4th call of a worker updates one of its own tickets
RPC_TIMEOUT = 10.0
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_ticket(external_id: str, version: int) -> pb.Ticket:
    """The content of `external_id` at `version`; later versions have a later updated_at."""
    n = int(external_id.rsplit("-", 1)[1])
    created = T0 + timedelta(minutes=n)
    ticket = pb.Ticket(
        tenant_id=TENANT,
        external_id=external_id,
        channel=("email", "chat", "phone")[n % 3],
        subject=f"Order {external_id} v{version}",
        description=f"Parcel for {external_id} is late (version {version}). 包裹延误",
        status=pb.TICKET_STATUS_SOLVED if version % 2 else pb.TICKET_STATUS_OPEN,
        customer_id=f"cust-{n % 17}",
        csat=1 + (n + version) % 5,
        attributes={"carrier": ("SF", "JD", "EMS")[n % 3], "version": str(version)},
        tags=["late", f"v{version}"],
    )
    ticket.created_at.FromDatetime(created)
    ticket.updated_at.FromDatetime(created + timedelta(minutes=10 + version))
    for i in range(1 + version % 3):
        msg = ticket.messages.add(
            author_role=pb.AUTHOR_ROLE_CUSTOMER if i % 2 == 0 else pb.AUTHOR_ROLE_AGENT,
            body=f"message {i} of {external_id} v{version}",
            public=True,
            external_id=f"{external_id}-m{i}",
        )
        msg.created_at.FromDatetime(created + timedelta(minutes=i))
    if ticket.status == pb.TICKET_STATUS_SOLVED:
        ticket.solved_at.FromDatetime(created + timedelta(minutes=5 + version))
        ticket.first_solved_at.FromDatetime(created + timedelta(minutes=5))
    return ticket


def version_of(ticket: pb.Ticket) -> int:
    return int(ticket.subject.rsplit(" v", 1)[1])


class Load:
    """Worker threads ingesting concurrently. Each worker owns its tickets and calls
    sequentially, so each has at most one call in flight; `acked` holds the last
    acknowledged version of every ticket, `in_flight` the version whose call had no
    answer (yet) when the server died."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {}
        self.in_flight: dict[int, tuple[str, int]] = {}
        self.ack_count = 0
        self.enough = threading.Event()
        self.stop = threading.Event()
        self.unexpected: list[str] = []

    def worker(self, w: int) -> None:
        own: list[str] = []  # acknowledged ids of this worker
        versions: dict[str, int] = {}
        with grpc.insecure_channel(self.address) as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            for step in range(10_000):
                if self.stop.is_set():
                    return
                if own and step % UPDATE_EVERY == UPDATE_EVERY - 1:
                    ext = own[step % len(own)]
                    version = versions[ext] + 1
                    expected = pb.INGEST_OUTCOME_UPDATED
                else:
                    ext, version = f"w{w}-{step * WORKERS + w}", 0
                    expected = pb.INGEST_OUTCOME_CREATED
                with self.lock:
                    self.in_flight[w] = (ext, version)
                request = pb.IngestTicketRequest(ticket=make_ticket(ext, version))
                try:
                    response = stub.IngestTicket(request, timeout=RPC_TIMEOUT)
                except grpc.RpcError as exc:
                    if not self.enough.is_set():
                        with self.lock:
                            self.unexpected.append(f"{ext} v{version}: {exc.code()}")
                    return  # the server was killed (or broke): stop this worker
                with self.lock:
                    del self.in_flight[w]
                    if response.outcome != expected:
                        self.unexpected.append(f"{ext} v{version}: {response.outcome}")
                    self.acked[ext] = version
                    self.ack_count += 1
                    if self.ack_count >= TARGET_ACKS:
                        self.enough.set()
                if version == 0:
                    own.append(ext)
                versions[ext] = version

    @contextmanager
    def running(self) -> Iterator[list[threading.Thread]]:
        threads = [
            threading.Thread(target=self.worker, args=(w,), name=f"load-{w}", daemon=True)
            for w in range(WORKERS)
        ]
        for t in threads:
            t.start()
        try:
            yield threads
        finally:
            self.stop.set()
            for t in threads:
                t.join(timeout=RPC_TIMEOUT + 5)


def integrity_check(db: Path) -> str:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def copy_db(db: Path, dest_dir: Path) -> Path:
    """The database file with its WAL, as a crash left them (SQLite recovers the WAL)."""
    dest_dir.mkdir()
    for suffix in ("", "-wal"):
        src = Path(str(db) + suffix)
        if src.exists():
            shutil.copyfile(src, dest_dir / (db.name + suffix))
    return dest_dir / db.name


def list_all(stub: pb_grpc.TicketMinerStub) -> list[pb.TicketView]:
    out: list[pb.TicketView] = []
    token = ""
    for _ in range(100):
        page = stub.ListTickets(
            pb.ListTicketsRequest(
                tenant_id=TENANT, page_size=1000, page_token=token, include_messages=True
            ),
            timeout=RPC_TIMEOUT,
        )
        out.extend(page.tickets)
        token = page.next_page_token
        if not token:
            return out
    raise AssertionError("ListTickets never reached the last page")


def test_every_acknowledged_ticket_survives_kill_9(tmp_path):
    db = tmp_path / "t.db"
    server = ServerProcess(db).start()
    load = Load(server.address)
    try:
        with load.running():
            assert load.enough.wait(timeout=40), f"too slow: {load.ack_count} acks\n{server.log}"
            assert server.kill9() == -9
            with load.lock:
                acked = dict(load.acked)
                maybe = {ext: v for ext, v in load.in_flight.values()}
    finally:
        if server.running:
            server.kill9()
    assert not load.unexpected, load.unexpected[:10]
    assert len(acked) >= TARGET_ACKS * (UPDATE_EVERY - 1) // UPDATE_EVERY - WORKERS
    assert any(v > 0 for v in acked.values()), "some acknowledged calls were updates"
    assert "stopped" not in [e.get("event") for e in server.events()]

    # The crashed file (with its WAL) is a sound database.
    assert integrity_check(copy_db(db, tmp_path / "crashed")) == "ok"

    with ServerProcess(db) as again, grpc.insecure_channel(again.address) as channel:
        stub = pb_grpc.TicketMinerStub(channel)
        for ext, version in sorted(acked.items()):
            got = stub.GetTicket(
                pb.GetTicketRequest(tenant_id=TENANT, external_id=ext), timeout=RPC_TIMEOUT
            )
            stored = version_of(got.ticket)
            # The acknowledged version, or the newer one whose answer the kill cut off.
            allowed = {version} | ({maybe[ext]} if ext in maybe else set())
            assert stored in allowed, f"{ext}: stored v{stored}, acknowledged v{version}"
            expected = make_ticket(ext, stored)
            assert json_format.MessageToDict(got.ticket) == json_format.MessageToDict(expected)

        listed = {v.ticket.external_id: v.ticket for v in list_all(stub)}
        # Every acknowledged ticket, plus at most the in-flight new ones; no duplicates.
        assert set(acked) <= set(listed)
        assert set(listed) - set(acked) <= set(maybe)
        for ext, ticket in listed.items():
            assert ticket == make_ticket(ext, version_of(ticket))
        metrics = stub.GetMetrics(pb.GetMetricsRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT)
        assert metrics.overall.volume == len(listed)
    assert integrity_check(db) == "ok"
