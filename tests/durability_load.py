"""A client load that remembers what the server acknowledged, and checks that a
database holds it: shared by the durability test and the reliability suite.

Not a test module (pytest puts this directory on sys.path, as for builders.py).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc

from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

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

    def __init__(self, address: str, target_acks: int = TARGET_ACKS, prefix: str = "") -> None:
        self.address = address
        self.target_acks, self.prefix = target_acks, prefix
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
                    ext, version = f"{self.prefix}w{w}-{step * WORKERS + w}", 0
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
                    if self.ack_count >= self.target_acks:
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
