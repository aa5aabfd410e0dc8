"""Scheduled delivery end to end over a real database, a real SMTP server and a real
HTTP receiver, with a clock the test controls: a week is sent once when its time
comes, failures back off and retry, and neither a restart nor a second sender racing
on the same database sends a week twice."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from delivery_receivers import Receiver, SmtpSink

from ticketminer.api.digest_delivery_convert import digest_json
from ticketminer.app import App
from ticketminer.deliverers import Outbox, SmtpRelay
from ticketminer.domain.digest_delivery import (
    Channel,
    DeliveryStatus,
    DigestSchedule,
    last_run,
    next_run,
    week_of_run,
)
from ticketminer.domain.tenant_settings import TenantSettings
from ticketminer.domain.timeutil import to_us
from ticketminer.services.digest_delivery import (
    DigestDeliveryLoop,
    DigestDeliveryService,
    RetryPolicy,
)
from ticketminer.store import digest_schedules_repo as repo

MONDAY_0800 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday of 2026-W50
MONDAY_0900 = MONDAY_0800 + timedelta(hours=1)
TENANT = "shop"
POLICY = RetryPolicy(60, 5, 3)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def deliveries_of(
    app: App,
    outbox: Outbox,
    clock: Clock,
    policy: RetryPolicy = POLICY,
    exclusive: bool = True,
) -> DigestDeliveryService:
    return DigestDeliveryService(
        app.engine,
        app.digest,
        outbox,
        digest_json,
        settings=app.tenants.get,
        policy=policy,
        clock=clock,
        exclusive=exclusive,
    )


def schedule(channel: Channel = Channel.SLACK, url: str = "", **fields) -> DigestSchedule:
    base = DigestSchedule(TENANT, "weekly", 1, 9 * 60, "UTC", channel, webhook_url=url)
    return replace(base, **fields)


def log(service: DigestDeliveryService, schedule_id: str = ""):
    return service.deliveries(TENANT, schedule_id).deliveries


def test_a_scheduled_digest_is_mailed_once_when_its_time_comes(app) -> None:
    clock = Clock(MONDAY_0800)
    with SmtpSink() as sink:
        outbox = Outbox(SmtpRelay.parse(sink.url), "digest@ticketminer.example", 5)
        service = deliveries_of(app, outbox, clock)
        recipients = ("lead@example.com", "ops@example.com")
        saved = service.put(schedule(Channel.EMAIL, recipients=recipients))
        assert saved.next_run_at == MONDAY_0900
        assert service.run_tenant(TENANT) == 0 and service.tenants_with_work() == []
        clock.now = MONDAY_0900 + timedelta(seconds=30)
        assert service.tenants_with_work() == [TENANT]
        assert DigestDeliveryLoop(service, 60).run_once() == [TENANT]
        clock.advance(minutes=5)
        assert service.run_tenant(TENANT) == 0  # the week is done
        messages = list(sink.messages())
    assert len(messages) == 1
    sender, to, mail = messages[0]
    assert sender == "digest@ticketminer.example" and to == list(recipients)
    assert mail["Subject"] == "Weekly digest — shop — 2026-W49"  # the week before
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().startswith("# Weekly digest — shop — 2026-W49")
    assert html.get_content_type() == "text/html"
    assert html.get_content().lstrip().lower().startswith("<!doctype html")
    (row,) = log(service)
    assert (row.iso_week, row.status, row.attempts, row.channel) == (
        "2026-W49",
        DeliveryStatus.SENT,
        1,
        Channel.EMAIL,
    )
    assert row.due_at == MONDAY_0900 and row.sent_at == clock.now - timedelta(minutes=5)
    assert row.next_attempt_at is None
    assert service.list(TENANT)[0].next_run_at == MONDAY_0900 + timedelta(days=7)


def test_a_signed_chat_webhook_gets_the_digest_once(app) -> None:
    clock = Clock(MONDAY_0900)
    with Receiver((200, b'{"errcode":0,"errmsg":"ok"}')) as ding:
        service = deliveries_of(app, Outbox(timeout_seconds=5), clock)
        url = ding.url("/robot/send") + "?access_token=tok"
        service.put(schedule(Channel.DINGTALK, url, secret="SECxyz"))  # next: the 14th
        assert service.run_tenant(TENANT) == 0
        clock.advance(days=7)
        assert service.run_tenant(TENANT) == 1
        clock.advance(hours=1)
        assert service.run_tenant(TENANT) == 0
    (req,) = ding.requests
    assert req.json["msgtype"] == "markdown"
    assert req.json["markdown"]["title"] == "Weekly digest — shop — 2026-W50"
    assert req.json["markdown"]["text"].startswith("# Weekly digest — shop — 2026-W50")
    assert {"access_token", "timestamp", "sign"} <= set(req.query)


def test_failures_back_off_and_the_third_attempt_is_sent(app) -> None:
    clock = Clock(MONDAY_0900)
    with Receiver() as slack:
        slack.script = [(500, b"boom"), (503, b"")]
        service = deliveries_of(app, Outbox(timeout_seconds=5), clock)
        service.put(schedule(Channel.SLACK, slack.url("/services/T/B/x"), weekday=1))
        service.send_now(TENANT, "weekly")
        (row,) = log(service)
        assert (row.status, row.attempts, row.last_error) == (
            DeliveryStatus.PENDING,
            1,
            "HTTP 500: boom",
        )
        assert row.next_attempt_at == clock.now + timedelta(minutes=1)
        clock.advance(seconds=59)
        assert service.run_tenant(TENANT) == 0 and len(slack.requests) == 1  # not yet
        clock.advance(seconds=1)
        assert service.run_tenant(TENANT) == 0
        (row,) = log(service)
        assert (row.attempts, row.last_error) == (2, "HTTP 503")
        assert row.next_attempt_at == clock.now + timedelta(minutes=5)  # 60 s x 5
        clock.advance(minutes=4)
        assert service.run_tenant(TENANT) == 0 and len(slack.requests) == 2
        clock.advance(minutes=1)
        assert service.run_tenant(TENANT) == 1
        assert len(slack.requests) == 3
    (row,) = log(service)
    assert (row.status, row.attempts, row.sent_at) == (DeliveryStatus.SENT, 3, clock.now)
    assert row.last_error == "HTTP 503"  # the last failure stays on record
    assert row.next_attempt_at is None


def test_attempts_run_out_and_refusals_fail_at_once(app) -> None:
    clock = Clock(MONDAY_0900)
    with Receiver((502, b"")) as down, Receiver((404, b"no_service")) as gone:
        service = deliveries_of(app, Outbox(timeout_seconds=5), clock, RetryPolicy(60, 5, 2))
        service.put(schedule(Channel.SLACK, down.url(), schedule_id="down"))
        service.put(schedule(Channel.SLACK, gone.url(), schedule_id="gone"))
        service.send_now(TENANT, "down")
        service.send_now(TENANT, "gone")
        clock.advance(minutes=2)
        service.run_tenant(TENANT)
        clock.advance(days=1)
        service.run_tenant(TENANT)
        assert len(down.requests) == 2 and len(gone.requests) == 1
    (down_row,) = log(service, "down")
    assert (down_row.status, down_row.attempts) == (DeliveryStatus.FAILED, 2)
    assert down_row.next_attempt_at is None and down_row.last_error == "HTTP 502"
    (gone_row,) = log(service, "gone")
    assert (gone_row.status, gone_row.attempts) == (DeliveryStatus.FAILED, 1)
    assert gone_row.last_error == "HTTP 404: no_service"


def test_a_restart_does_not_send_the_week_again(settings) -> None:
    clock = Clock(MONDAY_0900)
    with Receiver() as slack:
        first = App.open(settings)
        try:
            service = deliveries_of(first, Outbox(timeout_seconds=5), clock)
            service.put(schedule(Channel.SLACK, slack.url()))
            assert service.send_now(TENANT, "weekly").status == DeliveryStatus.SENT
        finally:
            first.close()
        second = App.open(settings)
        try:
            service = deliveries_of(second, Outbox(timeout_seconds=5), clock)
            assert service.run_tenant(TENANT) == 0
            # Even asked outright: the week's row exists, so nothing is sent.
            assert service.send_now(TENANT, "weekly").attempts == 1
            clock.advance(hours=2)
            assert service.run_tenant(TENANT) == 0
        finally:
            second.close()
    assert len(slack.requests) == 1


@pytest.mark.parametrize("exclusive", [False, True], ids=["unique-key-only", "with-job-lock"])
def test_two_senders_racing_on_one_database_send_once(settings, exclusive) -> None:
    """Two apps (two engines, as two replicas have) run the same due week at once;
    without the job lock only the row's unique key and the claim keep them apart."""
    clock = Clock(MONDAY_0800)
    apps = [App.open(settings), App.open(settings)]
    try:
        with Receiver(delay=0.3) as slack:
            services = [
                deliveries_of(a, Outbox(timeout_seconds=5), clock, exclusive=exclusive)
                for a in apps
            ]
            services[0].put(schedule(Channel.SLACK, slack.url()))
            clock.now = MONDAY_0900
            start = threading.Barrier(2)
            results: list[int | None] = []

            def run(service: DigestDeliveryService) -> None:
                start.wait()
                results.append(service.run_tenant(TENANT))

            threads = [threading.Thread(target=run, args=(s,)) for s in services]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert len(slack.requests) == 1
            assert sorted(r or 0 for r in results) == [0, 1]
            (row,) = log(services[1])
            assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)
            assert services[0].list(TENANT)[0].next_run_at == MONDAY_0900 + timedelta(days=7)
    finally:
        for a in apps:
            a.close()


