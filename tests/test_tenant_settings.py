"""Per-tenant settings: a tenant's own tenure edges name its buckets in every RPC that
groups or filters by tenure, other tenants keep the server's, the settings survive a
restart, and bad settings are INVALID_ARGUMENT naming the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import grpc
import pytest
from builders import T0, agent, customer, ticket
from grpc_helpers import violations
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ticketminer.domain.model import TicketStatus
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
            _send(pb_grpc.TicketMinerStub(channel), _full("cal"))
    finally:
        srv.stop(grace=1)
    srv = Server(replace(settings, tenure_edges_days="10")).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            kept = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="shop"), timeout=10)
            assert list(kept.tenure_edges_days) == [14, 28, 365]
            cal = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="cal"), timeout=10)
            assert _without_outputs(cal) == _full("cal", sorted_holidays=True)
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
        ([30], ("tenure_edges_days", "holidays"), "update_mask.paths[1]"),
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


# --- time zone, FCR variant and business hours -----------------------------------


def _send(stub, settings: pb.TenantSettings, paths=()) -> pb.TenantSettings:
    request = pb.UpdateTenantSettingsRequest(settings=settings)
    request.update_mask.paths.extend(paths)
    return stub.UpdateTenantSettings(request, timeout=10)


def _full(tenant: str, sorted_holidays: bool = False) -> pb.TenantSettings:
    """Every setting set; holidays sent unsorted with a repeat."""
    week = [pb.WEEKDAY_MONDAY, pb.WEEKDAY_TUESDAY, pb.WEEKDAY_WEDNESDAY, pb.WEEKDAY_THURSDAY]
    holidays = ["2026-10-01", "2026-05-01", "2026-10-01"]
    return pb.TenantSettings(
        tenant_id=tenant,
        tenure_edges_days=[7],
        time_zone="Asia/Shanghai",
        fcr_variant=pb.FCR_VARIANT_NO_CUSTOMER_FOLLOWUP,
        business_hours=pb.BusinessHours(
            hours=[
                pb.OpeningHours(weekdays=week, open="09:00", close="12:00"),
                pb.OpeningHours(weekdays=week, open="13:00", close="18:00"),
                pb.OpeningHours(weekdays=[pb.WEEKDAY_FRIDAY], open="10:00", close="24:00"),
            ],
            holidays=sorted(set(holidays)) if sorted_holidays else holidays,
        ),
    )


def _without_outputs(settings: pb.TenantSettings) -> pb.TenantSettings:
    out = pb.TenantSettings()
    out.CopyFrom(settings)
    out.ClearField("tenure_buckets")
    out.ClearField("updated_at")
    return out


def test_time_zone_variant_and_calendar_round_trip(served) -> None:
    _, stub = served
    saved = _send(stub, _full("shop"))
    assert _without_outputs(saved) == _full("shop", sorted_holidays=True)
    got = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="shop"), timeout=10)
    assert _without_outputs(got) == _full("shop", sorted_holidays=True)

    # A mask changes only its paths; an unset value in a path is the server default.
    moved = _send(
        stub, pb.TenantSettings(tenant_id="shop", time_zone="Europe/Paris"), ["time_zone"]
    )
    assert moved.time_zone == "Europe/Paris" and moved.HasField("business_hours")
    assert moved.fcr_variant == pb.FCR_VARIANT_NO_CUSTOMER_FOLLOWUP
    cleared = _send(stub, pb.TenantSettings(tenant_id="shop"), ["business_hours", "fcr_variant"])
    assert not cleared.HasField("business_hours")
    assert cleared.fcr_variant == pb.FCR_VARIANT_UNSPECIFIED
    assert cleared.time_zone == "Europe/Paris" and list(cleared.tenure_edges_days) == [7]


def _hours(**fields) -> pb.BusinessHours:
    one = {"weekdays": [pb.WEEKDAY_MONDAY], "open": "09:00", "close": "18:00"} | fields
    return pb.BusinessHours(hours=[pb.OpeningHours(**one)])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "settings.time_zone"),
        ({"fcr_variant": 9}, "settings.fcr_variant"),
        ({"business_hours": pb.BusinessHours()}, "settings.business_hours.hours"),
        ({"business_hours": _hours(open="9:00")}, "settings.business_hours.hours[0].open"),
        ({"business_hours": _hours(close="24:30")}, "settings.business_hours.hours[0].close"),
        ({"business_hours": _hours(close="08:00")}, "settings.business_hours.hours[0].close"),
        ({"business_hours": _hours(open="12:00", close="12:00")},
         "settings.business_hours.hours[0].close"),
        ({"business_hours": _hours(weekdays=[])}, "settings.business_hours.hours[0].weekdays"),
        ({"business_hours": _hours(weekdays=[pb.WEEKDAY_UNSPECIFIED])},
         "settings.business_hours.hours[0].weekdays"),
        ({"business_hours": _hours(weekdays=[8])}, "settings.business_hours.hours[0].weekdays"),
        (
            {
                "business_hours": pb.BusinessHours(
                    hours=[
                        pb.OpeningHours(weekdays=[1, 2], open="09:00", close="12:00"),
                        pb.OpeningHours(weekdays=[2], open="11:00", close="14:00"),
                    ]
                )
            },
            "settings.business_hours.hours[1]",
        ),
        (
            {"business_hours": pb.BusinessHours(hours=_hours().hours, holidays=["2026-02-30"])},
            "settings.business_hours.holidays[0]",
        ),
        (
            {"business_hours": pb.BusinessHours(hours=_hours().hours, holidays=["20261001"])},
            "settings.business_hours.holidays[0]",
        ),
    ],
)  # fmt: skip
def test_bad_new_settings_name_the_field(served, fields, field) -> None:
    _, stub = served
    _send(stub, _full("shop"))
    with pytest.raises(grpc.RpcError) as err:
        _send(stub, pb.TenantSettings(tenant_id="shop", **fields))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(err.value), violations(err.value)
    kept = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="shop"), timeout=10)
    assert _without_outputs(kept) == _full("shop", sorted_holidays=True)


@pytest.fixture
def zoned(served):
    """Tenant "tz": f1 one-touch but with a customer follow-up, f3 FCR either way, both
    Mon 17:00 in Shanghai; f2 created Tue 03:00 in Shanghai (Monday in UTC)."""
    srv, stub = served
    for t in (
        ticket("f1", 0, agent(10), customer(20), status=TicketStatus.SOLVED, solved=30,
               tenant_id="tz"),
        ticket("f3", 0, agent(5), status=TicketStatus.SOLVED, solved=15, tenant_id="tz"),
        ticket("f2", 600, tenant_id="tz"),
    ):  # fmt: skip
        srv.app.tickets.ingest(t)
    settings = pb.TenantSettings(
        tenant_id="tz", time_zone="Asia/Shanghai", fcr_variant=pb.FCR_VARIANT_NO_CUSTOMER_FOLLOWUP
    )
    _send(stub, settings, ["time_zone", "fcr_variant"])
    return stub


def _days(report: pb.GetMetricsResponse) -> dict[str, int]:
    return {p.label: p.metrics.volume for p in report.series}


def test_requests_default_to_the_tenants_zone_and_variant(zoned) -> None:
    stub = zoned
    day = pb.GRANULARITY_DAY
    tenant_default = stub.GetMetrics(pb.GetMetricsRequest(tenant_id="tz", granularity=day))
    assert tenant_default.time_zone == "Asia/Shanghai"
    assert _days(tenant_default) == {"2026-03-02": 2, "2026-03-03": 1}
    fcr = tenant_default.overall.fcr
    assert (fcr.numerator, fcr.denominator) == (1, 2)
    assert {d.name: d.variant for d in tenant_default.definitions}["fcr"] == "no_customer_followup"

    asked = stub.GetMetrics(
        pb.GetMetricsRequest(
            tenant_id="tz", granularity=day, time_zone="UTC", fcr_variant=pb.FCR_VARIANT_ONE_TOUCH
        )
    )
    assert asked.time_zone == "UTC" and _days(asked) == {"2026-03-02": 3}
    assert (asked.overall.fcr.numerator, asked.overall.fcr.denominator) == (2, 2)

    # Drill-down cohorts follow the tenant's variant too.
    def fcr_tickets(variant: int) -> list[str]:
        flt = pb.TicketFilter(cohort=pb.COHORT_FCR, fcr_variant=variant)
        listed = stub.ListTickets(pb.ListTicketsRequest(tenant_id="tz", filter=flt))
        return sorted(t.ticket.external_id for t in listed.tickets)

    assert fcr_tickets(pb.FCR_VARIANT_UNSPECIFIED) == ["f3"]
    assert fcr_tickets(pb.FCR_VARIANT_ONE_TOUCH) == ["f1", "f3"]

    # Issue metrics name the variant they follow.
    issues = stub.ListIssues(pb.ListIssuesRequest(tenant_id="tz"), timeout=10)
    assert {d.name: d.variant for d in issues.definitions}["fcr"] == "no_customer_followup"

    # The weekly digest too: its week is Shanghai's, its FCR the tenant's.
    digest = stub.GetWeeklyDigest(
        pb.GetWeeklyDigestRequest(
            tenant_id="tz", iso_week="2026-W10", format=pb.DIGEST_FORMAT_DATA
        ),
        timeout=60,
    ).digest
    assert digest.time_zone == "Asia/Shanghai" and digest.metrics.volume == 3
    assert {d.name: d.variant for d in digest.definitions}["fcr"] == "no_customer_followup"
    assert [d.date for d in digest.days if d.volume] == ["2026-03-02", "2026-03-03"]

    # Other tenants keep the server's defaults.
    other = stub.GetMetrics(pb.GetMetricsRequest(tenant_id="other", granularity=day))
    assert other.time_zone == "UTC"
    assert {d.name: d.variant for d in other.definitions}["fcr"] == "one_touch"
