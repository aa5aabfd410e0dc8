"""Customer tenure buckets: named from their edges, derived at the ticket's creation,
and usable as a GetMetrics grouping and a filter of GetMetrics and ListTickets."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from builders import T0, ticket
from grpc_helpers import violations

from ticketminer.domain.errors import InvalidArgument
from ticketminer.domain.filters import GroupBy, MetricsQuery, TicketFilter
from ticketminer.domain.tenure import TenureBuckets, parse_edges
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

# Customer age in days when the ticket was created (None: no customer_since).
AGES = {"a": 0, "b": 29.9, "c": 30, "d": 89.5, "e": 90, "f": 400, "g": -3, "h": None}
EXPECTED = {
    "first_30_days": {"a", "b", "g"},
    "days_31_to_90": {"c", "d"},
    "over_90_days": {"e", "f"},
    "": {"h"},
}


def _tickets():
    for name, age in AGES.items():
        since = None if age is None else T0 - timedelta(days=age)
        yield ticket(name, 0, customer_since=since)


def test_names_follow_the_edges() -> None:
    assert TenureBuckets().names == ("first_30_days", "days_31_to_90", "over_90_days")
    custom = parse_edges("7, 30,180")
    assert custom.names == ("first_7_days", "days_8_to_30", "days_31_to_180", "over_180_days")
    for bad in ("", "30,30", "90,30", "0,30", "x"):
        with pytest.raises(ValueError):
            parse_edges(bad)


def test_metrics_group_and_filter_by_tenure(app) -> None:
    for t in _tickets():
        app.tickets.ingest(t)
    report = app.metrics.get_metrics(MetricsQuery("default", group_by=GroupBy("tenure")))
    assert {g.value: g.metrics.volume for g in report.groups} == {
        k: len(v) for k, v in EXPECTED.items()
    }
    for group in report.groups:
        listed = app.tickets.list("default", group.drill_down)
        assert {s.ticket.external_id for s in listed.tickets} == EXPECTED[group.value]
    both = TicketFilter(tenure_buckets=("first_30_days", ""))
    listed = app.tickets.list("default", both)
    assert {s.ticket.external_id for s in listed.tickets} == {"a", "b", "g", "h"}
    with pytest.raises(InvalidArgument) as err:
        app.tickets.list("default", TicketFilter(tenure_buckets=("new", "over_90_days")))
    assert [v.field for v in err.value.violations] == ["filter.tenure_buckets[0]"]


def test_tenure_on_the_wire(settings) -> None:
    from dataclasses import replace

    srv = Server(replace(settings, tenure_edges_days="7,30,180")).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            for t in _tickets():
                srv.app.tickets.ingest(t)
            answer = stub.GetMetrics(pb.GetMetricsRequest(group_by="tenure"), timeout=10)
            volumes = {g.value: g.metrics.volume for g in answer.groups}
            assert volumes == {
                "first_7_days": 2,
                "days_8_to_30": 1,
                "days_31_to_180": 3,
                "over_180_days": 1,
                "": 1,
            }
            drill = next(g.drill_down for g in answer.groups if g.value == "over_180_days")
            assert list(drill.tenure_buckets) == ["over_180_days"]
            listed = stub.ListTickets(pb.ListTicketsRequest(filter=drill), timeout=10)
            assert [t.ticket.external_id for t in listed.tickets] == ["f"]
            bad = pb.ListTicketsRequest(filter=pb.TicketFilter(tenure_buckets=["first_30_days"]))
            with pytest.raises(grpc.RpcError) as err:
                stub.ListTickets(bad, timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "filter.tenure_buckets[0]" in violations(err.value)
    finally:
        srv.stop(grace=1)
