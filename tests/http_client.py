"""A small HTTP client for the gateway tests (stdlib only): one POST or GET, the
status, headers and body back, streamed request bodies included.

Not a test module (pytest puts this directory on sys.path, as for builders.py).
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SERVICE_PATH = "/ticketminer.v1.TicketMiner/"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    path: str,
    body: bytes | Iterable[bytes] | None = None,
    *,
    method: str = "POST",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> Answer:
    if tls is None:
        conn: http.client.HTTPConnection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=timeout
        )
    else:
        conn = http.client.HTTPSConnection("localhost", port, timeout=timeout, context=tls)
    sent = dict(headers or {})
    if body is not None:
        sent["Content-Type"] = content_type
    chunked = body is not None and not isinstance(body, bytes)
    try:
        conn.request(method, path, body=body, headers=sent, encode_chunked=chunked)
        response = conn.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


def rpc(port: int, method: str, message: dict | list | bytes, **kwargs: Any) -> Answer:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return request(port, SERVICE_PATH + method, body, **kwargs)