def test_the_crash_window_resends_only_after_the_lease(app) -> None:
    """A sender that died after claiming (and perhaps sending) leaves the row PENDING:
    it is tried again once the lease runs out, never before."""
    clock = Clock(MONDAY_0900)
    with Receiver() as slack:
        service = deliveries_of(app, Outbox(timeout_seconds=5), clock)
        service.put(schedule(Channel.SLACK, slack.url()))
        clock.advance(days=7)
        with app.engine.connect() as conn:
            (due,) = repo.due_schedules(conn, TENANT, to_us(clock.now))
        service._make_due(due, clock.now)  # the week's row, as a run would make it
        with app.engine.begin() as conn:
            (row,) = repo.waiting_deliveries(conn, TENANT, to_us(clock.now))
            lease = clock.now + timedelta(minutes=10)
            assert repo.claim_attempt(conn, row, Channel.SLACK, to_us(lease))
        # ... and the claimer dies here.
        clock.advance(minutes=9)
        assert service.run_tenant(TENANT) == 0 and slack.requests == []
        clock.advance(minutes=1)
        assert service.run_tenant(TENANT) == 1
    (row,) = log(service)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)


def test_paused_and_deleted_schedules_send_nothing(app) -> None:
    clock = Clock(MONDAY_0800)
    with Receiver((500, b"")) as slack:
        service = deliveries_of(app, Outbox(timeout_seconds=5), clock)
        paused = service.put(schedule(Channel.SLACK, slack.url(), paused=True))
        assert paused.next_run_at is None
        clock.advance(days=14)
        assert service.tenants_with_work() == [] and service.run_tenant(TENANT) == 0
        service.put(replace(paused, paused=False))
        service.send_now(TENANT, "weekly")  # fails once: a retry waits
        assert service.delete(TENANT, "weekly") and not service.delete(TENANT, "weekly")
        clock.advance(minutes=2)
        service.run_tenant(TENANT)
        assert len(slack.requests) == 1
    (row,) = log(service)
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED, "the schedule was deleted")


