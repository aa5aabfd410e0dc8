"""Replicas on one database: concurrent ingest through two real servers gives one
consistent picture, re-clustering and scans run on one replica at a time behind a
database lock, and every replica picks up a new issue model.

Runs on SQLite (two processes on one file) and, under `make test-postgres`, on
PostgreSQL (the scale-out set-up)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable

import grpc
import pytest
from databases import fresh_db
from server_process import ServerProcess

from ticketminer.api.convert import ticket_to_proto
from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.services.recluster_policy import ReclusterPolicy, ReclusterScheduler
from ticketminer.store.job_locks import JobLocks
from ticketminer.synth import generate, preset
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TENANT = "synth"
RPC_TIMEOUT = 60


def _eventually(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _tickets() -> list[pb.Ticket]:
    result = generate(preset("none", weeks=3, tickets_per_day=40, tenant=TENANT))
    out = []
    for t in result.tickets:
        msg = pb.Ticket()
        ticket_to_proto(t, msg)
        out.append(msg)
    return out


def _ingest(stub: pb_grpc.TicketMinerStub, tickets: list[pb.Ticket], errors: list) -> None:
    try:
        for start in range(0, len(tickets), 25):
            batch = tickets[start : start + 25]
            reply = stub.IngestTickets(
                iter(pb.IngestTicketRequest(ticket=t) for t in batch), timeout=RPC_TIMEOUT
            )
            errors.extend(reply.errors)
    except grpc.RpcError as exc:  # pragma: no cover - reported by the assertion
        errors.append(exc)


def _metrics(stub: pb_grpc.TicketMinerStub, group_by: str = "") -> pb.GetMetricsResponse:
    return stub.GetMetrics(
        pb.GetMetricsRequest(tenant_id=TENANT, group_by=group_by), timeout=RPC_TIMEOUT
    )


@pytest.mark.e2e
def test_two_replicas_ingesting_at_once_agree_on_metrics_and_issues(tmp_path) -> None:
    db = fresh_db(tmp_path, "replicas")
    tickets = _tickets()
    # Some tickets go to both replicas (a platform retrying through the other one):
    # they must be stored once.
    shared = tickets[::10]
    to_a, to_b = tickets[0::2] + shared, tickets[1::2] + shared
    flags = ["--recluster-after-tickets", "0", "--anomaly-scan-seconds", "0"]
    with (
        ServerProcess(db, extra_args=flags) as a,
        ServerProcess(db, extra_args=flags) as b,
        grpc.insecure_channel(a.address) as ca,
        grpc.insecure_channel(b.address) as cb,
    ):
        sa, sb = pb_grpc.TicketMinerStub(ca), pb_grpc.TicketMinerStub(cb)
        errors: list = []
        threads = [
            threading.Thread(target=_ingest, args=(sa, to_a, errors)),
            threading.Thread(target=_ingest, args=(sb, to_b, errors)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors[:5]

        # Each replica sees every ticket, once, with the same metrics.
        totals_a = _metrics(sa).overall
        assert totals_a.volume == len(tickets)
        assert _eventually(lambda: _metrics(sb).overall == totals_a)
        channels_a = _metrics(sa, "channel").groups
        assert list(_metrics(sb, "channel").groups) == list(channels_a)

        # A re-cluster on one replica is picked up by the other.
        try:
            report = sa.ReclusterIssues(
                pb.ReclusterIssuesRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT
            )
        except grpc.RpcError as exc:
            pytest.fail(f"re-cluster failed: {exc}\n--- replica a ---\n{a.log}")
        version = report.model_version
        assert version >= 1 and report.issues >= 2

        def issues(stub: pb_grpc.TicketMinerStub) -> pb.ListIssuesResponse:
            return stub.ListIssues(
                pb.ListIssuesRequest(tenant_id=TENANT, page_size=100), timeout=RPC_TIMEOUT
            )

        assert _eventually(lambda: issues(sb).model_version == version)
        listed_a, listed_b = issues(sa), issues(sb)
        assert [(i.issue_id, i.label) for i in listed_b.issues] == [
            (i.issue_id, i.label) for i in listed_a.issues
        ]
        by_issue_a = _metrics(sa, "issue").groups
        assert list(_metrics(sb, "issue").groups) == list(by_issue_a)
        assert sum(g.metrics.volume for g in by_issue_a) == len(tickets)

        # New tickets through the other replica are assigned with the new model.
        fresh = pb.Ticket()
        fresh.CopyFrom(tickets[0])
        fresh.external_id = "after-recluster"
        got = sb.IngestTicket(pb.IngestTicketRequest(ticket=fresh), timeout=RPC_TIMEOUT)
        assert got.model_version == version
    assert "Traceback" not in a.log + b.log


@pytest.fixture
def two_apps(tmp_path):
    db = fresh_db(tmp_path, "locks")
    settings = Settings(db_url=db, recluster_min_tickets=10, anomaly_scan_seconds=0)
    first, second = App.open(settings), App.open(settings)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_the_job_lock_is_held_by_one_replica_at_a_time(two_apps) -> None:
    first, second = two_apps
    one, two = JobLocks(first.engine), JobLocks(second.engine)
    with one.hold("recluster", "acme") as got:
        assert got
        with two.hold("recluster", "acme", wait=False) as other:
            assert not other
        # Other tenants and other jobs are not held up.
        with two.hold("recluster", "globex", wait=False) as other:
            assert other
        with two.hold("anomaly-scan", "acme", wait=False) as other:
            assert other
        with two.hold("recluster", "acme", timeout=0.5) as other:
            assert not other
    with two.hold("recluster", "acme", wait=False) as other:
        assert other


def test_a_busy_tenant_is_skipped_by_the_other_replicas_background_jobs(two_apps) -> None:
    first, second = two_apps
    for t in generate(preset("none", weeks=1, tickets_per_day=30, tenant=TENANT)).tickets:
        first.tickets.ingest(t)
    policy = ReclusterPolicy(after_tickets=1, min_tickets=10, poll_seconds=1)
    loop = ReclusterScheduler(second.issues, lambda: [TENANT], policy)
    with JobLocks(first.engine).hold("recluster", TENANT) as got:
        assert got
        assert second.issues.recluster_when_free(TENANT) is None
        assert second.anomalies.scan_when_free(TENANT) is not None  # another job
        assert loop.run_once() == []
        assert second.issues.model(TENANT).version == 0
    assert loop.run_once() == [TENANT]
    assert second.issues.model(TENANT).version == 1
    # The first replica picks the model up by its version.
    assert _eventually(lambda: first.issues.model(TENANT).version == 1)


_HOLDER = """
import sys, time
from ticketminer.store.engine import make_engine
from ticketminer.store.job_locks import JobLocks
with JobLocks(make_engine(sys.argv[1])).hold("recluster", "acme") as got:
    print("held" if got else "busy", flush=True)
    time.sleep(120)
"""


def test_a_killed_holder_leaves_the_lock_free(two_apps) -> None:
    first, _ = two_apps
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, first.settings.db_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        locks = JobLocks(first.engine)
        with locks.hold("recluster", "acme", wait=False) as got:
            assert not got
        holder.kill()
        holder.wait(timeout=10)
        with locks.hold("recluster", "acme", timeout=10) as got:
            assert got
    finally:
        if holder.poll() is None:
            holder.kill()
