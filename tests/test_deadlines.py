"""Deadlines honoured: when a client gives up (deadline or cancel), the server stops
the work (the database statement is interrupted, the fit stops between steps)
instead of finishing it for nobody. Runs on SQLite, and on PostgreSQL with
TICKETMINER_TEST_DATABASE_URL."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

import grpc
import pytest
from databases import fresh_db
from grpc_helpers import good_ticket
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from ticketminer.app import App
from ticketminer.domain.cancellation import (
    CancelScope,
    cancel_scope,
    raise_if_cancelled,
    shielded,
)
from ticketminer.domain.errors import Cancelled
from ticketminer.domain.tenant_settings import TenantSettings
from ticketminer.server import Server
from ticketminer.store.engine import make_engine
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


def slow_sql(engine: Engine, seconds: float | None = None) -> str:
    """A statement that runs `seconds` (about, on SQLite), or far longer than any test."""
    if engine.dialect.name == "postgresql":
        return f"SELECT pg_sleep({seconds if seconds is not None else 60})"
    rows = int(seconds * 3_000_000) if seconds is not None else 10**12
    return (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        f"WHERE x < {rows}) SELECT count(*) FROM c"
    )


def interrupted(exc: BaseException) -> bool:
    """Whether `exc` is the database saying the statement was interrupted."""
    message = str(exc).lower()
    return isinstance(exc, OperationalError) and (
        "interrupted" in message or "canceling statement" in message
    )


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(fresh_db(tmp_path, "interrupts"))
    yield eng
    eng.dispose()


def _run_in_thread(target) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def run() -> None:
        started = time.monotonic()
        try:
            out["result"] = target()
        except BaseException as exc:
            out["error"] = exc
        out["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


# -- the scope and the store ----------------------------------------------------------


def test_scope_deadline_and_cancel() -> None:
    raise_if_cancelled()  # outside any call: nothing to check
    scope = CancelScope()
    fired: list[str] = []
    forget = scope.on_cancel(lambda: fired.append("a"))
    scope.on_cancel(lambda: fired.append("b"))
    forget()
    with cancel_scope(scope):
        raise_if_cancelled()
        assert scope.cancel() is True
        assert scope.cancel() is False  # once
        with pytest.raises(Cancelled) as info:
            raise_if_cancelled()
        assert not info.value.deadline_exceeded
        with shielded():
            raise_if_cancelled()  # a point of no return is not interrupted
    assert fired == ["b"]
    late = CancelScope(deadline=time.monotonic() - 1)
    with pytest.raises(Cancelled) as info, cancel_scope(late):
        raise_if_cancelled()
    assert info.value.deadline_exceeded
    closed = CancelScope()
    with cancel_scope(closed):
        pass
    assert closed.cancel() is False  # over: nothing to stop


def test_cancelling_the_scope_interrupts_its_running_statement(engine) -> None:
    scope = CancelScope()
    running = threading.Event()

    def query():
        with cancel_scope(scope), engine.connect() as conn:
            running.set()
            return conn.execute(text(slow_sql(engine))).scalar()

    thread, out = _run_in_thread(query)
    assert running.wait(10)
    time.sleep(0.3)  # let the statement get going
    cancelled_at = time.monotonic()
    scope.cancel()
    thread.join(10)
    assert not thread.is_alive(), "the statement was not interrupted"
    assert interrupted(out["error"]), out
    assert time.monotonic() - cancelled_at < 5
    # The pool's connection is fine afterwards, for everyone else.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_no_new_statement_starts_under_a_cancelled_scope(engine) -> None:
    scope = CancelScope()
    scope.cancel(deadline_exceeded=True)
    with cancel_scope(scope), engine.connect() as conn, pytest.raises(Cancelled) as info:
        conn.execute(text("SELECT 1"))
    assert info.value.deadline_exceeded


def test_other_callers_statements_are_never_interrupted(engine) -> None:
    """A batch shared by many callers (the group-commit writer) runs without a scope:
    one caller giving up must not stop it, nor another caller's statement."""
    mine, theirs = CancelScope(), CancelScope()
    running = threading.Barrier(3)

    def scoped(scope: CancelScope, sql: str):
        def run():
            with cancel_scope(scope), engine.connect() as conn:
                running.wait(10)
                return conn.execute(text(sql)).scalar()

        return run

    def unscoped():
        with engine.connect() as conn:
            running.wait(10)
            return conn.execute(text(slow_sql(engine, 1.0))).scalar()

    mine_thread, mine_out = _run_in_thread(scoped(mine, slow_sql(engine)))
    their_thread, their_out = _run_in_thread(scoped(theirs, slow_sql(engine, 1.0)))
    shared_thread, shared_out = _run_in_thread(unscoped)
    time.sleep(0.3)
    mine.cancel()
    for thread in (mine_thread, their_thread, shared_thread):
        thread.join(30)
        assert not thread.is_alive()
    assert interrupted(mine_out["error"]), mine_out
    assert "error" not in their_out, their_out
    assert "error" not in shared_out, shared_out


