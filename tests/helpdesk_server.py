"""Real local HTTP servers that speak the Zendesk and Freshdesk APIs the sync reads.

Each serves its state in the vendor's documented JSON shape from a
`ThreadingHTTPServer` on 127.0.0.1 with a free port, checks Basic auth, pages the
way the vendor does, and can answer 429 with Retry-After once, or hold one
request until released (to kill a client mid-sync). Tests change tickets between
runs through `touch`.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

EXPORTS = Path(__file__).parent / "data" / "exports"
HOLD_SECONDS = 30.0


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class VendorServer:
    """The shared machinery: auth, request log, one 429, one held request."""

    def __init__(self, authorization: str) -> None:
        self.authorization = authorization
        self.log: list[str] = []  # "path?query" of every request, in order
        self.throttle_next: str | None = None  # a path prefix answered 429 once
        self.retry_after = "1"
        self.hold_request: int | None = None  # the n-th list request (1-based) waits
        self.held = threading.Event()  # set when that request arrived
        self.release = threading.Event()
        self.list_requests = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> VendorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def requests_to(self, prefix: str) -> list[str]:
        return [r for r in self.log if r.startswith(prefix)]

    # --- request handling -----------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        with self._lock:
            self.log.append(request.path)
        if request.headers.get("Authorization") != self.authorization:
            self._send(request, 401, self.auth_error())
            return
        if self.throttle_next and parts.path.startswith(self.throttle_next):
            self.throttle_next = None
            self._send(
                request, 429, {"error": "TooManyRequests"}, {"Retry-After": self.retry_after}
            )
            return
        if self.is_list(parts.path):
            with self._lock:
                self.list_requests += 1
                hold = self.list_requests == self.hold_request
            if hold:
                self.held.set()
                self.release.wait(HOLD_SECONDS)
        with self._lock:
            found = self.route(parts.path, query)
        if found is None:
            self._send(request, 404, {"error": "RecordNotFound"})
        else:
            self._send(request, 200, found)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict | None = None
    ) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed mid-request

    def auth_error(self) -> Any:
        raise NotImplementedError

    def is_list(self, path: str) -> bool:
        raise NotImplementedError

    def route(self, path: str, query: dict[str, str]) -> Any:
        raise NotImplementedError


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class ZendeskServer(VendorServer):
    """The cursor-based incremental ticket export and the comments endpoint.

    The export is ordered by (updated_at, id); a cursor is the position after the
    last ticket returned, so a changed ticket (a later updated_at) comes again after
    every cursor handed out before the change, as with Zendesk."""

    EMAIL, TOKEN = "ops@acme.test", "zd-token"

    def __init__(self, page_size: int = 2) -> None:
        super().__init__(_basic(f"{self.EMAIL}/token", self.TOKEN))
        page = json.loads((EXPORTS / "zendesk_incremental_page.json").read_text())
        self.tickets: dict[int, dict] = {}
        self.comments: dict[int, list[dict]] = {}
        for obj in page["tickets"]:
            if obj["status"] == "deleted":
                continue
            obj = copy.deepcopy(obj)
            self.comments[obj["id"]] = obj.pop("comments", [])
            self.tickets[obj["id"]] = obj
        self.page_size = page_size
        self.comments_page_size = 2
        self.gone: set[int] = set()  # deleted after the export listed them: comments 404

    def env(self) -> dict[str, str]:
        return {
            "ZENDESK_BASE_URL": self.base_url,
            "ZENDESK_EMAIL": self.EMAIL,
            "ZENDESK_API_TOKEN": self.TOKEN,
        }

    def touch(self, ticket_id: int, status: str, minutes_later: int = 60) -> None:
        """Change a ticket, as an agent would: it becomes the latest updated."""
        with self._lock:
            obj = self.tickets[ticket_id]
            latest = max(datetime.fromisoformat(t["updated_at"]) for t in self.tickets.values())
            moment = latest + timedelta(minutes=minutes_later)
            obj["status"], obj["updated_at"] = status, _iso(moment)

    def auth_error(self) -> Any:
        return {"error": "Couldn't authenticate you"}

    def is_list(self, path: str) -> bool:
        return path == "/api/v2/incremental/tickets/cursor.json"

    def route(self, path: str, query: dict[str, str]) -> Any:
        if self.is_list(path):
            return self._export(query)
        prefix, suffix = "/api/v2/tickets/", "/comments.json"
        if path.startswith(prefix) and path.endswith(suffix):
            return self._comments(int(path[len(prefix) : -len(suffix)]), query)
        return None

    def _ordered(self) -> list[tuple[float, int]]:
        return sorted((_ts(t["updated_at"]), t["id"]) for t in self.tickets.values())

    def _export(self, query: dict[str, str]) -> Any:
        if "cursor" in query:
            stamp, _, ident = base64.urlsafe_b64decode(query["cursor"]).decode().partition("|")
            after = (float(stamp), int(ident))
            rest = [k for k in self._ordered() if k > after]
        else:
            rest = [k for k in self._ordered() if k[0] >= int(query["start_time"])]
            after = (float(query["start_time"]) - 1, 0)
        size = min(int(query.get("per_page", 1000)), self.page_size)
        chosen, more = rest[:size], len(rest) > size
        position = chosen[-1] if chosen else after
        cursor = base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode()
        tickets = []
        for _, ident in chosen:
            obj = copy.deepcopy(self.tickets[ident])
            metric_set = obj.pop("metric_set", None)
            if "metric_sets" in query.get("include", "") and metric_set is not None:
                obj["metric_set"] = metric_set
            tickets.append(obj)
        return {
            "tickets": tickets,
            "after_url": f"https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
            "after_cursor": cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": not more,
        }

    def _comments(self, ticket_id: int, query: dict[str, str]) -> Any:
        if ticket_id not in self.tickets or ticket_id in self.gone:
            return None
        comments = self.comments[ticket_id]
        size = min(int(query.get("page[size]", 100)), self.comments_page_size)
        start = int(query.get("page[after]", 0))
        chosen = comments[start : start + size]
        more = start + size < len(comments)
        following = (
            f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}/comments.json"
            f"?include=users&page%5Bsize%5D={size}&page%5Bafter%5D={start + size}"
        )
        authors = {c["author_id"] for c in chosen}
        users = [
            {
                "id": a,
                "role": "end-user" if a == self.tickets[ticket_id]["requester_id"] else "agent",
            }
            for a in sorted(authors)
        ]
        body: dict[str, Any] = {
            "comments": chosen,
            "meta": {"has_more": more, "after_cursor": str(start + size) if more else None},
            "links": {"next": following if more else None, "prev": None},
        }
        if "users" in query.get("include", ""):
            body["users"] = users
        return body


class FreshdeskServer(VendorServer):
    """`GET /api/v2/tickets` with updated_since (inclusive), updated_at ordering and
    page numbers, and `GET /api/v2/tickets/{id}/conversations`."""

    KEY = "fd-key"

    def __init__(self) -> None:
        super().__init__(_basic(self.KEY, "X"))
        self.tickets: dict[int, dict] = {}
        self.conversations: dict[int, list[dict]] = {}
        for obj in json.loads((EXPORTS / "freshdesk_tickets.json").read_text()):
            obj = copy.deepcopy(obj)
            self.conversations[obj["id"]] = obj.pop("conversations", [])
            self.tickets[obj["id"]] = obj

    def env(self) -> dict[str, str]:
        return {"FRESHDESK_BASE_URL": self.base_url, "FRESHDESK_API_KEY": self.KEY}

    def touch(self, ticket_id: int, status: int, minutes_later: int = 60) -> None:
        with self._lock:
            obj = self.tickets[ticket_id]
            latest = max(datetime.fromisoformat(t["updated_at"]) for t in self.tickets.values())
            moment = latest + timedelta(minutes=minutes_later)
            obj["status"], obj["updated_at"] = status, _iso(moment)

    def auth_error(self) -> Any:
        return {
            "code": "invalid_credentials",
            "message": "You have to be logged in to perform this action.",
        }

    def is_list(self, path: str) -> bool:
        return path == "/api/v2/tickets"

    def route(self, path: str, query: dict[str, str]) -> Any:
        if self.is_list(path):
            return list(self._list(query))
        parts = path.strip("/").split("/")
        if (
            len(parts) == 5
            and parts[:3] == ["api", "v2", "tickets"]
            and parts[4] == "conversations"
        ):
            found = self.conversations.get(int(parts[3]))
            if found is None:
                return None
            size = min(int(query.get("per_page", 30)), 100)
            page = int(query.get("page", 1))
            return found[(page - 1) * size : page * size]
        return None

    def _list(self, query: dict[str, str]) -> Iterator[dict]:
        since = _ts(query["updated_since"])
        assert query.get("order_by") == "updated_at" and query.get("order_type") == "asc"
        include = set(query.get("include", "").split(","))
        ordered = sorted(
            (t for t in self.tickets.values() if _ts(t["updated_at"]) >= since),
            key=lambda t: (_ts(t["updated_at"]), t["id"]),
        )
        size = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        for obj in ordered[(page - 1) * size : page * size]:
            out = copy.deepcopy(obj)
            for optional in ("stats", "requester"):
                if optional not in include:
                    out.pop(optional, None)
            yield out
