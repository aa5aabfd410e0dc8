"""The four schedule RPCs in-process over gRPC: what goes in is checked field by
field, the webhook URL comes back masked and the secret never comes back, the
delivery log pages like the other lists, the writes need a write key for the
schedule's tenant, and the server's own loop sends a due week."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from delivery_receivers import Receiver, SmtpSink
from grpc_helpers import violations

from ticketminer.domain.api_keys import Scope
from ticketminer.domain.digest_delivery import Channel, DeliveryStatus, DigestDelivery
from ticketminer.domain.timeutil import to_us
from ticketminer.server import Server
from ticketminer.store import digest_schedules_repo as repo
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


@pytest.fixture
def served(settings):
    with SmtpSink() as sink, Receiver() as hook:
        srv = Server(replace(settings, smtp_url=sink.url, digest_delivery_seconds=0.2)).start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
                yield srv, pb_grpc.TicketMinerStub(channel), hook
        finally:
            srv.stop(grace=1)


def _put(stub, metadata=None, **fields) -> pb.DigestSchedule:
    schedule = pb.DigestSchedule(
        tenant_id="shop",
        schedule_id="weekly",
        weekday=pb.WEEKDAY_MONDAY,
        local_time="09:00",
        time_zone="Europe/Berlin",
        **fields,
    )
    return stub.PutDigestSchedule(
        pb.PutDigestScheduleRequest(schedule=schedule), timeout=10, metadata=metadata
    )


def _error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_an_email_schedule_round_trips(served) -> None:
    _, stub, _ = served
    before = time.time()
    saved = _put(
        stub, channel=pb.DELIVERY_CHANNEL_EMAIL, recipients=["lead@example.com", "ops@example.com"]
    )
    assert saved.recipients == ["lead@example.com", "ops@example.com"]
    assert saved.webhook_url == "" and not saved.has_secret and saved.secret == ""
    next_run = saved.next_run_at.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert (next_run.weekday(), next_run.hour, next_run.minute) == (0, 9, 0)
    assert before < next_run.timestamp() <= before + 7 * 86400
    assert abs(saved.updated_at.seconds - before) < 60
    listed = stub.ListDigestSchedules(pb.ListDigestSchedulesRequest(tenant_id="shop")).schedules
    assert list(listed) == [saved]
    assert (
        stub.ListDigestSchedules(pb.ListDigestSchedulesRequest(tenant_id="other")).schedules == []
    )


def test_the_webhook_url_is_masked_and_the_secret_never_returned(served) -> None:
    srv, stub, hook = served
    url = hook.url("/open-apis/bot/v2/hook/very-secret-token")
    saved = _put(stub, channel=pb.DELIVERY_CHANNEL_FEISHU, webhook_url=url, secret="s3cret")
    assert saved.webhook_url == f"http://127.0.0.1:{hook.port}/****"
    assert saved.secret == "" and saved.has_secret
    (listed,) = stub.ListDigestSchedules(pb.ListDigestSchedulesRequest(tenant_id="shop")).schedules
    assert "very-secret-token" not in str(listed) and "s3cret" not in str(listed)
    # Read, modify (pause), write back: the stored URL and secret survive the echo.
    listed.paused = True
    paused = stub.PutDigestSchedule(pb.PutDigestScheduleRequest(schedule=listed))
    assert paused.paused and paused.has_secret and not paused.HasField("next_run_at")
    (stored,) = srv.app.deliveries.list("shop")
    assert (stored.webhook_url, stored.secret) == (url, "s3cret")
    # A masked URL for a schedule that has none stored is refused.
    bad = pb.DigestSchedule()
    bad.CopyFrom(listed)
    bad.schedule_id = "other"
    err = _error(lambda: stub.PutDigestSchedule(pb.PutDigestScheduleRequest(schedule=bad)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "schedule.webhook_url" in violations(err)


def test_every_bad_field_is_named_at_once(served) -> None:
    _, stub, _ = served
    request = pb.PutDigestScheduleRequest(
        schedule=pb.DigestSchedule(
            tenant_id="shop",
            schedule_id="no spaces!",
            weekday=pb.WEEKDAY_UNSPECIFIED,
            local_time="25:00",
            time_zone="Mars/Olympus",
            channel=pb.DELIVERY_CHANNEL_EMAIL,
            recipients=["lead@example.com", "not-an-address", "x@y.example\r\nBcc: z@evil"],
            webhook_url="https://example.com/x",
            secret="no secrets for e-mail",
        )
    )
    err = _error(lambda: stub.PutDigestSchedule(request))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(err)) == {
        "schedule.schedule_id",
        "schedule.weekday",
        "schedule.local_time",
        "schedule.time_zone",
        "schedule.recipients[1]",
        "schedule.recipients[2]",
        "schedule.webhook_url",
        "schedule.secret",
    }


_SLACK, _WECOM, _URL = pb.DELIVERY_CHANNEL_SLACK, pb.DELIVERY_CHANNEL_WECOM, "https://e.x/h"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": 99, "webhook_url": _URL}, "schedule.channel"),
        ({"channel": pb.DELIVERY_CHANNEL_UNSPECIFIED}, "schedule.channel"),
        ({"channel": _SLACK}, "schedule.webhook_url"),
        ({"channel": _SLACK, "webhook_url": "ftp://e.x/h"}, "schedule.webhook_url"),
        ({"channel": _SLACK, "webhook_url": _URL, "recipients": ["a@b.x"]}, "schedule.recipients"),
        ({"channel": _WECOM, "webhook_url": _URL, "secret": "s"}, "schedule.secret"),
        ({"channel": pb.DELIVERY_CHANNEL_EMAIL}, "schedule.recipients"),
    ],
)  # fmt: skip
def test_channel_rules(served, fields, field) -> None:
    _, stub, _ = served
    err = _error(lambda: _put(stub, **fields))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(err)


def test_email_needs_a_relay(settings) -> None:
    srv = Server(replace(settings, smtp_url="")).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            err = _error(
                lambda: _put(stub, channel=pb.DELIVERY_CHANNEL_EMAIL, recipients=["a@b.example"])
            )
    finally:
        srv.stop(grace=1)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "--smtp-url" in err.details()


def test_delete_says_whether_there_was_one(served) -> None:
    _, stub, _ = served
    _put(stub, channel=pb.DELIVERY_CHANNEL_SLACK, webhook_url="https://hooks.slack.example/x")
    request = pb.DeleteDigestScheduleRequest(tenant_id="shop", schedule_id="weekly")
    assert stub.DeleteDigestSchedule(request).deleted
    assert not stub.DeleteDigestSchedule(request).deleted
    assert stub.ListDigestSchedules(pb.ListDigestSchedulesRequest(tenant_id="shop")).schedules == []


def test_the_delivery_log_pages_newest_first(served) -> None:
    srv, stub, _ = served
    due = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with srv.app.engine.begin() as conn:
        for k in range(3):
            repo.insert_delivery(
                conn,
                DigestDelivery(
                    "shop", "weekly", f"2026-W{44 + k}", Channel.SLACK, DeliveryStatus.SENT, 1,
                    "", due + timedelta(days=7 * k), sent_at=due + timedelta(days=7 * k),
                ),
            )  # fmt: skip
        repo.insert_delivery(
            conn,
            DigestDelivery(
                "shop", "other", "2026-W46", Channel.WECOM, DeliveryStatus.PENDING, 2,
                "HTTP 500", due, next_attempt_at=due + timedelta(minutes=5),
            ),
        )  # fmt: skip
    ask = pb.ListDigestDeliveriesRequest
    first = stub.ListDigestDeliveries(ask(tenant_id="shop", schedule_id="weekly", page_size=2))
    assert [d.iso_week for d in first.deliveries] == ["2026-W46", "2026-W45"]
    assert first.next_page_token
    assert first.deliveries[0].status == pb.DELIVERY_STATUS_SENT
    assert first.deliveries[0].sent_at.seconds == to_us(due + timedelta(days=14)) // 10**6
    assert not first.deliveries[0].HasField("next_attempt_at")
    rest = stub.ListDigestDeliveries(
        ask(tenant_id="shop", schedule_id="weekly", page_size=2, page_token=first.next_page_token)
    )
    assert [d.iso_week for d in rest.deliveries] == ["2026-W44"] and not rest.next_page_token
    everything = stub.ListDigestDeliveries(ask(tenant_id="shop")).deliveries
    pending = next(d for d in everything if d.schedule_id == "other")
    assert (pending.status, pending.attempts, pending.last_error) == (
        pb.DELIVERY_STATUS_PENDING,
        2,
        "HTTP 500",
    )
    assert pending.channel == pb.DELIVERY_CHANNEL_WECOM and pending.HasField("next_attempt_at")
    for request, field in (
        (ask(tenant_id="shop", page_token="garbage"), "page_token"),
        (ask(tenant_id="shop", page_token=first.next_page_token), "page_token"),  # other query
        (ask(tenant_id="shop", page_size=1001), "page_size"),
    ):
        err = _error(lambda request=request: stub.ListDigestDeliveries(request))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in violations(err)


def test_the_servers_loop_sends_a_due_week(served) -> None:
    srv, stub, hook = served
    _put(stub, channel=pb.DELIVERY_CHANNEL_WEBHOOK, webhook_url=hook.url(), secret="k")
    # Make the schedule due now, as if its Monday had come.
    with srv.app.engine.begin() as conn:
        (s,) = repo.list_schedules(conn, "shop")
        past = datetime.now(UTC) - timedelta(minutes=1)
        repo.save_schedule(conn, replace(s, next_run_at=past), to_us(past))
    deadline = time.monotonic() + 20
    while not hook.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a second send would come on the next ticks
    assert len(hook.requests) == 1
    body = hook.requests[0].json
    assert body["digest"]["tenantId"] == "shop" and body["markdown"].startswith("# Weekly")
    assert "x-ticketminer-signature" in hook.requests[0].headers
    (row,) = stub.ListDigestDeliveries(pb.ListDigestDeliveriesRequest(tenant_id="shop")).deliveries
    assert row.status == pb.DELIVERY_STATUS_SENT and row.iso_week == body["iso_week"]


def test_writes_need_a_write_key_for_the_schedules_tenant(settings) -> None:
    srv = Server(replace(settings, auth="keys")).start()
    keys = srv.app.api_keys
    read = (("authorization", f"Bearer {keys.create(['shop'], Scope.READ)[1]}"),)
    write = (("authorization", f"Bearer {keys.create(['shop'], Scope.WRITE)[1]}"),)
    slack = {"channel": pb.DELIVERY_CHANNEL_SLACK, "webhook_url": "https://hooks.slack.example/x"}
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            err = _error(lambda: _put(stub, read, **slack))
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED
            assert _put(stub, write, **slack).schedule_id == "weekly"
            other = pb.PutDigestScheduleRequest(
                schedule=pb.DigestSchedule(
                    tenant_id="rival", schedule_id="x", weekday=1, local_time="09:00", **slack
                )
            )
            err = _error(lambda: stub.PutDigestSchedule(other, metadata=write))
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED
            delete = pb.DeleteDigestScheduleRequest(tenant_id="shop", schedule_id="weekly")
            err = _error(lambda: stub.DeleteDigestSchedule(delete, metadata=read))
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED
            listed = stub.ListDigestSchedules(
                pb.ListDigestSchedulesRequest(tenant_id="shop"), metadata=read
            )
            assert len(listed.schedules) == 1
    finally:
        srv.stop(grace=1)
