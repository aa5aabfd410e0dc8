"""`ticketminer sync zendesk` against a real local HTTP server speaking Zendesk's
incremental export and comments API: full sync, incremental second run, a kill -9
mid-sync, rate limiting, bad and missing credentials, and the --every loop."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from databases import fresh_db
from helpdesk_server import ZendeskServer
from sync_helpers import child_env, run_sync, stored_state, sync_command

from ticketminer.domain.model import FactSource

EXPORT = "/api/v2/incremental/tickets/cursor.json"


@pytest.fixture
def server():
    with ZendeskServer(page_size=2) as running:
        yield running


def test_full_sync_stores_tickets_with_metrics_from_the_thread(server, tmp_path) -> None:
    db = fresh_db(tmp_path)
    server.throttle_next = EXPORT  # the first export request is rate limited once
    started = time.monotonic()
    done = run_sync("zendesk", db, server.env(), "--tenant", "acme")
    assert done.returncode == 0, done.stderr
    assert "3 pages, 5 tickets" in done.stdout and "created 5" in done.stdout
    # 429 then the retry after Retry-After: 1 s; 5 tickets in pages of 2
    assert len(server.requests_to(EXPORT)) == 4
    assert time.monotonic() - started >= 1.0
    assert all("include=metric_sets" in r for r in server.requests_to(EXPORT))
    # ticket 101 has 3 comments in pages of 2: the `links.next` page was followed
    assert len(server.requests_to("/api/v2/tickets/101/comments.json")) == 2

    state = stored_state(db, "acme")
    assert state["rows"] == 5 and sorted(state["tickets"]) == ["101", "102", "103", "104", "105"]
    t = {k: v["analysis"] for k, v in state["tickets"].items()}
    assert t["101"].fcr is True and t["101"].first_response_seconds == 1800
    assert t["101"].first_response_source == FactSource.THREAD
    assert t["102"].fcr is False and t["102"].public_agent_replies == 2
    # 103 has no comments on the server: its metric set stands in
    assert t["103"].fcr is True and t["103"].first_response_seconds == 2700
    assert t["103"].first_response_source == FactSource.REPORTED
    assert t["105"].fcr is False and t["105"].reopened
    assert state["tickets"]["101"]["csat"] == 5
    assert state["tickets"]["101"]["messages"][0][0] == "CUSTOMER"
    assert state["cursors"]["zendesk"] is not None


def test_without_threads_metric_sets_give_the_metrics(server, tmp_path) -> None:
    db = fresh_db(tmp_path)
    done = run_sync("zendesk", db, server.env(), "--no-threads")
    assert done.returncode == 0, done.stderr
    assert not server.requests_to("/api/v2/tickets/")
    t = {k: v["analysis"] for k, v in stored_state(db, "default")["tickets"].items()}
    assert t["101"].fcr is True and t["101"].first_response_seconds == 1800
    assert t["101"].first_response_source == FactSource.REPORTED
    assert t["102"].fcr is False  # the metric set states 2 replies
    assert t["104"].first_response_seconds == 1200


def test_a_ticket_deleted_before_its_comments_are_read_keeps_its_metric_set(
    server, tmp_path
) -> None:
    db = fresh_db(tmp_path)
    server.gone = {101}
    done = run_sync("zendesk", db, server.env())
    assert done.returncode == 0, done.stderr
    stored = stored_state(db, "default")["tickets"]["101"]
    assert stored["messages"] == []
    assert stored["analysis"].first_response_source == FactSource.REPORTED


def test_a_second_run_reads_only_the_changed_ticket(server, tmp_path) -> None:
    db = fresh_db(tmp_path)
    assert run_sync("zendesk", db, server.env()).returncode == 0
    before = stored_state(db, "default")
    server.touch(104, "solved")
    server.log.clear()
    again = run_sync("zendesk", db, server.env())
    assert again.returncode == 0, again.stderr
    assert "1 pages, 1 tickets" in again.stdout
    assert "created 0, updated 1, unchanged 0" in again.stdout
    assert server.requests_to("/api/v2/tickets/") == [
        "/api/v2/tickets/104/comments.json?include=users&page%5Bsize%5D=100"
    ]
    after = stored_state(db, "default")
    assert after["tickets"]["104"]["status"] == "SOLVED"
    assert {k: v for k, v in after["tickets"].items() if k != "104"} == {
        k: v for k, v in before["tickets"].items() if k != "104"
    }
    nothing = run_sync("zendesk", db, server.env())
    assert "0 tickets" in nothing.stdout


def test_kill_mid_sync_then_resume_equals_an_uninterrupted_sync(server, tmp_path) -> None:
    reference = fresh_db(tmp_path, "reference")
    assert run_sync("zendesk", reference, server.env()).returncode == 0
    db = fresh_db(tmp_path, "killed")
    server.hold_request = server.list_requests + 2  # the killed run's page 2
    child = subprocess.Popen(
        sync_command("zendesk", db, "--once"),
        env=child_env(server.env()),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert server.held.wait(60), "the sync never asked for page 2"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        server.release.set()
    partial = stored_state(db, "default")
    assert partial["rows"] == 2 and partial["cursors"]["zendesk"] is not None  # page 1 only
    resumed = run_sync("zendesk", db, server.env())
    assert resumed.returncode == 0, resumed.stderr
    assert "created 3" in resumed.stdout  # pages 2 and 3; page 1 is not read again
    final, expected = stored_state(db, "default"), stored_state(reference, "default")
    assert final["rows"] == 5
    assert final["tickets"] == expected["tickets"]


def test_a_second_sync_of_the_same_tenant_waits_its_turn(server, tmp_path) -> None:
    db = fresh_db(tmp_path)
    server.hold_request = server.list_requests + 2
    first = subprocess.Popen(
        sync_command("zendesk", db, "--once", "--no-threads"),
        env=child_env(server.env()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.held.wait(60)
        second = run_sync("zendesk", db, server.env())
        assert second.returncode == 1
        assert "another zendesk sync of tenant 'default' is running" in second.stderr
        other = run_sync("zendesk", db, server.env(), "--tenant", "other", "--no-threads")
        assert other.returncode == 0, other.stderr  # other tenants are not held up
        server.release.set()
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert "created 5" in out


def test_missing_credentials_exit_2_with_the_variables_named(tmp_path) -> None:
    done = run_sync("zendesk", fresh_db(tmp_path), {"ZENDESK_EMAIL": "a@b.test"})
    assert done.returncode == 2
    assert "ZENDESK_API_TOKEN" in done.stderr and "ZENDESK_SUBDOMAIN" in done.stderr
    assert "Traceback" not in done.stderr and "ZENDESK_EMAIL," not in done.stderr


def test_a_wrong_token_is_one_clear_line_and_exit_1(server, tmp_path) -> None:
    env = server.env() | {"ZENDESK_API_TOKEN": "wrong"}
    done = run_sync("zendesk", fresh_db(tmp_path), env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("ticketminer sync:")]
    assert len(lines) == 1, done.stderr  # besides the JSON log lines
    assert "HTTP 401" in lines[0] and "Couldn't authenticate you" in lines[0]
    assert "wrong" not in lines[0]


def test_every_polls_until_sigterm(server, tmp_path) -> None:
    db = fresh_db(tmp_path)
    child = subprocess.Popen(
        sync_command("zendesk", db, "--every", "0.2", "--no-threads"),
        env=child_env(server.env()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(server.requests_to(EXPORT)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)  # 3 pages for the first sync, then one per poll
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    runs = [line for line in out.splitlines() if line.startswith("zendesk ->")]
    assert len(runs) >= 2 and "created 5" in runs[0] and "0 tickets" in runs[-1]
