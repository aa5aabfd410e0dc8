"""In-process gRPC tests: the contract, its errors, and partial success in streams."""

from __future__ import annotations

import threading
from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_helpers import good_ticket, ts, violations

from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


@pytest.fixture
def server(settings):
    srv = Server(replace(settings, max_text_bytes=1024)).start()
    yield srv
    srv.stop(grace=1)


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


@pytest.fixture
def stub(channel):
    return pb_grpc.TicketMinerStub(channel)


def ingest(stub, ticket: pb.Ticket) -> pb.IngestTicketResponse:
    return stub.IngestTicket(pb.IngestTicketRequest(ticket=ticket), timeout=10)


def configure(stub, tenant_id: str = "default") -> None:
    """Make the tenant known without a ticket: reads of a tenant never seen are
    NOT_FOUND before their arguments are looked at."""
    settings = pb.TenantSettings(tenant_id=tenant_id)
    stub.UpdateTenantSettings(pb.UpdateTenantSettingsRequest(settings=settings), timeout=10)


def rejected(stub, ticket: pb.Ticket) -> dict[str, str]:
    with pytest.raises(grpc.RpcError) as info:
        ingest(stub, ticket)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return violations(info.value)


def test_ingest_returns_outcome_and_analysis(stub):
    first = ingest(stub, good_ticket())
    assert first.outcome == pb.INGEST_OUTCOME_CREATED
    assert first.analysis.first_response_seconds == 1800
    assert first.analysis.resolution_seconds == 5400
    assert first.analysis.fcr is True
    assert ingest(stub, good_ticket()).outcome == pb.INGEST_OUTCOME_UNCHANGED
    assert ingest(stub, good_ticket(subject="x")).outcome == pb.INGEST_OUTCOME_UPDATED
    listed = stub.ListTickets(pb.ListTicketsRequest(), timeout=10)
    assert listed.total_size == 1


def test_missing_external_id_and_created_at(stub):
    t = good_ticket(external_id="")
    t.ClearField("created_at")
    found = rejected(stub, t)
    assert found["ticket.external_id"] == "is required"
    assert found["ticket.created_at"] == "is required"


def test_times_before_creation(stub):
    t = good_ticket(solved_at=ts(-5))
    t.messages[1].created_at.CopyFrom(ts(-1))
    found = rejected(stub, t)
    assert "before created_at" in found["ticket.solved_at"]
    assert "before created_at" in found["ticket.messages[1].created_at"]


@pytest.mark.parametrize("csat", [0, 6, 100])
def test_csat_outside_range(stub, csat):
    assert "between 1 and 5" in rejected(stub, good_ticket(csat=csat))["ticket.csat"]


def test_text_over_the_configured_limit(stub):
    found = rejected(stub, good_ticket(description="x" * 1025))
    assert "limit is 1024 bytes" in found["ticket.description"]
    t = good_ticket()
    t.messages[0].body = "长" * 400  # 1200 bytes of UTF-8
    assert "ticket.messages[0].body" in rejected(stub, t)


def test_unknown_enum_values(stub):
    t = good_ticket(status=42)
    t.messages[0].author_role = 9
    found = rejected(stub, t)
    assert found["ticket.status"] == "unknown enum value 42"
    assert found["ticket.messages[0].author_role"] == "unknown enum value 9"


def test_nul_byte(stub):
    found = rejected(stub, good_ticket(subject="a\x00b"))
    assert "NUL" in found["ticket.subject"]


def _raw_ingest(channel):
    return channel.unary_unary(
        "/ticketminer.v1.TicketMiner/IngestTicket",
        request_serializer=lambda b: b,
        response_deserializer=pb.IngestTicketResponse.FromString,
    )


def _with_bad_utf8(ticket: pb.Ticket, marker: str) -> bytes:
    raw = pb.IngestTicketRequest(ticket=ticket).SerializeToString()
    assert raw.count(marker.encode()) == 1
    return raw.replace(marker.encode(), b"\xff\xfe" + b"x" * (len(marker) - 2))


