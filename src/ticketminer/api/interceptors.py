"""Server interceptors: a request id, one structured log line and the Prometheus
numbers per RPC."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import grpc

from ticketminer.api.handler_wrap import wrap_handler
from ticketminer.observability import Telemetry

log = logging.getLogger("ticketminer.rpc")
REQUEST_ID = "x-request-id"
# A caller's own id is kept when it is a plain token, so logs across services join.
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(context: grpc.ServicerContext) -> str:
    """The caller's x-request-id when it is a plain token, else a new one; echoed to
    the caller in the response's initial metadata."""
    sent = dict(context.invocation_metadata() or ()).get(REQUEST_ID, "")
    rid = sent if isinstance(sent, str) and _GOOD_ID.fullmatch(sent) else uuid.uuid4().hex
    context.send_initial_metadata(((REQUEST_ID, rid),))
    return rid


def _code_name(context: grpc.ServicerContext, failed: bool) -> str:
    code = context.code()
    if code is None:
        code = grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


class _Call:
    """One RPC as the interceptor sees it."""

    def __init__(self, method: str, context: grpc.ServicerContext) -> None:
        self.method, self.context = method, context
        self.started = time.perf_counter()
        self.request_id = request_id(context)

    def finish(self, failed: bool, telemetry: Telemetry | None, response: Any = None) -> None:
        seconds = time.perf_counter() - self.started
        code = _code_name(self.context, failed)
        if telemetry is not None:
            telemetry.observe_rpc(self.method, code, seconds, response)
        if log.isEnabledFor(logging.INFO):
            line = {
                "event": "rpc",
                "method": self.method,
                "code": code,
                "latency_ms": round(seconds * 1000, 3),
                "request_id": self.request_id,
            }
            log.info(line)


class AccessLogInterceptor(grpc.ServerInterceptor):
    """Gives every RPC a request id, logs method, final status code, latency and the
    id, and records the RPC's numbers, also for health and reflection."""

    def __init__(self, telemetry: Telemetry | None = None) -> None:
        self._telemetry = telemetry

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any
    ) -> Any:
        method, t = handler_call_details.method, self._telemetry

        def unary(behavior: Callable[..., Any]) -> Callable[..., Any]:
            return _unary(method, behavior, t)

        def streaming(behavior: Callable[..., Any]) -> Callable[..., Any]:
            return _streaming(method, behavior, t)

        return wrap_handler(
            continuation(handler_call_details),
            unary_unary=unary,
            stream_unary=unary,
            unary_stream=streaming,
            stream_stream=streaming,
        )


def _unary(
    method: str, behavior: Callable[..., Any], telemetry: Telemetry | None
) -> Callable[..., Any]:
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        call, failed, response = _Call(method, context), True, None
        try:
            response = behavior(request, context)
            failed = False
            return response
        finally:
            call.finish(failed, telemetry, response)

    return wrapper


def _streaming(
    method: str, behavior: Callable[..., Any], telemetry: Telemetry | None
) -> Callable[..., Any]:
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        call, failed = _Call(method, context), True
        try:
            yield from behavior(request, context)
            failed = False
        finally:
            call.finish(failed, telemetry)

    return wrapper