def test_after_downtime_only_the_latest_week_goes_out(app) -> None:
    clock = Clock(MONDAY_0800)
    with Receiver() as slack:
        service = deliveries_of(app, Outbox(timeout_seconds=5), clock)
        service.put(schedule(Channel.SLACK, slack.url()))
        clock.now = datetime(2026, 12, 22, 12, 0, tzinfo=UTC)  # two runs missed
        assert service.run_tenant(TENANT) == 1
    assert [r.iso_week for r in log(service)] == ["2026-W51"]
    assert service.list(TENANT)[0].next_run_at == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


def test_an_empty_zone_follows_the_tenants_time_zone(app) -> None:
    app.tenants.update(TenantSettings(TENANT, time_zone="Asia/Shanghai"), ("time_zone",))
    service = deliveries_of(app, Outbox(), Clock(MONDAY_0800 - timedelta(hours=8)))
    saved = service.put(schedule(Channel.SLACK, "https://hooks.slack.example/x", time_zone=""))
    assert saved.next_run_at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 +08:00


def test_runs_keep_local_time_across_daylight_saving() -> None:
    berlin = "Europe/Berlin"
    # Monday 09:00 is 08:00 UTC in winter and 07:00 UTC in summer.
    assert next_run(1, 540, berlin, datetime(2026, 3, 24, tzinfo=UTC)) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )
    assert next_run(1, 540, berlin, datetime(2026, 3, 17, tzinfo=UTC)) == datetime(
        2026, 3, 23, 8, 0, tzinfo=UTC
    )
    # Sunday 02:30 does not exist on 29 March 2026: it runs at 03:30 CEST (01:30 UTC).
    spring = next_run(7, 150, berlin, datetime(2026, 3, 28, tzinfo=UTC))
    assert spring == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # Sunday 02:30 happens twice on 25 October 2026: it runs once, at the first.
    autumn = next_run(7, 150, berlin, datetime(2026, 10, 24, tzinfo=UTC))
    assert autumn == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert next_run(7, 150, berlin, autumn) == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)
    assert last_run(7, 150, berlin, autumn) == autumn
    assert last_run(7, 150, berlin, autumn - timedelta(seconds=1)) < autumn
    # The digest is of the week before the run's local week.
    assert week_of_run(datetime(2026, 12, 6, 17, 0, tzinfo=UTC), "Asia/Shanghai") == "2026-W49"
    assert week_of_run(datetime(2026, 12, 6, 15, 59, tzinfo=UTC), "Asia/Shanghai") == "2026-W48"


def test_ops_can_send_a_schedule_now_from_the_command_line(settings, capsys) -> None:
    from ticketminer.cli import main

    with Receiver((200, b'{"code":0,"msg":"success"}')) as feishu:
        app = App.open(settings)
        try:
            assert app.deliveries is not None
            app.deliveries.put(schedule(Channel.FEISHU, feishu.url(), secret="s"))
        finally:
            app.close()
        argv = ["digest", "--db", settings.db_url, "--tenant", TENANT, "--send", "weekly"]
        assert main(argv) == 0
        assert "sent after 1 attempt(s)" in capsys.readouterr().err
        assert main(argv) == 0  # the week was sent: not again
        assert "already sent at" in capsys.readouterr().err
        assert len(feishu.requests) == 1
        assert main([*argv[:-1], "nope"]) == 2
        assert "no digest schedule 'nope'" in capsys.readouterr().err
    assert feishu.requests[0].json["msg_type"] == "interactive"
