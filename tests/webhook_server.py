"""A real uvicorn server on a loopback port serving the webhook routes, in a thread,
and a plain urllib client for it."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.webhooks.routes import webhook_routes


@contextlib.contextmanager
def serving(app: App, settings: Settings) -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:<port>) while the server runs."""
    asgi = Starlette(routes=webhook_routes(app, settings))
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(HTTP status, decoded JSON answer)."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
