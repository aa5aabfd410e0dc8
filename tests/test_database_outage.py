"""With the database down, calls return UNAVAILABLE (promptly, not after a hang),
nothing is acknowledged that was not written, and the service recovers by itself
when the database returns.

The outage itself is only meaningful on PostgreSQL (a server that can go away): a
TCP proxy between the server and PostgreSQL is cut and restored. The mapping and the
background loops are checked everywhere.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from databases import fresh_db, postgres_url
from grpc_helpers import good_ticket
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from tcp_proxy import TcpProxy

from ticketminer.api.errors import DATABASE_UNAVAILABLE, status_of
from ticketminer.config import Settings
from ticketminer.domain.errors import Cancelled
from ticketminer.server import Server
from ticketminer.services.tenant_loop import TenantLoop
from ticketminer.store.engine import make_engine
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TENANT = "outage"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raised(call) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    return info.value


def test_database_errors_map_to_unavailable_and_bugs_stay_internal(tmp_path) -> None:
    unreachable = make_engine(f"postgresql+psycopg://u:p@127.0.0.1:{_free_port()}/none")
    missing_dir = make_engine(str(tmp_path / "no" / "such" / "dir" / "x.db"))
    sqlite = make_engine(str(tmp_path / "x.db"))
    try:
        refused = _raised(lambda: unreachable.connect().close())
        cannot_open = _raised(lambda: missing_dir.connect().close())
        with sqlite.connect() as conn:
            bug = _raised(lambda: conn.execute(text("SELECT * FROM no_such_table")))
    finally:
        for engine in (unreachable, missing_dir, sqlite):
            engine.dispose()
    assert isinstance(refused, OperationalError)
    for exc in (refused, cannot_open, PoolTimeout("QueuePool limit reached")):
        status = status_of(exc)
        assert status.code == grpc.StatusCode.UNAVAILABLE, exc
        assert status.details == DATABASE_UNAVAILABLE
    assert status_of(bug).code == grpc.StatusCode.INTERNAL  # a bug is not an outage
    assert status_of(Cancelled(deadline_exceeded=True)).code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert status_of(Cancelled()).code == grpc.StatusCode.CANCELLED


def test_background_loops_survive_a_database_outage() -> None:
    """The schedulers' loop logs a failed round and tries again next period."""
    down = threading.Event()
    down.set()
    ran = threading.Event()

    def tenants() -> list[str]:
        if down.is_set():
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return ["a"]

    loop = TenantLoop("test-loop", tenants, lambda _t: True, lambda _t: ran.set() or 1, 0.02)
    loop.start()
    try:
        time.sleep(0.2)  # several failed rounds
        assert not ran.is_set()
        down.clear()
        assert ran.wait(5), "the loop died with the database"
    finally:
        loop.stop()


# -- a real outage, PostgreSQL behind a proxy ----------------------------------------


@pytest.fixture
def proxied(tmp_path) -> Iterator[tuple[TcpProxy, str]]:
    if postgres_url() is None:
        pytest.skip("a database outage needs PostgreSQL: set TICKETMINER_TEST_DATABASE_URL")
    url = make_url(fresh_db(tmp_path, "outage"))
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port)
        yield proxy, through.render_as_string(hide_password=False)


def _tickets(prefix: str, n: int) -> list[pb.IngestTicketRequest]:
    return [
        pb.IngestTicketRequest(ticket=good_ticket(f"{prefix}-{i}", tenant_id=TENANT))
        for i in range(n)
    ]


def _unavailable(call, within: float) -> grpc.RpcError:
    """Run `call` (whose own timeout is generous) and return its error, which must be
    UNAVAILABLE and come within `within` seconds: no hang until the deadline."""
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        call()
    seconds = time.monotonic() - started
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value
    assert seconds < within, f"UNAVAILABLE took {seconds:.1f} s"
    return info.value


def test_outage_gives_unavailable_and_the_server_recovers(proxied) -> None:
    proxy, url = proxied
    settings = Settings(
        port=0,
        db_url=url,
        grace_seconds=1,
        recluster_min_tickets=10**9,
        anomaly_scan_seconds=0.5,  # a background loop polling the database throughout
    )
    srv = Server(settings).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            metrics = pb.GetMetricsRequest(tenant_id=TENANT)
            listing = pb.ListTicketsRequest(tenant_id=TENANT, page_size=1000)

            before = stub.IngestTickets(iter(_tickets("before", 20)), timeout=30)
            assert before.accepted == 20
            stub.IngestTicket(_tickets("single-before", 1)[0], timeout=30)
            assert stub.GetMetrics(metrics, timeout=30).overall.volume == 21
            assert stub.ListTickets(listing, timeout=30).total_size == 21

            # Down: connections cut, new ones refused (a restarting database).
            proxy.down()
            err = _unavailable(lambda: stub.GetMetrics(metrics, timeout=30), 15)
            assert err.details() == DATABASE_UNAVAILABLE
            _unavailable(lambda: stub.ListTickets(listing, timeout=30), 15)
            _unavailable(lambda: stub.IngestTicket(_tickets("during", 1)[0], timeout=30), 15)
            _unavailable(lambda: stub.IngestTickets(iter(_tickets("during", 5)), timeout=30), 15)

            # Gone: new connections hang (a host that went away); the connect timeout
            # still answers well before the caller's deadline.
            proxy.down(hang=True)
            _unavailable(lambda: stub.ListTickets(listing, timeout=30), 15)
            _unavailable(lambda: stub.IngestTickets(iter(_tickets("during", 3)), timeout=30), 20)

            # Back: the same server serves again, pooled dead connections replaced.
            proxy.up()
            deadline = time.monotonic() + 20
            while True:
                try:
                    stub.GetMetrics(metrics, timeout=10)
                    break
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE, exc
                    assert time.monotonic() < deadline, "no recovery after the outage"
                    time.sleep(0.2)
            after = stub.IngestTickets(iter(_tickets("after", 10)), timeout=30)
            assert after.accepted == 10

            stored = {v.ticket.external_id for v in stub.ListTickets(listing, timeout=30).tickets}
            acknowledged = (
                {f"before-{i}" for i in range(20)}
                | {"single-before-0"}
                | {f"after-{i}" for i in range(10)}
            )
            assert stored == acknowledged  # all acknowledged; none of the refused calls
            assert stub.GetMetrics(metrics, timeout=30).overall.volume == 31
            assert srv._scans._thread.is_alive()  # the background scans lived through it
    finally:
        srv.stop(grace=1)
