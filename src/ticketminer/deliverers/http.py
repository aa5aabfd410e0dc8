"""JSON over HTTP POST with the standard library, for the chat and webhook backends.

Redirects are not followed (a webhook that moves is a configuration to fix, and a
redirect must not carry the digest elsewhere); every request has a timeout; errors
never quote the URL, which holds the webhook's token.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Collection
from typing import Any

from ticketminer.deliverers.base import DeliveryError

MAX_REPLY_BYTES = 64 * 1024
USER_AGENT = "ticketminer-digest/1"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx code


_OPENER = urllib.request.build_opener(_NoRedirects)


def _retryable_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def post(url: str, body: bytes, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    """POST `body`; the reply's body on 2xx, else DeliveryError."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as reply:
            return reply.read(MAX_REPLY_BYTES)
    except urllib.error.HTTPError as exc:
        detail = exc.read(200).decode(errors="replace").strip()
        message = f"HTTP {exc.code}" + (f": {detail}" if detail else "")
        raise DeliveryError(message, retryable=_retryable_status(exc.code)) from None
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g} s", retryable=True) from None
    except urllib.error.URLError as exc:
        raise DeliveryError(f"could not connect: {exc.reason}", retryable=True) from None
    except OSError as exc:
        raise DeliveryError(f"connection failed: {exc}", retryable=True) from None
    except http.client.HTTPException as exc:  # e.g. a reply that is not HTTP
        raise DeliveryError(f"bad HTTP answer: {type(exc).__name__}", retryable=True) from None
    except ValueError:  # http.client.InvalidURL: validation should have caught it
        raise DeliveryError("the webhook URL is not valid", retryable=False) from None


def post_json(
    url: str, payload: dict[str, Any], timeout: float, headers: dict[str, str] | None = None
) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return post(url, body, timeout, headers)


def check_vendor_code(
    reply: bytes, vendor: str, keys: tuple[str, ...], retryable_codes: Collection[int]
) -> None:
    """Chat vendors answer HTTP 200 with an error code in the body: any code but 0 is
    a failure; rate limits and "system busy" are worth retrying."""
    try:
        data = json.loads(reply)
    except ValueError:
        raise DeliveryError(f"{vendor} answered with no JSON", retryable=True) from None
    if not isinstance(data, dict):
        raise DeliveryError(f"{vendor} answered with unexpected JSON", retryable=False)
    code = next((data[k] for k in keys if k in data), None)
    if code is None:
        raise DeliveryError(f"{vendor} answered without {keys[0]}", retryable=False)
    if code != 0:
        text = str(data.get("msg") or data.get("errmsg") or "")[:200]
        raise DeliveryError(
            f"{vendor} error {code}: {text}".rstrip(": "), retryable=code in retryable_codes
        )