# -- over gRPC ---------------------------------------------------------------------


def _settings(settings):
    return replace(
        settings,
        max_concurrent_rpcs=1,  # a call still running after its client left blocks the next
        recluster_after_tickets=0,
        recluster_interval_seconds=0,
        recluster_min_tickets=10**9,
        anomaly_scan_seconds=0,
    )


def _admitted(call, within: float = 15):
    """`call()`'s result once the server admits it (not RESOURCE_EXHAUSTED), and the
    seconds that took. With one slot, even a call right after an answered one can be
    refused for a moment: gRPC frees the slot just after sending the answer."""
    started = time.monotonic()
    while True:
        try:
            result = call()
            return result, time.monotonic() - started
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise
            if time.monotonic() - started > within:
                raise AssertionError(f"the server was still busy after {within} s") from err
            time.sleep(0.02)


def _first_success(call, within: float) -> float:
    """Seconds until `call()` stops being refused for overload (it succeeds)."""
    return _admitted(call, within)[1]


def _events(caplog, name: str) -> list[dict]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == name]


@pytest.fixture
def slow_server(settings):
    """A server whose GetMetrics runs a database statement that never ends by itself;
    `seen` records how the handler's statement ended."""
    app = App.open(_settings(settings))
    started, ended = threading.Event(), threading.Event()
    seen: dict = {}

    def get_metrics(_query):
        started.set()
        try:
            with app.engine.connect() as conn:
                conn.execute(text(slow_sql(app.engine)))
        except BaseException as exc:
            seen["error"] = exc
            raise
        finally:
            seen["ended_at"] = time.monotonic()
            ended.set()

    app.metrics.get_metrics = get_metrics  # type: ignore[method-assign]
    app.tenants.update(TenantSettings("default"))  # a known tenant: its reads run
    srv = Server(_settings(settings), app).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield pb_grpc.TicketMinerStub(channel), started, ended, seen
    finally:
        srv.stop(grace=1)


def test_deadline_interrupts_the_calls_database_statement(slow_server, caplog) -> None:
    caplog.set_level(logging.INFO, logger="ticketminer.rpc")
    stub, started, ended, seen = slow_server
    with pytest.raises(grpc.RpcError) as info:
        stub.GetMetrics(pb.GetMetricsRequest(), timeout=0.5)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    gave_up = time.monotonic()
    assert started.is_set()
    assert ended.wait(10), "the handler went on after the deadline"
    assert interrupted(seen["error"]), seen
    assert seen["ended_at"] - gave_up < 3
    # The one slot is free again at once: the next call is served.
    waited = _first_success(lambda: stub.ListTickets(pb.ListTicketsRequest(), timeout=5), 5)
    assert waited < 3
    ended_events = [e for e in _events(caplog, "rpc_work_ended") if "GetMetrics" in e["method"]]
    assert ended_events and ended_events[0]["reason"] == "deadline_exceeded"
    assert ended_events[0]["ran_to_completion"] is False
    codes = [e["code"] for e in _events(caplog, "rpc") if e["method"].endswith("/GetMetrics")]
    assert codes == ["DEADLINE_EXCEEDED"]


