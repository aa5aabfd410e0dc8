"""Per-tenant settings: a tenant's own tenure edges name its buckets in every RPC that
groups or filters by tenure, other tenants keep the server's, the settings survive a
restart, and bad settings are INVALID_ARGUMENT naming the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import grpc
import pytest
from builders import T0, ticket
from grpc_helpers import violations
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

# Customer age in days at each ticket.
AGES = {"a": 2, "b": 10, "c": 45, "d": 200}
DEFAULT_NAMES = ["first_30_days", "days_31_to_90", "over_90_days"]
SHOP_NAMES = ["first_7_days", "days_8_to_60", "over_60_days"]


@pytest.fixture
def served(settings):
    srv = Server(settings).start()
    for tenant in ("shop", "other"):
        for name, age in AGES.items():
            since = T0 - timedelta(days=age)
            srv.app.tickets.ingest(ticket(name, 0, tenant_id=tenant, customer_since=since))
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield srv, pb_grpc.TicketMinerStub(channel)
    finally:
        srv.stop(grace=1)


def _update(stub, tenant: str, edges, paths=()) -> pb.TenantSettings:
    request = pb.UpdateTenantSettingsRequest(
        settings=pb.TenantSettings(tenant_id=tenant, tenure_edges_days=edges)
    )
    request.update_mask.paths.extend(paths)
    return stub.UpdateTenantSettings(request, timeout=10)


def _tenure_volumes(stub, tenant: str) -> dict[str, int]:
    report = stub.GetMetrics(pb.GetMetricsRequest(tenant_id=tenant, group_by="tenure"), timeout=10)
    return {g.value: g.metrics.volume for g in report.groups}


def test_a_tenants_edges_rename_its_buckets_everywhere(served) -> None:
    _, stub = served
    fresh = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="shop"), timeout=10)
    assert list(fresh.tenure_edges_days) == [] and list(fresh.tenure_buckets) == DEFAULT_NAMES
    assert not fresh.HasField("updated_at")

    saved = _update(stub, "shop", [7, 60], ["tenure_edges_days"])
    assert list(saved.tenure_edges_days) == [7, 60]
    assert list(saved.tenure_buckets) == SHOP_NAMES and saved.HasField("updated_at")

    assert _tenure_volumes(stub, "shop") == {
        "first_7_days": 1,
        "days_8_to_60": 2,
        "over_60_days": 1,
    }
    assert _tenure_volumes(stub, "other") == {
        "first_30_days": 2,
        "days_31_to_90": 1,
        "over_90_days": 1,
    }

    # Filters of ListTickets and ListIssues take the tenant's names, and only those.
    flt = pb.TicketFilter(tenure_buckets=["days_8_to_60"])
    listed = stub.ListTickets(pb.ListTicketsRequest(tenant_id="shop", filter=flt), timeout=10)
    assert sorted(t.ticket.external_id for t in listed.tickets) == ["b", "c"]
    issues = stub.ListIssues(
        pb.ListIssuesRequest(tenant_id="shop", tenure_buckets=["first_7_days"]), timeout=10
    )
    assert issues.total_tickets == 1
    for tenant, name in (("other", "days_8_to_60"), ("shop", "first_30_days")):
        with pytest.raises(grpc.RpcError) as err:
            bad = pb.TicketFilter(tenure_buckets=[name])
            stub.ListTickets(pb.ListTicketsRequest(tenant_id=tenant, filter=bad), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "filter.tenure_buckets[0]" in violations(err.value)

    # New customers are the tenant's first bucket.
    insights = stub.GetCustomerInsights(pb.GetCustomerInsightsRequest(tenant_id="shop"), timeout=10)
    assert insights.new_customer_bucket == "first_7_days" and insights.new_customer_tickets == 1

    # An empty mask sets every setting: empty edges go back to the server's default.
    back = _update(stub, "shop", [])
    assert list(back.tenure_buckets) == DEFAULT_NAMES
    assert _tenure_volumes(stub, "shop") == _tenure_volumes(stub, "other")


def test_settings_survive_a_restart(settings) -> None:
    srv = Server(settings).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            _update(pb_grpc.TicketMinerStub(channel), "shop", [14, 28, 365])
    finally:
        srv.stop(grace=1)
    srv = Server(replace(settings, tenure_edges_days="10")).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            kept = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="shop"), timeout=10)
            assert list(kept.tenure_edges_days) == [14, 28, 365]
            other = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="x"), timeout=10)
            assert list(other.tenure_buckets) == ["first_10_days", "over_10_days"]
    finally:
        srv.stop(grace=1)


@pytest.mark.parametrize(
    ("edges", "paths", "field"),
    [
        ([30, 30], (), "settings.tenure_edges_days"),
        ([90, 30], (), "settings.tenure_edges_days"),
        ([0, 30], (), "settings.tenure_edges_days"),
        ([40_000], (), "settings.tenure_edges_days"),
        (list(range(1, 20)), (), "settings.tenure_edges_days"),
        ([30], ("tenure_buckets",), "update_mask.paths[0]"),
        ([30], ("tenure_edges_days", "time_zone"), "update_mask.paths[1]"),
    ],
)
def test_bad_settings_are_invalid_argument_and_change_nothing(served, edges, paths, field) -> None:
    _, stub = served
    _update(stub, "shop", [7, 60])
    with pytest.raises(grpc.RpcError) as err:
        _update(stub, "shop", edges, paths)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(err.value)
    kept = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="shop"), timeout=10)
    assert list(kept.tenure_edges_days) == [7, 60]


def test_a_too_long_tenant_id_is_refused(served) -> None:
    _, stub = served
    with pytest.raises(grpc.RpcError) as err:
        _update(stub, "t" * 300, [7])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "settings.tenant_id" in violations(err.value)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edges=st.lists(st.integers(0, 2**32 - 1), max_size=15))
def test_any_edges_are_saved_or_refused(served, edges) -> None:
    """Valid edges come back as sent with names that follow them; anything else is
    INVALID_ARGUMENT, never another error."""
    _, stub = served
    try:
        saved = _update(stub, "fuzz", edges)
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
        return
    assert list(saved.tenure_edges_days) == edges
    assert len(saved.tenure_buckets) == (len(edges) + 1 if edges else 3)
