"""Zendesk: the cursor-based incremental ticket export, with each ticket's comments.

`GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>` starts the stream,
`?cursor=<after_cursor>` continues it; a page with `end_of_stream` true is the last
one for now, and its `after_cursor` is where the next poll starts (Zendesk's
incremental export documentation, see importers/zendesk_api.py). The stored cursor
is that opaque `after_cursor`. Every page asks for `include=metric_sets` and
`exclude_deleted=true`; with comments on, each ticket's thread is read from
`GET /api/v2/tickets/{id}/comments.json?include=users` (one request per ticket, on
the ordinary rate limit rather than the export's 10 a minute).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from ticketminer.importers.zendesk_api import Sideloads, zendesk_ticket
from ticketminer.sync.base import MissingCredentials, SyncPage
from ticketminer.sync.http import NOT_FOUND, JsonClient, SyncError, basic_auth

NAME = "zendesk"
EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
COMMENTS_PATH = "/api/v2/tickets/{id}/comments.json"
PAGE_SIZE = 1000  # the export's maximum
COMMENTS_PAGE_SIZE = 100


def client_from_env(env: Mapping[str, str], stop: threading.Event | None = None) -> JsonClient:
    """ZENDESK_EMAIL, ZENDESK_API_TOKEN and ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)."""
    email, token = env.get("ZENDESK_EMAIL", ""), env.get("ZENDESK_API_TOKEN", "")
    subdomain = env.get("ZENDESK_SUBDOMAIN", "").strip()
    base = env.get("ZENDESK_BASE_URL", "").strip()
    missing = [n for n, val in (("ZENDESK_EMAIL", email), ("ZENDESK_API_TOKEN", token)) if not val]
    if not base and not subdomain:
        missing.append("ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)")
    if missing:
        raise MissingCredentials(f"set {', '.join(missing)} in the environment")
    base = base or f"https://{subdomain}.zendesk.com"
    # API token authentication: "{email}/token:{token}" (Zendesk's API basics).
    return JsonClient(base, basic_auth(f"{email}/token", token), stop)


class ZendeskSource:
    name = NAME

    def __init__(
        self,
        client: JsonClient,
        *,
        start_time: int = 0,
        comments: bool = True,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._client = client
        self._start_time = start_time
        self._comments = comments
        self._page_size = page_size

    def pages(self, cursor: str | None) -> Iterator[SyncPage]:
        params: dict[str, Any] = {"per_page": self._page_size}
        params |= {"cursor": cursor} if cursor else {"start_time": self._start_time}
        while True:
            page = self._client.get(
                EXPORT_PATH, params | {"include": "metric_sets", "exclude_deleted": "true"}
            ).data
            tickets = page.get("tickets") if isinstance(page, dict) else None
            if not isinstance(tickets, list):
                raise SyncError(f"{EXPORT_PATH}: the response has no 'tickets' array")
            sideloads = Sideloads.of_page(page)
            items = []
            for index, obj in enumerate(tickets):
                thread = self._thread(obj, sideloads) if self._comments else None
                items.append(zendesk_ticket(obj, index, comments=thread, sideloads=sideloads))
            after = page.get("after_cursor")
            cursor = after if isinstance(after, str) and after else cursor
            if cursor is None:
                raise SyncError(f"{EXPORT_PATH}: the response has no 'after_cursor'")
            yield SyncPage(items, cursor)
            if page.get("end_of_stream") is not False or not after:
                return
            params = {"per_page": self._page_size, "cursor": after}

    def _thread(self, obj: Any, sideloads: Sideloads) -> list[Any] | None:
        """Every comment of the ticket; None without a usable id (the mapper reports
        it) or when the ticket is gone by now (its metric set stands in). The users
        sideload adds each author's role."""
        ticket_id = obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            return None  # no usable id: the mapper reports the ticket
        comments: list[Any] = []
        path: str | None = COMMENTS_PATH.format(id=ticket_id)
        params: dict[str, Any] | None = {"include": "users", "page[size]": COMMENTS_PAGE_SIZE}
        while path:
            try:
                data = self._client.get(path, params).data
            except SyncError as exc:
                if exc.status == NOT_FOUND:  # deleted since the export listed it
                    return None
                raise
            if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
                raise SyncError(f"{path}: the response has no 'comments' array")
            comments.extend(data["comments"])
            sideloads.add_users(data.get("users"))
            path, params = _next_page(data), None
        return comments


def _next_page(data: dict[str, Any]) -> str | None:
    """The next page's URL: cursor pagination (`meta.has_more`, `links.next`) or
    offset pagination (`next_page`)."""
    meta, links = data.get("meta"), data.get("links")
    if isinstance(meta, dict) and "has_more" in meta:
        if meta.get("has_more") is not True or not isinstance(links, dict):
            return None
        following = links.get("next")
    else:
        following = data.get("next_page")
    return following if isinstance(following, str) and following else None