def test_client_cancel_interrupts_the_calls_database_statement(slow_server, caplog) -> None:
    caplog.set_level(logging.INFO, logger="ticketminer.rpc")
    stub, started, ended, seen = slow_server
    call = stub.GetMetrics.future(pb.GetMetricsRequest(), timeout=60)
    assert started.wait(10)
    time.sleep(0.2)
    call.cancel()
    gave_up = time.monotonic()
    assert ended.wait(10), "the handler went on after the client cancelled"
    assert interrupted(seen["error"]), seen
    assert seen["ended_at"] - gave_up < 3
    assert _first_success(lambda: stub.ListTickets(pb.ListTicketsRequest(), timeout=5), 5) < 3
    ended_events = [e for e in _events(caplog, "rpc_work_ended") if "GetMetrics" in e["method"]]
    assert ended_events and ended_events[0]["reason"] == "cancelled"
    codes = [e["code"] for e in _events(caplog, "rpc") if e["method"].endswith("/GetMetrics")]
    assert codes == ["CANCELLED"]


def test_recluster_past_its_deadline_stops_and_publishes_nothing(settings, caplog) -> None:
    """A real ReclusterIssues on a few weeks of tickets takes seconds. Given half the
    time it needs, the fit stops at its next step: the model stays as it was, and the
    server's one slot frees up before the fit would have finished."""
    from ticketminer.synth import generate, preset

    caplog.set_level(logging.INFO)
    history = generate(preset("none", tickets_per_day=100, weeks=4))
    tenant = history.tickets[0].tenant_id
    app = App.open(_settings(settings))
    assert app.tickets.ingest_bulk(iter(history.tickets)).rejected == 0
    srv = Server(_settings(settings), app).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)

            def model_version() -> int:
                request = pb.ListIssuesRequest(tenant_id=tenant)
                return _admitted(lambda: stub.ListIssues(request, timeout=10))[0].model_version

            # How long a rebuild takes here, given the time: measured on a second run,
            # once one-time costs and the server's warm-up (it competes for the CPU)
            # are behind us.
            warm = time.monotonic() + 60
            while not _events(caplog, "metrics_tables_loaded") and time.monotonic() < warm:
                time.sleep(0.1)
            rebuild = pb.ReclusterIssuesRequest(tenant_id=tenant, full_rebuild=True)
            _admitted(lambda: stub.ReclusterIssues(rebuild, timeout=120))
            report, full = _admitted(lambda: stub.ReclusterIssues(rebuild, timeout=120))
            assert report.model_version == model_version() == 2

            deadline = max(0.2, min(2.0, full / 2))
            with pytest.raises(grpc.RpcError) as info:
                _admitted(lambda: stub.ReclusterIssues(rebuild, timeout=deadline))
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            freed = deadline + _first_success(model_version, 15)
            assert model_version() == 2  # nothing was published
            assert freed < full, (freed, full, deadline)
            stopped = [e for e in _events(caplog, "rpc_work_ended") if "Recluster" in e["method"]]
            assert len(stopped) == 1 and stopped[0]["ran_to_completion"] is False
    finally:
        srv.stop(grace=1)


def test_a_stream_cancelled_midway_is_no_internal_error(settings, caplog) -> None:
    """The client cutting an ingest stream is its choice, not our failure: the call
    ends as CANCELLED, not as INTERNAL with an "unhandled error" in the log."""
    caplog.set_level(logging.INFO)
    srv = Server(_settings(settings)).start()
    sent, release = threading.Event(), threading.Event()

    def stream():
        yield pb.IngestTicketRequest(ticket=good_ticket("first"))
        sent.set()
        release.wait(10)

    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            call = stub.IngestTickets.future(stream(), timeout=30)
            assert sent.wait(10)
            time.sleep(0.3)  # the server is waiting for the next ticket
            call.cancel()
            ended = time.monotonic() + 10
            while not [e for e in _events(caplog, "rpc") if "IngestTickets" in e["method"]]:
                assert time.monotonic() < ended, "the stream's handler did not end"
                time.sleep(0.05)
    finally:
        release.set()
        srv.stop(grace=1)
    codes = [e["code"] for e in _events(caplog, "rpc") if "IngestTickets" in e["method"]]
    assert codes == ["CANCELLED"]
    assert not [r for r in caplog.records if "unhandled error" in r.getMessage()]
