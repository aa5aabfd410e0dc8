"""Freshdesk: the ticket list ordered by updated_at, with each ticket's conversations.

`GET /api/v2/tickets?updated_since=<ISO>&order_by=updated_at&order_type=asc&per_page=100
&page=N&include=stats,requester` is paged by number, so the stored cursor is a time:
the newest `updated_at` among the tickets stored so far. The next run asks again
from that instant (updated_since is inclusive), so tickets that share it are read
twice, which is harmless (UNCHANGED), and none is skipped. Freshdesk stops at page
300; past it the listing restarts at page 1 from the newest time seen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from ticketminer.importers import values
from ticketminer.importers.freshdesk_api import freshdesk_ticket
from ticketminer.sync.base import MissingCredentials, SyncPage
from ticketminer.sync.http import NOT_FOUND, JsonClient, SyncError, basic_auth

NAME = "freshdesk"
TICKETS_PATH = "/api/v2/tickets"
CONVERSATIONS_PATH = "/api/v2/tickets/{id}/conversations"
PAGE_SIZE = 100  # the API's maximum
MAX_PAGE = 300  # the API's last page number
EPOCH = "1970-01-01T00:00:00Z"


def client_from_env(env: Mapping[str, str], stop: threading.Event | None = None) -> JsonClient:
    """FRESHDESK_API_KEY and FRESHDESK_DOMAIN (or FRESHDESK_BASE_URL)."""
    key = env.get("FRESHDESK_API_KEY", "")
    domain = env.get("FRESHDESK_DOMAIN", "").strip()
    base = env.get("FRESHDESK_BASE_URL", "").strip()
    missing = [] if key else ["FRESHDESK_API_KEY"]
    if not base and not domain:
        missing.append("FRESHDESK_DOMAIN (or FRESHDESK_BASE_URL)")
    if missing:
        raise MissingCredentials(f"set {', '.join(missing)} in the environment")
    if not base:  # "acme" or "acme.freshdesk.com"
        base = f"https://{domain if '.' in domain else domain + '.freshdesk.com'}"
    # The API key is the user name and any password ("X") goes with it.
    return JsonClient(base, basic_auth(key, "X"), stop)


def format_cursor(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FreshdeskSource:
    name = NAME

    def __init__(
        self,
        client: JsonClient,
        *,
        since: datetime | None = None,
        conversations: bool = True,
        page_size: int = PAGE_SIZE,
        max_page: int = MAX_PAGE,
    ) -> None:
        self._client = client
        self._since = format_cursor(since) if since is not None else EPOCH
        self._conversations = conversations
        self._page_size = page_size
        self._max_page = max_page

    def pages(self, cursor: str | None) -> Iterator[SyncPage]:
        since = cursor or self._since
        newest = _time(since)
        page = 1
        while True:
            tickets = self._client.get(TICKETS_PATH, self._params(since, page)).data
            if not isinstance(tickets, list):
                raise SyncError(f"{TICKETS_PATH}: the response is not a JSON array of tickets")
            items = []
            for index, obj in enumerate(tickets):
                thread = self._thread(obj) if self._conversations else None
                items.append(freshdesk_ticket(obj, index, conversations=thread))
                newest = max(newest, _updated_at(obj) or newest)
            yield SyncPage(items, format_cursor(newest))
            if len(tickets) < self._page_size:
                return
            page += 1
            if page > self._max_page:  # the API's page limit: go on from the newest time
                if format_cursor(newest) == since:
                    raise SyncError(
                        f"more than {self._max_page * self._page_size} tickets were updated "
                        f"at {since}; Freshdesk's paging cannot go past them"
                    )
                since, page = format_cursor(newest), 1

    def _params(self, since: str, page: int) -> dict[str, Any]:
        return {
            "updated_since": since,
            "order_by": "updated_at",
            "order_type": "asc",
            "per_page": self._page_size,
            "page": page,
            "include": "stats,requester",
        }

    def _thread(self, obj: Any) -> list[Any] | None:
        ticket_id = obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            return None  # no usable id: the mapper reports the ticket
        path = CONVERSATIONS_PATH.format(id=ticket_id)
        out: list[Any] = []
        page = 1
        while True:
            try:
                found = self._client.get(path, {"per_page": PAGE_SIZE, "page": page}).data
            except SyncError as exc:
                if exc.status == NOT_FOUND:  # deleted since the list named it
                    return None
                raise
            if not isinstance(found, list):
                raise SyncError(f"{path}: the response is not a JSON array of conversations")
            out.extend(found)
            if len(found) < PAGE_SIZE:
                return out
            page += 1


def _time(value: str) -> datetime:
    """A stored cursor (written by format_cursor) as a time."""
    moment = values.moment(value, UTC)
    if not isinstance(moment, datetime):
        raise SyncError(f"the stored Freshdesk cursor {value[:40]!r} is not a time", fatal=True)
    return moment


def _updated_at(obj: Any) -> datetime | None:
    """The ticket's updated_at, or None when absent or unreadable (the mapper reports it)."""
    moment = values.moment(obj.get("updated_at"), UTC) if isinstance(obj, dict) else None
    return moment if isinstance(moment, datetime) else None
