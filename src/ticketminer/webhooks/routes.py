"""`POST /webhooks/{source}/{tenant_id}`: helpdesk webhooks over HTTP (Starlette).

The handler stays on the event loop only to read the body, incrementally and up to
--webhook-max-bytes (413 past it, without reading the rest); the key check, the
signature and the ingest run in a worker thread. Answers are JSON:
`{"outcome": "CREATED", "external_id": ..., "tenant_id": ...}` (200), or
`{"code": ..., "message": ..., "details": [{"field", "description"}]}` with the
HTTP status of the refusal (details only for 400).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ticketminer.api.errors import MAX_MESSAGE_CHARS, bad_request
from ticketminer.app import App
from ticketminer.config import Settings, parse_webhook_secrets
from ticketminer.domain.errors import InvalidArgument, NotFound, Unavailable
from ticketminer.services.ticket_locks import TicketLocks
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.outages import database_unavailable
from ticketminer.webhooks import SOURCES
from ticketminer.webhooks.receipts import Receipts
from ticketminer.webhooks.receiver import WebhookError, WebhookReceiver

log = logging.getLogger(__name__)

PATH = "/webhooks/{source}/{tenant_id}"
API_KEY_QUERY = "api_key"


def _json(body: dict[str, Any], status: int = 200) -> Response:
    """ASCII JSON: text echoed from a body (an id, a field name) may hold a lone
    surrogate, which UTF-8 cannot encode but a JSON escape can."""
    return Response(json.dumps(body).encode(), status, media_type="application/json")


def _error(
    status: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> Response:
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return _json(body, status)


def error_response(exc: BaseException) -> Response:
    """The one place where a refused or failed delivery becomes an HTTP answer."""
    if isinstance(exc, WebhookError):
        return _error(exc.status, exc.code, exc.message)
    if isinstance(exc, InvalidArgument):
        # The same cap as the gRPC BadRequest detail, so a huge body cannot make a huge answer.
        kept = bad_request(exc.violations).field_violations
        details = [{"field": v.field, "description": v.description} for v in kept]
        return _error(400, "invalid_argument", str(exc), details)
    if isinstance(exc, NotFound):
        return _error(404, "not_found", str(exc))
    if isinstance(exc, Unavailable) or database_unavailable(exc):
        return _error(503, "unavailable", "the database is unavailable; retry")
    log.error("webhook delivery failed", exc_info=exc)
    return _error(500, "internal", "internal error; the server log has the details")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or WebhookError 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise WebhookError(413, "resource_exhausted", f"the body is over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WebhookError(413, "resource_exhausted", f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _api_key(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.query_params.get(API_KEY_QUERY, "")


def make_receiver(app: App, settings: Settings) -> WebhookReceiver:
    return WebhookReceiver(
        app.tickets,
        app.api_keys if settings.auth == "keys" else None,
        Receipts(app.engine),
        parse_webhook_secrets(settings.webhook_secrets),
        SOURCES,
        settings.max_id_bytes,
        TicketLocks(JobLocks(app.engine)),
    )


def webhook_routes(app: App, settings: Settings) -> list[Route]:
    """The routes to mount in the HTTP server (one receiver, shared by all requests)."""
    receiver = make_receiver(app, settings)
    limit = settings.webhook_max_bytes

    async def receive(request: Request) -> Response:
        source, tenant_id = request.path_params["source"], request.path_params["tenant_id"]
        try:
            receiver.source(source)  # cheap: 404 before any work
            await run_in_threadpool(receiver.authorize, tenant_id, _api_key(request))
            body = await read_body(request, limit)
            headers = {k.lower(): v for k, v in request.headers.items()}
            query = dict(request.query_params)
            accepted = await run_in_threadpool(
                receiver.receive, source, tenant_id, headers, query, body
            )
        except Exception as exc:
            return error_response(exc)
        outcome = "IGNORED" if accepted.outcome is None else accepted.outcome.name
        return _json(
            {
                "outcome": outcome,
                "external_id": accepted.external_id,
                "tenant_id": accepted.tenant_id,
            }
        )

    return [Route(PATH, receive, methods=["POST"])]
