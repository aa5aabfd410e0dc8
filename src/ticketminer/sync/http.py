"""A small JSON-over-HTTPS GET client (stdlib urllib) with the retry rules both
vendors document: 429 (and 503) carry `Retry-After` seconds to wait.

Errors are one line naming the request and the vendor's own message, never the
credentials. Waits end early when `stop` is set, so SIGTERM is not held up by a
rate limit.
"""

from __future__ import annotations

import base64
import email.utils
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ticketminer import __version__

RETRY_STATUSES = frozenset({429, 503})
FATAL_STATUSES = frozenset({400, 401, 403, 404})  # a setting is wrong: retrying will not help
NOT_FOUND = 404
MAX_RETRIES = 6
MAX_WAIT_SECONDS = 300.0
DEFAULT_WAIT_SECONDS = 10.0
TIMEOUT_SECONDS = 60.0
DETAIL_CHARS = 200


class SyncError(Exception):
    """A request failed; the message is one line. `fatal` when retrying cannot help;
    `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, fatal: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.fatal = fatal
        self.status = status


class Stopped(Exception):
    """The stop event was set while waiting to retry."""


def basic_auth(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


@dataclass(frozen=True, slots=True)
class Response:
    data: Any
    headers: dict[str, str]


class JsonClient:
    def __init__(
        self,
        base_url: str,
        authorization: str,
        stop: threading.Event | None = None,
        *,
        timeout: float = TIMEOUT_SECONDS,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._authorization = authorization
        self._stop = stop or threading.Event()
        self._timeout = timeout
        self._max_retries = max_retries

    def get(self, path: str, params: dict[str, Any] | None = None) -> Response:
        """GET `path` (or a full URL on this base) with `params`; the parsed JSON body."""
        url = self.url(path, params)
        shown = _shown(url)
        for attempt in range(self._max_retries + 1):
            request = urllib.request.Request(
                url,
                headers={
                    "Authorization": self._authorization,
                    "Accept": "application/json",
                    "User-Agent": f"ticketminer/{__version__}",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as reply:
                    body = reply.read()
                    headers = {k.lower(): v for k, v in reply.headers.items()}
            except urllib.error.HTTPError as exc:
                if exc.code in RETRY_STATUSES and attempt < self._max_retries:
                    self._wait(_retry_after(exc.headers.get("Retry-After")))
                    continue
                detail = _detail(exc.read())
                message = f"GET {shown} failed: HTTP {exc.code} {exc.reason}"
                raise SyncError(
                    f"{message}: {detail}" if detail else message,
                    fatal=exc.code in FATAL_STATUSES,
                    status=exc.code,
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise SyncError(f"GET {shown} failed: cannot reach the server: {reason}") from None
            try:
                return Response(json.loads(body.decode("utf-8")), headers)
            except (UnicodeDecodeError, ValueError):
                raise SyncError(f"GET {shown} failed: the response is not JSON") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """A path, or a URL the vendor returned; only its path and query are kept, so a
        next-page link always goes to the configured base (a proxy, a test server)."""
        parts = urllib.parse.urlsplit(path)
        url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        if params:
            url += ("&" if parts.query else "?") + urllib.parse.urlencode(params)
        return url

    def _wait(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise Stopped


def _retry_after(value: str | None) -> float:
    """Seconds from `Retry-After` (a number or an HTTP date), capped."""
    if not value:
        return DEFAULT_WAIT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = DEFAULT_WAIT_SECONDS
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def _shown(url: str) -> str:
    """The URL without its query, which can be long; credentials are never in it."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _detail(body: bytes) -> str:
    """The vendor's error message on one line: Zendesk {"error", "description"},
    Freshdesk {"code", "message"} or {"description", "errors"}."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = [
            str(data[k])
            for k in ("error", "code", "message", "description")
            if isinstance(data.get(k), str | int) and data.get(k)
        ]
        if isinstance(data.get("errors"), list) and data["errors"]:
            parts.append(json.dumps(data["errors"][:3]))
        text = " - ".join(parts) or text
    return " ".join(text.split())[:DETAIL_CHARS]
