"""The HTTP server beside the gRPC one: a Starlette app (the gateway, /openapi.json,
/healthz and routes others add) on uvicorn, in a thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Sequence

import grpc
import uvicorn
from grpc_health.v1 import health_pb2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ticketminer.config import Settings
from ticketminer.http.errors import JSON, ConnectError, from_rpc_error
from ticketminer.http.gateway import Gateway, call_metadata, echoed
from ticketminer.http.openapi import openapi_document

log = logging.getLogger("ticketminer.http")
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
_HEALTH_TIMEOUT = 5.0
_START_TIMEOUT = 10.0


def _json(value: object, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status, media_type=JSON)


def build_http_app(
    target: str,
    settings: Settings,
    *,
    key_check: Callable[[str], bool] | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The app over the gRPC server at `target`. `key_check` (a bearer token -> valid?)
    guards /openapi.json, as --auth keys guards reflection when it is not open."""
    gateway = Gateway(target, settings.max_message_bytes)
    document = json.dumps(openapi_document()).encode()

    async def openapi(request: Request) -> Response:
        if key_check is not None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            valid = scheme.lower() == "bearer" and await asyncio.to_thread(key_check, token)
            if not valid:
                error = "missing or invalid API key: send 'Authorization: Bearer <key>'"
                return ConnectError(grpc.StatusCode.UNAUTHENTICATED, error).response()
        return Response(document, media_type=JSON)

    async def healthz(request: Request) -> Response:
        """The gRPC health status of ?service= (the whole server by default): 200 when
        SERVING, 503 otherwise (NOT_SERVING while draining)."""
        check = gateway.channel.unary_unary(
            HEALTH_CHECK,
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        service = request.query_params.get("service", "")
        try:
            answer = await check(
                health_pb2.HealthCheckRequest(service=service),
                metadata=call_metadata(request),
                timeout=_HEALTH_TIMEOUT,
            )
        except grpc.aio.AioRpcError as exc:
            return from_rpc_error(exc, echoed(exc.initial_metadata())).response()
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
        serving = answer.status == health_pb2.HealthCheckResponse.SERVING
        return _json({"status": status}, 200 if serving else 503)

    async def not_found(request: Request, exc: Exception) -> Response:
        message = f"no route {request.method} {request.url.path}; the RPCs are in /openapi.json"
        return ConnectError(grpc.StatusCode.NOT_FOUND, message).response()

    async def not_allowed(request: Request, exc: Exception) -> Response:
        headers = getattr(exc, "headers", None) or {}
        message = f"{request.method} is not allowed here; RPCs take POST"
        error = ConnectError(
            grpc.StatusCode.UNIMPLEMENTED, message, http_status=405, headers=dict(headers)
        )
        return error.response()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await gateway.open()
        try:
            yield
        finally:
            await gateway.close()

    routes: list[BaseRoute] = [
        *gateway.routes(),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        *extra_routes,
    ]
    handlers = {404: not_found, 405: not_allowed}
    return Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)


class BindError(OSError):
    """The HTTP port cannot be had (taken, or not an address of this host)."""


def _bind(host: str, port: int) -> socket.socket:
    """Bound now (like the gRPC port), so port 0 is known and a taken port fails start."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on such sockets, and without it
    # a response's body waits ~40 ms behind its headers (Nagle and delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BindError(f"could not bind --http-port {host}:{port}: {exc.strerror}") from exc
    sock.setblocking(False)
    return sock


class _Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the process's own handler stops us (Server.stop)
        yield


class HttpServer:
    """uvicorn serving `app` on --host:--http-port, TLS with the gRPC certificate
    settings (and client certificates required under mutual TLS)."""

    def __init__(self, app: Starlette, settings: Settings) -> None:
        cert, key, ca = settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
        self.tls = bool(cert)
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
            server_header=False,
            ssl_certfile=cert or None,
            ssl_keyfile=key or None,
            ssl_ca_certs=ca or None,
            ssl_cert_reqs=ssl.CERT_REQUIRED if ca else ssl.CERT_NONE,
            timeout_graceful_shutdown=max(1, round(settings.grace_seconds)),
        )
        config.load()  # a bad certificate fails here, not in the thread
        self._socket = _bind(settings.host, settings.http_port)
        self.port: int = self._socket.getsockname()[1]
        self._server = _Uvicorn(config)
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self._run, name="http", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started and self._thread.is_alive() and waited < _START_TIMEOUT:
            self._thread.join(0.01)
            waited += 0.01
        if not self._server.started:
            self.stop(0)
            raise RuntimeError(f"the HTTP server did not start: {self._failed!r}")
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # SystemExit from a failed lifespan start, too
            self._failed = exc
            log.exception("the HTTP server stopped with an error")

    def stop(self, grace: float) -> None:
        """Stop taking connections and let calls under way finish, up to `grace` s."""
        self._server.config.timeout_graceful_shutdown = max(grace, 0.01)
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(grace + 5)
        self._socket.close()
