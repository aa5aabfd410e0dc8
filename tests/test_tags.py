"""Ticket tags as a filter (a ticket matches when it has ANY of the listed tags) of
GetMetrics and ListTickets, and as a GetMetrics grouping in which a ticket counts once
per tag; every tag group's drill-down lists exactly that group's tickets."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import numpy as np
import pytest
from builders import agent, customer, ticket
from grpc_helpers import violations

from ticketminer.domain.model import TicketStatus
from ticketminer.metrics.tags import TagIndex
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TAGS = {
    "a": ["billing", "vip"],
    "b": ["billing"],
    "c": ["shipping"],
    "d": [],
    "e": ["vip", "shipping", "billing"],
    "f": [],
    "g": ["refund"],
}


def _groups(tags: dict[str, list[str]], only: set[str] | None = None) -> dict[str, set[str]]:
    """The expected groups: tag -> tickets, "" -> untagged tickets."""
    out: dict[str, set[str]] = {}
    for name, ts in tags.items():
        for tag in ts or [""]:
            if only is None or tag in only:
                out.setdefault(tag, set()).add(name)
    return out


@pytest.fixture
def stub(settings) -> Iterator[tuple[pb_grpc.TicketMinerStub, Server]]:
    srv = Server(settings).start()
    try:
        for k, (name, tags) in enumerate(TAGS.items()):
            srv.app.tickets.ingest(
                ticket(
                    name,
                    k * 60,
                    customer(k * 60),
                    agent(k * 60 + 5 + k),
                    status=TicketStatus.SOLVED,
                    solved=k * 60 + 30,
                    tags=tags,
                    channel="web" if name != "c" else "email",
                )
            )
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield pb_grpc.TicketMinerStub(channel), srv
    finally:
        srv.stop(grace=1)


def _listed(stub, flt: pb.TicketFilter) -> set[str]:
    page = stub.ListTickets(pb.ListTicketsRequest(filter=flt, page_size=1000), timeout=10)
    assert page.total_size == len(page.tickets)
    return {t.ticket.external_id for t in page.tickets}


def _check_groups(stub, request: pb.GetMetricsRequest, expected: dict[str, set[str]]) -> None:
    answer = stub.GetMetrics(request, timeout=10)
    assert answer.group_by == "tag"
    assert {g.value: g.metrics.volume for g in answer.groups} == {
        tag: len(names) for tag, names in expected.items()
    }
    for g in answer.groups:
        assert list(g.drill_down.tags) == [g.value]
        # The drill-down lists exactly the group's tickets, and measures the same.
        assert _listed(stub, g.drill_down) == expected[g.value]
        again = stub.GetMetrics(pb.GetMetricsRequest(filter=g.drill_down), timeout=10)
        assert again.overall == g.metrics


def test_group_by_tag_counts_a_ticket_once_per_tag(stub) -> None:
    stub, _ = stub
    expected = _groups(TAGS)
    assert expected[""] == {"d", "f"}
    _check_groups(stub, pb.GetMetricsRequest(group_by="tag"), expected)
    answer = stub.GetMetrics(pb.GetMetricsRequest(group_by="tag"), timeout=10)
    assert answer.overall.volume == len(TAGS)
    assert sum(g.metrics.volume for g in answer.groups) == 10  # e counts three times
    # Largest first, like every grouping.
    assert [g.value for g in answer.groups][:1] == ["billing"]


def test_tags_filter_matches_any_listed_tag(stub) -> None:
    stub, _ = stub
    for tags, expected in (
        (["vip", "refund"], {"a", "e", "g"}),
        (["billing"], {"a", "b", "e"}),
        ([""], {"d", "f"}),
        (["refund", ""], {"d", "f", "g"}),
        (["no-such-tag"], set()),
    ):
        flt = pb.TicketFilter(tags=tags)
        assert _listed(stub, flt) == expected, tags
        answer = stub.GetMetrics(pb.GetMetricsRequest(filter=flt), timeout=10)
        assert answer.overall.volume == len(expected)
        assert list(answer.drill_down.tags) == tags


def test_group_by_tag_under_a_tag_filter_shows_only_the_filtered_tags(stub) -> None:
    stub, _ = stub
    flt = pb.TicketFilter(tags=["vip", ""])
    expected = _groups(TAGS, only={"vip", ""})
    assert expected == {"vip": {"a", "e"}, "": {"d", "f"}}
    _check_groups(stub, pb.GetMetricsRequest(group_by="tag", filter=flt), expected)


def test_tag_groups_combine_with_other_conditions_and_a_series(stub) -> None:
    stub, _ = stub
    flt = pb.TicketFilter(channels=["web"])  # all but c
    request = pb.GetMetricsRequest(group_by="tag", filter=flt, granularity=pb.GRANULARITY_HOUR)
    answer = stub.GetMetrics(request, timeout=10)
    expected = _groups({k: v for k, v in TAGS.items() if k != "c"})
    assert {g.value: g.metrics.volume for g in answer.groups} == {
        tag: len(names) for tag, names in expected.items()
    }
    for g in answer.groups:
        assert _listed(stub, g.drill_down) == expected[g.value]
        assert sum(p.metrics.volume for p in g.series) == g.metrics.volume
        assert list(g.drill_down.channels) == ["web"]
        for p in g.series:
            if p.metrics.volume:
                assert len(_listed(stub, p.drill_down)) == p.metrics.volume


def test_changed_tags_are_seen_on_the_next_query(stub) -> None:
    stub, srv = stub
    stub.GetMetrics(pb.GetMetricsRequest(group_by="tag"), timeout=10)  # tags now loaded
    for name, created, tags in (
        ("b", 60, ["vip"]),  # billing -> vip
        ("d", 180, ["new"]),  # untagged -> new
        ("h", 600, ["new", "vip"]),  # a new ticket
        ("e", 240, []),  # all three tags removed
    ):
        srv.app.tickets.ingest(ticket(name, created, channel="web", tags=tags))
    tags = {**TAGS, "b": ["vip"], "d": ["new"], "h": ["new", "vip"], "e": []}
    _check_groups(stub, pb.GetMetricsRequest(group_by="tag"), _groups(tags))


def test_a_bad_tag_is_invalid_argument(stub) -> None:
    stub, _ = stub
    flt = pb.TicketFilter(tags=["x" * 5000])
    with pytest.raises(grpc.RpcError) as err:
        stub.ListTickets(pb.ListTicketsRequest(filter=flt), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert any(field.startswith("filter.tags") for field in violations(err.value))
    with pytest.raises(grpc.RpcError) as err:
        stub.GetMetrics(pb.GetMetricsRequest(group_by="tags"), timeout=10)
    assert "tag" in violations(err.value)["group_by"]


def test_tag_index_follows_the_tickets_when_rows_move() -> None:
    """A catch-up can insert a ticket between others (a late commit of an older pk):
    carried tags stay on their tickets, and replaced tickets lose their old tags."""
    old_pk = np.array([1, 3, 5], dtype=np.int64)
    old = TagIndex.build(old_pk, old_pk, [["a"], ["b", "a"], []])
    new_pk = np.array([1, 2, 3, 5], dtype=np.int64)
    moved = TagIndex.build(new_pk, np.array([2, 1]), [["c"], []], old, old_pk)
    pairs = {
        (int(new_pk[r]), moved.values[c]) for r, c in zip(moved.rows, moved.codes, strict=True)
    }
    assert pairs == {(2, "c"), (3, "b"), (3, "a")}
    assert list(moved.matching(["a"], 4)) == [False, False, True, False]
    assert list(moved.matching([""], 4)) == [True, False, False, True]
    positions, codes, names = moved.groups(np.array([0, 2, 3]), 4)
    members = sorted((int(p), names[c]) for p, c in zip(positions, codes, strict=True))
    assert members == [(0, ""), (1, "a"), (1, "b"), (2, "")]
