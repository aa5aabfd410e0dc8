"""GetWeeklyDigest in-process over gRPC: on the wire its metrics are GetMetrics'
for the same windows, the caller picks the renderings, and bad arguments are
INVALID_ARGUMENT with every bad field named."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from conftest import history_settings
from grpc_helpers import violations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def stub(default_history):
    db, _ = default_history
    srv = Server(replace(history_settings(db), port=0, anomaly_scan_seconds=0)).start()
    with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
        yield pb_grpc.TicketMinerStub(channel)
    srv.stop(grace=1)


def _digest(stub, **fields) -> pb.GetWeeklyDigestResponse:
    request = pb.GetWeeklyDigestRequest(tenant_id="default", time_zone=TZ, **fields)
    return stub.GetWeeklyDigest(request, timeout=60)


def _weeks(stub) -> list[str]:
    """The ISO weeks the history covers, from GetMetrics' weekly series."""
    report = stub.GetMetrics(
        pb.GetMetricsRequest(time_zone=TZ, granularity=pb.GRANULARITY_WEEK), timeout=60
    )
    return [p.label for p in report.series if p.metrics.volume]


def test_every_week_matches_get_metrics_on_the_wire(stub) -> None:
    weeks = _weeks(stub)
    assert len(weeks) >= 8
    for week in weeks:
        d = _digest(stub, iso_week=week, format=pb.DIGEST_FORMAT_DATA).digest
        same = stub.GetMetrics(
            pb.GetMetricsRequest(time_zone=TZ, filter=d.drill_down, group_by="issue"), timeout=60
        )
        assert d.metrics == same.overall
        by_issue = {g.value: g.metrics for g in same.groups}
        for issue in d.top_issues:
            assert issue.metrics == by_issue[issue.issue_id]
        assert sum(day.volume for day in d.days) == d.metrics.volume
        # The customer sections are GetCustomerInsights over the week (5 per ranking).
        insights = stub.GetCustomerInsights(
            pb.GetCustomerInsightsRequest(start_time=d.start_time, end_time=d.end_time, top=5),
            timeout=60,
        )
        assert d.customers == insights
        assert d.customers.tickets == d.metrics.volume
        kpis = {k.name: k for k in d.kpis}
        assert kpis["volume"].value == d.metrics.volume
        assert kpis["first_response_p50"].value == d.metrics.first_response_time.p50_seconds


def test_the_caller_picks_the_renderings(stub) -> None:
    week = _weeks(stub)[-2]
    both = _digest(stub, iso_week=week)
    assert both.markdown.startswith("#") and both.html.lstrip().lower().startswith("<!doctype")
    markdown = _digest(stub, iso_week=week, format=pb.DIGEST_FORMAT_MARKDOWN)
    assert markdown.markdown == both.markdown and markdown.html == ""
    html = _digest(stub, iso_week=week, format=pb.DIGEST_FORMAT_HTML)
    assert html.html and html.markdown == ""
    assert html.digest == both.digest


def test_bad_arguments_name_every_field(stub) -> None:
    request = pb.GetWeeklyDigestRequest(iso_week="W46", time_zone="Nowhere/Land")
    with pytest.raises(grpc.RpcError) as err:
        stub.GetWeeklyDigest(request, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(err.value)) == {"iso_week", "time_zone"}
    request = pb.GetWeeklyDigestRequest(format=7, fcr_variant=9)
    with pytest.raises(grpc.RpcError) as err:
        stub.GetWeeklyDigest(request, timeout=10)
    assert set(violations(err.value)) == {"format", "fcr_variant"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(week=st.text(max_size=12), zone=st.sampled_from(["UTC", "", "Asia/Shanghai", "x/../y"]))
def test_any_week_text_is_a_digest_or_invalid_argument(stub, week, zone) -> None:
    request = pb.GetWeeklyDigestRequest(iso_week=week, time_zone=zone, format=pb.DIGEST_FORMAT_DATA)
    try:
        answer = stub.GetWeeklyDigest(request, timeout=30)
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert violations(err) and set(violations(err)) <= {"iso_week", "time_zone"}
    else:
        if week:
            assert answer.digest.iso_week == week.strip()
        assert len(answer.digest.days) == 7
