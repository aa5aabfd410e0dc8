"""The gRPC server: TicketMiner, health and reflection on the synchronous grpc.server
(measured faster than grpc.aio on this workload; see BENCHMARKS.md)."""

from __future__ import annotations

import gc
import logging
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ticketminer.api.auth import AuthInterceptor
from ticketminer.api.cancellation import CancellationInterceptor
from ticketminer.api.handlers import SERVICE_NAME, ticketminer_handler
from ticketminer.api.interceptors import AccessLogInterceptor
from ticketminer.api.request_limits import RequestLimits
from ticketminer.api.servicer import TicketMinerServicer
from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.observability import Telemetry, TenantGauges
from ticketminer.services.embedding_queue import EmbeddingLoop
from ticketminer.text.sentiment import default_scorer
from ticketminer.webhooks.routes import webhook_routes

log = logging.getLogger("ticketminer.server")

# Routes the HTTP server serves beside the gateway: each factory takes the app and the
# settings and returns Starlette routes (e.g. the webhook receivers).
HttpRouteFactory = Callable[[App, Settings], Sequence[Any]]
HTTP_ROUTE_FACTORIES: list[HttpRouteFactory] = [webhook_routes]


def _auth(settings: Settings, app: App) -> list[grpc.ServerInterceptor]:
    """The API-key check when `--auth keys` (after the access log, which records
    refused calls too)."""
    if settings.auth == "off":
        return []
    open_services = frozenset(
        s.strip() for s in settings.auth_open_services.split(",") if s.strip()
    )
    return [AuthInterceptor(app.api_keys, open_services)]


_REFLECTION = {"grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"}


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS from --tls-cert-file / --tls-key-file, and mutual TLS (client certificates
    signed by --tls-client-ca-file required) when that is set; None for plaintext."""
    cert, key, ca = settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
    if not (cert or key or ca):
        return None
    if not (cert and key):
        raise ValueError("TLS needs both --tls-cert-file and --tls-key-file")
    return grpc.ssl_server_credentials(
        [(_read(key), _read(cert))],
        root_certificates=_read(ca) if ca else None,
        require_client_auth=bool(ca),
    )


def servicer_of(app: App) -> TicketMinerServicer:
    """The gRPC servicer over the app's services."""
    return TicketMinerServicer(
        app.tickets,
        app.metrics,
        app.issues,
        app.anomalies,
        app.digest,
        app.lifecycle,
        app.tenants,
        app.directory,
        RequestLimits(app.settings.max_id_bytes, app.settings.max_list_items),
        deliveries=app.deliveries,
        erasure=app.erasure,
    )


