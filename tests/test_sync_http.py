"""The sync's JSON client against a real local server: Retry-After, giving up, an
unreachable host, a stop during the wait, and next-page links kept on the base URL."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from helpdesk_server import ZendeskServer

from ticketminer.sync.http import JsonClient, Stopped, SyncError, _retry_after, basic_auth

EXPORT = "/api/v2/incremental/tickets/cursor.json"


@pytest.fixture
def server():
    with ZendeskServer() as running:
        yield running


def _client(server: ZendeskServer, **options) -> JsonClient:
    auth = basic_auth(f"{server.EMAIL}/token", server.TOKEN)
    return JsonClient(server.base_url, auth, **options)


def test_a_429_is_retried_after_retry_after(server) -> None:
    server.throttle_next, server.retry_after = EXPORT, "0.3"
    started = time.monotonic()
    page = _client(server).get(EXPORT, {"start_time": 0}).data
    assert time.monotonic() - started >= 0.3
    assert len(page["tickets"]) == 2 and len(server.requests_to(EXPORT)) == 2


def test_rate_limited_past_the_retries_is_an_error(server) -> None:
    server.throttle_next, server.retry_after = EXPORT, "0"
    with pytest.raises(SyncError, match="HTTP 429"):
        _client(server, max_retries=0).get(EXPORT, {"start_time": 0})


def test_a_stop_ends_the_wait(server) -> None:
    stop = threading.Event()
    server.throttle_next, server.retry_after = EXPORT, "60"
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Stopped):
        _client(server, stop=stop).get(EXPORT, {"start_time": 0})
    assert time.monotonic() - started < 10


def test_an_unreachable_server_is_one_line() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SyncError, match="cannot reach the server") as caught:
        JsonClient(f"http://127.0.0.1:{port}", "Basic x").get("/api/v2/tickets")
    assert "\n" not in str(caught.value)


def test_vendor_links_are_followed_on_the_configured_base() -> None:
    client = JsonClient("http://127.0.0.1:9/", "Basic x")
    link = "https://acme.zendesk.com/api/v2/tickets/1/comments.json?page%5Bafter%5D=2"
    assert client.url(link) == "http://127.0.0.1:9/api/v2/tickets/1/comments.json?page%5Bafter%5D=2"


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    assert _retry_after("7") == 7
    assert _retry_after(None) == 10
    assert _retry_after("soon") == 10
    assert _retry_after("100000") == 300  # capped
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= _retry_after(later) <= 30
