"""Scheduled digests survive a real crash: the real `ticketminer serve` sends an
e-mail schedule's digest to a real SMTP server (aiosmtpd) and a Slack schedule's to
a loopback HTTP receiver once each, is killed with SIGKILL, starts again on the same
database, and sends neither a second time; the delivery log says SENT after one
attempt for each.

The schedules are made due through the API alone: their weekday and local time are
the next minute in UTC, so the test waits up to a minute for them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from databases import fresh_db
from delivery_receivers import Receiver, SmtpSink
from e2e_synth import call
from server_process import ServerProcess

pytestmark = [pytest.mark.e2e]

TENANT = "shop"
PERIOD = 0.5  # --digest-delivery-seconds
FLAGS = ("--digest-delivery-seconds", str(PERIOD), "--anomaly-scan-seconds", "0")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
MARGIN = timedelta(seconds=5)  # to save the schedules before their minute comes


def _next_minute() -> datetime:
    """The first whole UTC minute at least MARGIN away."""
    return (datetime.now(UTC) + MARGIN + timedelta(minutes=1)).replace(second=0, microsecond=0)


def _schedule(schedule_id: str, run_at: datetime, **channel: object) -> dict:
    return {
        "schedule": {
            "tenant_id": TENANT,
            "schedule_id": schedule_id,
            "weekday": f"WEEKDAY_{WEEKDAYS[run_at.weekday()]}",
            "local_time": run_at.strftime("%H:%M"),
            "time_zone": "UTC",
            **channel,
        }
    }


def _until(check: Callable[[], bool], timeout: float, what: str, server: ServerProcess) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}\n" + "\n".join(server.lines[-40:])
        time.sleep(0.1)


def _deliveries(server: ServerProcess) -> dict[str, tuple[str, int]]:
    """schedule id -> (status, attempts)."""
    found = call(server, "ListDigestDeliveries", {"tenant_id": TENANT}).get("deliveries", [])
    return {d["schedule_id"]: (d["status"], d.get("attempts", 0)) for d in found}


SENT_ONCE = {
    "mail": ("DELIVERY_STATUS_SENT", 1),
    "slack": ("DELIVERY_STATUS_SENT", 1),
}


def test_a_killed_server_does_not_send_a_sent_digest_again(tmp_path) -> None:
    db = fresh_db(tmp_path, "digest-restart")
    with SmtpSink() as sink, Receiver() as slack:
        env = {"TICKETMINER_SMTP_URL": sink.url}
        server = ServerProcess(db, extra_args=FLAGS, env=env).start()
        try:
            run_at = _next_minute()
            mail = _schedule(
                "mail", run_at, channel="DELIVERY_CHANNEL_EMAIL", recipients=["lead@example.com"]
            )
            hook = _schedule(
                "slack",
                run_at,
                channel="DELIVERY_CHANNEL_SLACK",
                webhook_url=slack.url("/services/T0/B0/xyz"),
            )
            for schedule in (mail, hook):
                saved = call(server, "PutDigestSchedule", schedule)
                assert saved["next_run_at"] == run_at.strftime("%Y-%m-%dT%H:%M:%SZ")

            _until(
                lambda: sink.received and slack.requests,
                (run_at - datetime.now(UTC)).total_seconds() + 30,
                "no digest arrived",
                server,
            )
            # Kill only once both are marked SENT: a kill between a receiver's accept
            # and that mark is the one documented case of a second send.
            _until(lambda: _deliveries(server) == SENT_ONCE, 15, "not marked SENT", server)
            assert len(sink.received) == 1 and len(slack.requests) == 1
            assert server.kill9() == -9
        finally:
            if server.running:
                server.kill9()

        with ServerProcess(db, extra_args=FLAGS, env=env) as again:
            time.sleep(6 * PERIOD)  # several delivery ticks of the new process
            assert _deliveries(again) == SENT_ONCE
        assert len(sink.received) == 1 and len(slack.requests) == 1

    _, recipients, message = next(sink.messages())
    assert recipients == ["lead@example.com"] and "digest" in message["Subject"].lower()
    assert slack.requests[0].path == "/services/T0/B0/xyz" and "blocks" in slack.requests[0].json