class Server:
    """A started server; `port` is the bound port (useful with port 0)."""

    def __init__(self, settings: Settings, app: App | None = None) -> None:
        self.settings = settings
        credentials = server_credentials(settings)  # bad settings fail before the db opens
        if settings.auth not in ("off", "keys"):
            raise ValueError(f"--auth must be off or keys, not {settings.auth!r}")
        self.app = app or App.open(settings)
        self.telemetry = Telemetry()
        self.telemetry.watch(
            TenantGauges(
                self.app.facts.known_tenants,
                self.app.issues.model,
                self.app.anomalies.active,
                tenant_labels=settings.metrics_tenant_labels,
            )
        )
        self.metrics_port: int | None = None  # bound once started, when enabled
        self._metrics_http: Any = None
        self._grpc = grpc.server(
            ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="rpc"),
            # The access log outermost (it sees every final code), then the call's
            # cancellation scope (deadlines honoured), then the key check.
            interceptors=[
                AccessLogInterceptor(self.telemetry),
                CancellationInterceptor(),
                *_auth(settings, self.app),
            ],
            options=[
                ("grpc.max_receive_message_length", settings.max_message_bytes),
                ("grpc.max_send_message_length", settings.max_message_bytes),
            ],
            maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
        )
        servicer = servicer_of(self.app)
        self._scheduler = self.app.scheduler()
        self._scans = self.app.anomaly_scheduler()
        self._deliveries = self.app.delivery_loop()
        self._retention = self.app.retention_loop()
        embeddings = self.app.embeddings
        self._embedding = EmbeddingLoop(embeddings) if embeddings is not None else None
        self._grpc.add_generic_rpc_handlers((ticketminer_handler(servicer),))
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._grpc)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self._grpc
        )
        address = f"{settings.host}:{settings.port}"
        self.tls = credentials is not None
        if credentials is None:
            self.port = self._grpc.add_insecure_port(address)
        else:
            self.port = self._grpc.add_secure_port(address, credentials)
        if self.port == 0:
            raise RuntimeError(f"could not bind {settings.host}:{settings.port}")
        self.http_port: int | None = None  # bound once started, when enabled
        self._loopback_dir: str | None = None
        self._http = self._http_server() if settings.http_port >= 0 else None

    def _http_server(self) -> Any:
        """The HTTP/JSON gateway, forwarding to this gRPC server over a Unix socket in a
        private (0700) directory: plaintext that only this user can reach, whatever
        --host and TLS say, so the gateway needs no client certificate of its own."""
        from ticketminer.http.server import HttpServer, build_http_app

        self._loopback_dir = tempfile.mkdtemp(prefix="ticketminer-")
        target = f"unix:{self._loopback_dir}/grpc.sock"
        if not self._grpc.add_insecure_port(target):
            raise RuntimeError(f"could not bind {target}")
        settings = self.settings
        key_check = None
        open_services = {s.strip() for s in settings.auth_open_services.split(",")}
        if settings.auth == "keys" and not open_services & _REFLECTION:
            # /openapi.json is as open as reflection is.
            keys = self.app.api_keys
            key_check = lambda token: keys.authenticate(token) is not None  # noqa: E731
        extra = [route for make in HTTP_ROUTE_FACTORIES for route in make(self.app, settings)]
        app = build_http_app(target, settings, key_check=key_check, extra_routes=extra)
        try:
            return HttpServer(app, settings)
        except Exception:
            shutil.rmtree(self._loopback_dir, ignore_errors=True)
            raise

    def start(self) -> Server:
        # Modules, settings and services live as long as the process: out of the
        # collector's sight, a full collection no longer walks them while holding the
        # GIL (pauses of up to 0.6 s held up health checks under load).
        gc.freeze()
        self._grpc.start()
        for name in ("", SERVICE_NAME):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self.settings.metrics_port >= 0:
            self._metrics_http, self.metrics_port = self.telemetry.serve(
                self.settings.host, self.settings.metrics_port
            )
        if self._http is not None:
            self.http_port = self._http.start().port
        log.info(
            {
                "event": "serving",
                "host": self.settings.host,
                "port": self.port,
                "tls": self.tls,
                "metrics_port": self.metrics_port,
                "http_port": self.http_port,
            }
        )
        # Metrics tables load in the background; queries meanwhile wait for them.
        threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
        self._scheduler.start()
        self._scans.start()
        if self._deliveries is not None:
            self._deliveries.start()
        if self._retention is not None:
            self._retention.start()
        if self._embedding is not None:
            self._embedding.start()
        return self

    def _warm_up(self) -> None:
        started = time.perf_counter()
        # The sentiment model is built on first use (seconds); not on a request. So is an
        # in-process embedding model (a remote one has nothing to load).
        default_scorer()
        load = getattr(self.app.embedder, "load", None)
        if load is not None:
            load()
        try:
            self.app.facts.warm_up()
        except Exception:
            log.exception("warming up the metrics tables failed; they load on first use")
            return
        seconds = round(time.perf_counter() - started, 3)
        log.info({"event": "metrics_tables_loaded", "seconds": seconds})
        gc.freeze()  # the models and tables just built, as at start()

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING first so balancers drain us, then let calls finish."""
        self.health.enter_graceful_shutdown()
        self._scheduler.stop()
        self._scans.stop()
        if self._deliveries is not None:
            self._deliveries.stop()
        if self._retention is not None:
            self._retention.stop()
        if self._embedding is not None:
            self._embedding.stop()
        grace = self.settings.grace_seconds if grace is None else grace
        if self._http is not None:
            # First, while the gRPC server still answers the calls it forwards.
            started = time.monotonic()
            self._http.stop(grace)
            grace = max(0.0, grace - (time.monotonic() - started))
        self._grpc.stop(grace).wait()
        if self._loopback_dir is not None:
            shutil.rmtree(self._loopback_dir, ignore_errors=True)
        if self._metrics_http is not None:
            self._metrics_http.shutdown()
        self.app.close()
        log.info({"event": "stopped"})

    def wait(self) -> None:
        self._grpc.wait_for_termination()


def serve(settings: Settings) -> None:
    try:
        server = Server(settings).start()
    except OSError as exc:  # a port that cannot be had: a message, not a traceback
        log.error({"event": "bind_failed", "error": str(exc)})
        raise SystemExit(f"ticketminer: {exc}") from None
    stopping = threading.Event()

    def on_signal(signum: int, _frame) -> None:
        if not stopping.is_set():
            stopping.set()
            log.info({"event": "signal", "signal": signal.Signals(signum).name})
            threading.Thread(target=server.stop, name="shutdown").start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.wait()
