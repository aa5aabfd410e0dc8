"""`ticketminer sync freshdesk` against a real local HTTP server speaking Freshdesk's
ticket list and conversations API: the updated_at cursor, re-reads at the cursor's
instant, the page-number limit, a crash between storing a page and its cursor, and
missing credentials."""

from __future__ import annotations

import pytest
from databases import fresh_db
from helpdesk_server import FreshdeskServer
from sync_helpers import run_sync, stored_state

from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.domain.model import FactSource
from ticketminer.services.helpdesk_sync import HelpdeskSync
from ticketminer.sync import freshdesk
from ticketminer.sync.http import SyncError

TICKETS = "/api/v2/tickets?"
NEWEST = "2026-11-05T09:00:00Z"  # tickets 4 and 5 were both last updated then


@pytest.fixture
def server():
    with FreshdeskServer() as running:
        yield running


def _source(server: FreshdeskServer, **options) -> freshdesk.FreshdeskSource:
    return freshdesk.FreshdeskSource(freshdesk.client_from_env(server.env()), **options)


def test_full_sync_from_the_cli(server, tmp_path) -> None:
    db = fresh_db(tmp_path)
    server.throttle_next = "/api/v2/tickets"  # rate limited once, then served
    done = run_sync("freshdesk", db, server.env(), "--tenant", "shop")
    assert done.returncode == 0, done.stderr
    assert "created 5" in done.stdout
    lists = server.requests_to(TICKETS)
    assert len(lists) == 2  # the 429, then one page of 5 (per_page=100)
    assert all(
        "updated_since=1970-01-01T00%3A00%3A00Z" in r
        and "order_by=updated_at&order_type=asc" in r
        and "include=stats%2Crequester" in r
        for r in lists
    )
    state = stored_state(db, "shop")
    assert state["rows"] == 5 and state["cursors"]["freshdesk"] == NEWEST
    got = {k: v["analysis"] for k, v in state["tickets"].items()}
    assert got["1"].fcr is True and got["1"].first_response_seconds == 600
    assert got["1"].first_response_source == FactSource.THREAD
    assert got["2"].fcr is False and got["2"].public_agent_replies == 2
    assert got["3"].public_agent_replies == 0  # a private note only
    assert got["4"].fcr is False and got["4"].reopened
    assert state["tickets"]["1"]["attributes"]["requester_domain"] == "example.com"


def test_pages_then_an_incremental_run_rereads_the_cursor_instant(server, app) -> None:
    sync = HelpdeskSync(app.engine, app.tickets.ingest_bulk)
    first = sync.run_once(_source(server, page_size=2), "default")
    assert (first.pages, first.stored.created, first.cursor) == (3, 5, NEWEST)
    assert len(server.requests_to("/api/v2/tickets/")) == 5  # conversations, one per ticket

    server.touch(3, 4)  # ticket 3 resolved: now the newest
    server.log.clear()
    second = sync.run_once(_source(server, page_size=2), "default")
    assert server.requests_to(TICKETS)[0].startswith(
        "/api/v2/tickets?updated_since=2026-11-05T09%3A00%3A00Z"
    )
    # 4 and 5 share the cursor's instant and come again, unchanged; 3 is updated
    stored = second.stored
    assert (stored.created, stored.updated, stored.unchanged) == (0, 1, 2)
    assert second.cursor == "2026-11-05T10:00:00Z"
    assert app.tickets.get("default", "3").ticket.status.name == "SOLVED"


def test_a_crash_between_a_page_and_its_cursor_loses_and_duplicates_nothing(
    server, tmp_path
) -> None:
    reference, db = fresh_db(tmp_path, "reference"), fresh_db(tmp_path, "crashed")
    for url in (reference, db):
        App.open(Settings(db_url=url)).close()
    with _app(reference) as app:
        HelpdeskSync(app.engine, app.tickets.ingest_bulk).run_once(
            _source(server, page_size=2), "default"
        )

    class Crash(Exception):
        pass

    with _app(db) as app:
        pages = 0

        def ingest_then_die(items):
            nonlocal pages
            report = app.tickets.ingest_bulk(items)  # durable when it returns
            pages += 1
            if pages == 2:
                raise Crash  # the process dies before the cursor of page 2 is stored
            return report

        with pytest.raises(Crash):
            HelpdeskSync(app.engine, ingest_then_die).run_once(
                _source(server, page_size=2), "default"
            )
    assert stored_state(db, "default")["rows"] == 4
    with _app(db) as app:
        again = HelpdeskSync(app.engine, app.tickets.ingest_bulk).run_once(
            _source(server, page_size=2), "default"
        )
    # page 2 comes again with ticket 3 of the stored cursor's instant (all UNCHANGED);
    # ticket 5 of page 3 is new
    assert (again.stored.unchanged, again.stored.created) == (3, 1)
    final, expected = stored_state(db, "default"), stored_state(reference, "default")
    assert final["rows"] == 5 and final["tickets"] == expected["tickets"]
    assert final["cursors"] == expected["cursors"]


def test_the_page_limit_restarts_from_the_newest_time(server, app) -> None:
    sync = HelpdeskSync(app.engine, app.tickets.ingest_bulk)
    report = sync.run_once(_source(server, page_size=1, max_page=3), "default")
    assert report.stored.created == 5 and report.cursor == NEWEST
    restarts = [r for r in server.requests_to(TICKETS) if "&page=1&" in r]
    assert len(restarts) > 1  # the listing began again from page 1 at a later time
    stuck = _source(server, page_size=1, max_page=1)
    with pytest.raises(SyncError, match="more than 1 tickets were updated at"):
        sync.run_once(stuck, "other")


def test_missing_credentials_exit_2(tmp_path) -> None:
    done = run_sync("freshdesk", fresh_db(tmp_path), {})
    assert done.returncode == 2
    assert "FRESHDESK_API_KEY" in done.stderr and "FRESHDESK_DOMAIN" in done.stderr
    assert "Traceback" not in done.stderr


class _app:
    """App.open as a context manager."""

    def __init__(self, db: str) -> None:
        self._app = App.open(Settings(db_url=db))

    def __enter__(self) -> App:
        return self._app

    def __exit__(self, *exc: object) -> None:
        self._app.close()
