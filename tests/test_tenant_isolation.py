"""Tenants see only their own data, on every RPC.

Reads: a tenant with no tickets (known by its settings: one never seen is NOT_FOUND)
asks every read RPC about the default history's tenant (its ticket ids, issue ids,
anomaly ids, weeks) and gets nothing back.
Writes: the same external id in two tenants is two tickets, and a write in one
tenant (upsert, settings, re-cluster, scan) changes nothing in the other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import grpc
import pytest
from builders import ticket
from conftest import history_settings
from sqlalchemy import delete

from ticketminer.api.convert import ticket_to_proto
from ticketminer.digest.weeks import IsoWeek
from ticketminer.domain.tenant_settings import TenantSettings
from ticketminer.server import Server
from ticketminer.store.schema import tenant_settings
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

OWNER, INTRUDER, TZ = "default", "intruder", "Asia/Shanghai"


@pytest.fixture(scope="module")
def history_stub(default_history):
    db, result = default_history
    settings = replace(history_settings(db), port=0, anomaly_scan_seconds=0)
    srv = Server(settings).start()
    # The shared history is read-only for tests: the intruder's settings row goes again.
    srv.app.tenants.update(TenantSettings(INTRUDER))
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield pb_grpc.TicketMinerStub(channel), result
    finally:
        with srv.app.engine.begin() as conn:
            conn.execute(delete(tenant_settings).where(tenant_settings.c.tenant_id == INTRUDER))
        srv.stop(grace=1)


def _not_found(call) -> None:
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == grpc.StatusCode.NOT_FOUND, err.value.details()


def test_every_read_rpc_shows_another_tenant_nothing(history_stub) -> None:
    stub, result = history_stub
    owner_ticket = result.tickets[-1].external_id
    issues = stub.ListIssues(pb.ListIssuesRequest(tenant_id=OWNER), timeout=60).issues
    anomalies = stub.ListAnomalies(
        pb.ListAnomaliesRequest(tenant_id=OWNER, page_size=100), timeout=60
    ).anomalies
    assert issues and anomalies  # the owner has data to leak
    issue_id, anomaly_id = issues[0].issue_id, anomalies[0].anomaly_id
    storm = next(i for i in result.truth if i.id == "shipping-storm")
    week = str(IsoWeek.containing(storm.start + timedelta(hours=12), TZ))

    def intruder(method: str, **fields):
        request_type = getattr(pb, f"{method}Request")
        return getattr(stub, method)(request_type(tenant_id=INTRUDER, **fields), timeout=60)

    _not_found(lambda: stub.ListTickets(pb.ListTicketsRequest(tenant_id="never-seen")))
    _not_found(lambda: intruder("GetTicket", external_id=owner_ticket))
    _not_found(lambda: intruder("GetIssue", issue_id=issue_id))
    _not_found(lambda: intruder("GetAnomaly", anomaly_id=anomaly_id))
    assert intruder("ListTickets").total_size == 0
    by_issue = pb.TicketFilter(issue_ids=[issue_id])
    assert intruder("ListTickets", filter=by_issue).total_size == 0
    metrics = intruder("GetMetrics", group_by="issue")
    assert metrics.overall.volume == 0 and list(metrics.groups) == []
    listing = intruder("ListIssues")
    assert list(listing.issues) == [] and listing.total_tickets == 0
    assert list(intruder("ListAnomalies").anomalies) == []
    digest = stub.GetWeeklyDigest(
        pb.GetWeeklyDigestRequest(tenant_id=INTRUDER, iso_week=week, time_zone=TZ), timeout=60
    ).digest
    assert digest.empty and list(digest.top_issues) == [] and list(digest.anomalies) == []
    insights = intruder("GetCustomerInsights")
    assert insights.tickets == 0 and list(insights.praise) == []
    assert list(intruder("GetTenantSettings").tenure_edges_days) == []
    # The owner still sees its own.
    owner = stub.GetTicket(pb.GetTicketRequest(tenant_id=OWNER, external_id=owner_ticket))
    assert owner.ticket.external_id == owner_ticket


def _ingest(tenant: str, subject: str, minutes: float = 0) -> pb.IngestTicketRequest:
    out = pb.IngestTicketRequest()
    t = ticket("X-1", 0, tenant_id=tenant, subject=subject)
    t.updated_at = t.created_at + timedelta(minutes=minutes)
    ticket_to_proto(t, out.ticket)
    return out


def test_writes_in_one_tenant_leave_the_other_alone(settings) -> None:
    srv = Server(settings).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            for tenant in ("a", "b"):
                reply = stub.IngestTicket(_ingest(tenant, f"parcel of {tenant}"), timeout=10)
                assert reply.outcome == pb.INGEST_OUTCOME_CREATED
            stub.IngestTicket(_ingest("a", "changed in a", minutes=5), timeout=10)
            stream = [_ingest("a", "a again", minutes=9), _ingest("c", "only c")]
            assert stub.IngestTickets(iter(stream), timeout=10).accepted == 2

            def subject(tenant: str) -> str:
                found = stub.GetTicket(pb.GetTicketRequest(tenant_id=tenant, external_id="X-1"))
                return found.ticket.subject

            assert [subject(t) for t in ("a", "b", "c")] == ["a again", "parcel of b", "only c"]
            for tenant in ("a", "b", "c"):
                metrics = stub.GetMetrics(pb.GetMetricsRequest(tenant_id=tenant), timeout=10)
                assert metrics.overall.volume == 1

            settings_a = pb.TenantSettings(tenant_id="a", tenure_edges_days=[7])
            stub.UpdateTenantSettings(pb.UpdateTenantSettingsRequest(settings=settings_a))
            b = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="b"))
            assert list(b.tenure_edges_days) == [] and "first_30_days" in b.tenure_buckets

            with pytest.raises(grpc.RpcError) as err:  # a tenant never seen
                stub.ReclusterIssues(pb.ReclusterIssuesRequest(tenant_id="empty"), timeout=30)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            stub.ScanAnomalies(pb.ScanAnomaliesRequest(tenant_id="b"), timeout=30)
            assert subject("a") == "a again"
            for tenant in ("a", "c"):
                assert (
                    list(stub.ListAnomalies(pb.ListAnomaliesRequest(tenant_id=tenant)).anomalies)
                    == []
                )
    finally:
        srv.stop(grace=1)