def test_invalid_utf8_names_the_field(channel):
    t = good_ticket()
    t.messages[1].body = "MARKERBODY"
    with pytest.raises(grpc.RpcError) as info:
        _raw_ingest(channel)(_with_bad_utf8(t, "MARKERBODY"), timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(info.value) == {"ticket.messages[1].body": "is not valid UTF-8"}


def test_invalid_utf8_in_an_attribute_value(channel):
    t = good_ticket(attributes={"region": "MARKERVAL"})
    with pytest.raises(grpc.RpcError) as info:
        _raw_ingest(channel)(_with_bad_utf8(t, "MARKERVAL"), timeout=10)
    assert list(violations(info.value)) == ["ticket.attributes['region']"]


def test_garbage_bytes_are_invalid_argument(channel):
    with pytest.raises(grpc.RpcError) as info:
        _raw_ingest(channel)(b"\x0a\xff\xff\xff", timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_stream_of_1000_with_one_bad_stores_999(stub):
    requests = [pb.IngestTicketRequest(ticket=good_ticket(f"S-{i}")) for i in range(1000)]
    requests[637].ticket.csat = 9
    reply = stub.IngestTickets(iter(requests), timeout=60)
    assert (reply.accepted, reply.created, reply.rejected) == (999, 999, 1)
    (error,) = reply.errors
    assert (error.index, error.external_id) == (637, "S-637")
    assert error.field_violations[0].field == "ticket.csat"
    assert stub.ListTickets(pb.ListTicketsRequest(), timeout=10).total_size == 999


def test_stream_item_with_bad_utf8_is_rejected_alone(channel, stub):
    good = pb.IngestTicketRequest(ticket=good_ticket("G-1")).SerializeToString()
    t = good_ticket("B-1")
    t.subject = "MARKERSUBJ"
    bad = _with_bad_utf8(t, "MARKERSUBJ")
    call = channel.stream_unary(
        "/ticketminer.v1.TicketMiner/IngestTickets",
        request_serializer=lambda b: b,
        response_deserializer=pb.IngestTicketsResponse.FromString,
    )
    reply = call(iter([good, bad]), timeout=10)
    assert (reply.accepted, reply.rejected) == (1, 1)
    assert reply.errors[0].index == 1
    assert reply.errors[0].field_violations[0].field == "ticket.subject"
    assert stub.GetTicket(pb.GetTicketRequest(external_id="G-1"), timeout=10).ticket.external_id


def test_get_ticket_not_found_and_missing_id(stub):
    configure(stub)
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTicket(pb.GetTicketRequest(external_id="nope"), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as info:
        stub.GetTicket(pb.GetTicketRequest(), timeout=10)
    assert violations(info.value) == {"external_id": "is required"}


def test_list_tickets_pages_through_everything_once(stub):
    requests = [
        pb.IngestTicketRequest(ticket=good_ticket(f"P-{i}", created_at=ts(-(i % 7))))
        for i in range(23)
    ]  # equal creation times on purpose: the page order must break ties by pk
    assert stub.IngestTickets(iter(requests), timeout=30).created == 23
    seen, token = [], ""
    while True:
        page = stub.ListTickets(pb.ListTicketsRequest(page_size=5, page_token=token), timeout=10)
        assert page.total_size == 23
        seen += [v.ticket.external_id for v in page.tickets]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(f"P-{i}" for i in range(23))
    assert len(seen) == 23
    # Messages only when asked for.
    assert not stub.ListTickets(pb.ListTicketsRequest(), timeout=10).tickets[0].ticket.messages
    full = stub.ListTickets(pb.ListTicketsRequest(include_messages=True), timeout=10)
    assert full.tickets[0].ticket.messages


def test_list_tickets_rejects_bad_paging(stub):
    configure(stub)
    with pytest.raises(grpc.RpcError) as info:
        stub.ListTickets(pb.ListTicketsRequest(page_size=5000), timeout=10)
    assert "page_size" in violations(info.value)
    with pytest.raises(grpc.RpcError) as info:
        stub.ListTickets(pb.ListTicketsRequest(page_token="garbage"), timeout=10)
    assert "page_token" in violations(info.value)
    other = pb.ListTicketsRequest(filter=pb.TicketFilter(channels=["chat"]))
    ingest(stub, good_ticket("x1"))
    ingest(stub, good_ticket("x2"))
    token = stub.ListTickets(pb.ListTicketsRequest(page_size=1), timeout=10).next_page_token
    other.page_token = token
    with pytest.raises(grpc.RpcError) as info:
        stub.ListTickets(other, timeout=10)
    assert "different tenant or filter" in violations(info.value)["page_token"]


def test_get_metrics_over_grpc(stub):
    ingest(stub, good_ticket("m1", channel="email", csat=5))
    ingest(stub, good_ticket("m2", channel="chat", status=pb.TICKET_STATUS_OPEN))
    reply = stub.GetMetrics(
        pb.GetMetricsRequest(
            group_by="attributes.carrier", granularity=pb.GRANULARITY_DAY, time_zone="Asia/Shanghai"
        ),
        timeout=10,
    )
    assert reply.overall.volume == 2
    assert reply.overall.fcr.value == 1.0
    assert reply.overall.first_response_time.p50_seconds == 1800
    assert reply.time_zone == "Asia/Shanghai"
    assert [s.label for s in reply.series] == ["2026-03-02"]
    assert [(g.value, g.metrics.volume) for g in reply.groups] == [("SF", 2)]
    assert reply.groups[0].drill_down.attributes["carrier"] == "SF"
    assert {d.name for d in reply.definitions} >= {"fcr", "first_response_time", "reopen_rate"}


def test_get_metrics_reports_every_bad_field(stub):
    configure(stub)
    request = pb.GetMetricsRequest(
        group_by="colour", time_zone="Mars/Olympus", granularity=7, fcr_variant=9
    )
    request.filter.start_time.CopyFrom(ts(10))
    request.filter.end_time.CopyFrom(ts(0))
    with pytest.raises(grpc.RpcError) as info:
        stub.GetMetrics(request, timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(info.value)) == {
        "group_by",
        "time_zone",
        "granularity",
        "fcr_variant",
        "filter.end_time",
    }


def test_too_many_buckets_is_invalid_argument(stub):
    configure(stub)
    request = pb.GetMetricsRequest(granularity=pb.GRANULARITY_HOUR)
    request.filter.start_time.CopyFrom(ts(0))
    request.filter.end_time.CopyFrom(ts(60 * 24 * 365 * 5))
    with pytest.raises(grpc.RpcError) as info:
        stub.GetMetrics(request, timeout=10)
    assert "granularity" in violations(info.value)


def test_health_and_reflection(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "ticketminer.v1.TicketMiner"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_overload_returns_resource_exhausted(settings):
    srv = Server(replace(settings, max_concurrent_rpcs=1)).start()
    release, sent = threading.Event(), threading.Event()

    def slow_stream():
        yield pb.IngestTicketRequest(ticket=good_ticket("slow"))
        sent.set()  # asked for more: the call is under way
        release.wait(10)

    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as ch:
            stub = pb_grpc.TicketMinerStub(ch)
            held = stub.IngestTickets.future(slow_stream(), timeout=20)
            assert sent.wait(10)
            threading.Event().wait(0.3)  # let the server admit it
            codes = set()
            for _ in range(50):
                try:
                    stub.GetTicket(pb.GetTicketRequest(external_id="slow"), timeout=5)
                except grpc.RpcError as err:
                    codes.add(err.code())
                if grpc.StatusCode.RESOURCE_EXHAUSTED in codes:
                    break
                threading.Event().wait(0.05)
            release.set()
            assert held.result().accepted == 1
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes
    finally:
        release.set()
        srv.stop(grace=1)


def test_stop_reports_not_serving(settings):
    srv = Server(settings).start()
    with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as ch:
        health = health_pb2_grpc.HealthStub(ch)
        srv.health.enter_graceful_shutdown()
        reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    srv.stop(grace=1)


def test_one_access_log_line_per_rpc(stub, caplog):
    caplog.set_level("INFO", logger="ticketminer.rpc")
    ingest(stub, good_ticket())
    with pytest.raises(grpc.RpcError):
        stub.GetTicket(pb.GetTicketRequest(external_id="missing"), timeout=10)
    lines = [r.msg for r in caplog.records if r.name == "ticketminer.rpc"]
    assert [(line["method"], line["code"]) for line in lines] == [
        ("/ticketminer.v1.TicketMiner/IngestTicket", "OK"),
        ("/ticketminer.v1.TicketMiner/GetTicket", "NOT_FOUND"),
    ]
    assert all(line["latency_ms"] >= 0 for line in lines)


def test_attribute_key_and_value_problems_are_told_apart(stub):
    found = rejected(stub, good_ticket(attributes={"k\x00": "v\x00"}))
    assert set(found) == {"ticket.attributes['k\\x00'].key", "ticket.attributes['k\\x00']"}


def test_message_size_limit_is_enforced(settings):
    srv = Server(replace(settings, max_message_bytes=32 * 1024, max_text_bytes=1 << 20)).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as ch:
            stub = pb_grpc.TicketMinerStub(ch)
            with pytest.raises(grpc.RpcError) as info:
                ingest(stub, good_ticket(description="x" * 40_000))
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert ingest(stub, good_ticket()).outcome == pb.INGEST_OUTCOME_CREATED
    finally:
        srv.stop(grace=1)


def test_issue_rpcs_report_bad_ids_missing_issues_and_empty_tenants(stub):
    configure(stub)
    with pytest.raises(grpc.RpcError) as bad:
        stub.GetIssue(pb.GetIssueRequest(issue_id="abc"), timeout=10)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(bad.value) == {"issue_id": "not an issue id: 'abc'"}
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetIssue(pb.GetIssueRequest(issue_id="7"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as unknown:
        stub.ReclusterIssues(pb.ReclusterIssuesRequest(tenant_id="nobody"), timeout=10)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    configure(stub, "nobody")  # known, but without tickets
    with pytest.raises(grpc.RpcError) as empty:
        stub.ReclusterIssues(pb.ReclusterIssuesRequest(tenant_id="nobody"), timeout=10)
    assert empty.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    flt = pb.TicketFilter(issue_ids=["1", "-2", "x"])
    with pytest.raises(grpc.RpcError) as listing:
        stub.ListTickets(pb.ListTicketsRequest(filter=flt), timeout=10)
    assert set(violations(listing.value)) == {"filter.issue_ids[1]", "filter.issue_ids[2]"}
    with pytest.raises(grpc.RpcError) as window:
        stub.ListIssues(
            pb.ListIssuesRequest(start_time=ts(10), end_time=ts(5), page_size=5000), timeout=10
        )
    assert set(violations(window.value)) == {"end_time", "page_size"}


def test_ingest_answers_no_issue_before_the_first_model(stub):
    answer = ingest(stub, good_ticket("I-1"))
    assert answer.issue_id == "" and answer.model_version == 0
    listing = stub.ListIssues(pb.ListIssuesRequest(), timeout=10)
    assert listing.model_version == 0 and not listing.issues
    assert listing.unassigned_tickets == 1
