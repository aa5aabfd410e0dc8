"""In-process gRPC: the anomaly RPCs' contract and errors, the trend fields of
GetMetrics, and property tests of the anomaly request parsing."""

from __future__ import annotations

import grpc
import pytest
from databases import fresh_db
from grpc_helpers import good_ticket, ts, violations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.api.anomalies_convert import list_anomalies_query
from ticketminer.domain.errors import InvalidArgument
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


@pytest.fixture(scope="module")
def stub(tmp_path_factory):
    from ticketminer.config import Settings

    db = fresh_db(tmp_path_factory.mktemp("grpc-anomalies"), "t")
    srv = Server(Settings(port=0, db_url=str(db), anomaly_scan_seconds=0)).start()
    with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as ch:
        yield pb_grpc.TicketMinerStub(ch)
    srv.stop(grace=1)


def _error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    return info.value


def _configure(stub, tenant_id: str) -> None:
    """Known by its settings, without a ticket."""
    settings = pb.TenantSettings(tenant_id=tenant_id)
    stub.UpdateTenantSettings(pb.UpdateTenantSettingsRequest(settings=settings), timeout=10)


def test_empty_tenant_scans_and_lists_nothing(stub) -> None:
    for call, request in (
        (stub.ScanAnomalies, pb.ScanAnomaliesRequest(tenant_id="nobody")),
        (stub.ListAnomalies, pb.ListAnomaliesRequest(tenant_id="nobody")),
    ):
        assert _error(call, request).code() == grpc.StatusCode.NOT_FOUND  # never seen
    _configure(stub, "nobody")
    scan = stub.ScanAnomalies(pb.ScanAnomaliesRequest(tenant_id="nobody"), timeout=30)
    assert (scan.opened, scan.updated, scan.resolved) == (0, 0, 0)
    listing = stub.ListAnomalies(pb.ListAnomaliesRequest(tenant_id="nobody"), timeout=30)
    assert list(listing.anomalies) == [] and listing.total_size == 0
    assert not listing.HasField("scanned_at")


def test_small_tenant_scan_runs_and_ingest_reports_no_anomalies(stub) -> None:
    for i in range(30):
        ticket = good_ticket(f"A-{i}", tenant_id="small", created_at=ts(minutes=-60 * i))
        reply = stub.IngestTicket(pb.IngestTicketRequest(ticket=ticket), timeout=30)
        assert list(reply.active_anomalies) == []
    scan = stub.ScanAnomalies(pb.ScanAnomaliesRequest(tenant_id="small"), timeout=60)
    assert scan.hours >= 29 and scan.series >= 1
    listing = stub.ListAnomalies(pb.ListAnomaliesRequest(tenant_id="small"), timeout=30)
    assert listing.HasField("scanned_at") and listing.total_size == 0


def test_metrics_carry_trends(stub) -> None:
    req = pb.GetMetricsRequest(tenant_id="small", group_by="channel")
    reply = stub.GetMetrics(req, timeout=30)
    assert reply.trend.last_28_days == 30 and reply.trend.last_7_days == 30
    assert reply.trend.share_last_7_days == pytest.approx(1.0)
    assert sum(g.trend.last_28_days for g in reply.groups) == 30
    assert not reply.trend.HasField("week_over_week_change")  # nothing the week before


def test_bad_requests_name_every_field(stub) -> None:
    _configure(stub, "default")
    bad = pb.ListAnomaliesRequest(
        page_size=501, issue_ids=["x"], kinds=[99], statuses=[42], min_severity=7
    )
    bad.start_time.CopyFrom(ts(10))
    bad.end_time.CopyFrom(ts(0))
    err = _error(stub.ListAnomalies, bad)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(err)) == {
        "page_size",
        "issue_ids[0]",
        "kinds[0]",
        "statuses[0]",
        "min_severity",
        "end_time",
    }
    err = _error(stub.GetAnomaly, pb.GetAnomalyRequest(anomaly_id=""))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "anomaly_id" in violations(err)
    err = _error(stub.GetAnomaly, pb.GetAnomalyRequest(anomaly_id="12"))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    flt = pb.TicketFilter(anomaly_id="-3")
    err = _error(stub.ListTickets, pb.ListTicketsRequest(filter=flt))
    assert "filter.anomaly_id" in violations(err)
    err = _error(stub.ListTickets, pb.ListTicketsRequest(filter=pb.TicketFilter(anomaly_id="9")))
    assert err.code() == grpc.StatusCode.NOT_FOUND


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    page_size=st.integers(0, 2**32 - 1),
    issue_ids=st.lists(st.text(max_size=12), max_size=4),
    kinds=st.lists(st.integers(0, 2**31 - 1), max_size=3),
    token=st.text(max_size=8),
)
def test_list_request_parsing_never_crashes(page_size, issue_ids, kinds, token) -> None:
    req = pb.ListAnomaliesRequest(
        page_size=page_size, issue_ids=issue_ids, kinds=kinds, page_token=token
    )
    try:
        query = list_anomalies_query(req)
    except InvalidArgument as exc:
        assert exc.violations and all(v.field for v in exc.violations)
        return
    assert 0 <= query.page_size <= 500 and query.offset >= 0
