"""Server interceptors: one structured log line per RPC."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import grpc

log = logging.getLogger("ticketminer.rpc")


def _code_name(context: grpc.ServicerContext, failed: bool) -> str:
    code = context.code()
    if code is None:
        code = grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


def _log(method: str, context: grpc.ServicerContext, started: float, failed: bool) -> None:
    if log.isEnabledFor(logging.INFO):
        line = {
            "event": "rpc",
            "method": method,
            "code": _code_name(context, failed),
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        log.info(line)


class AccessLogInterceptor(grpc.ServerInterceptor):
    """Logs method, final status code and latency, also for health and reflection."""

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any
    ) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return handler._replace(unary_unary=_unary(method, handler.unary_unary))
        if handler.stream_unary:
            return handler._replace(stream_unary=_unary(method, handler.stream_unary))
        if handler.unary_stream:
            return handler._replace(unary_stream=_streaming(method, handler.unary_stream))
        return handler._replace(stream_stream=_streaming(method, handler.stream_stream))


def _unary(method: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        started, failed = time.perf_counter(), True
        try:
            response = behavior(request, context)
            failed = False
            return response
        finally:
            _log(method, context, started, failed)

    return wrapper


def _streaming(method: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        started, failed = time.perf_counter(), True
        try:
            yield from behavior(request, context)
            failed = False
        finally:
            _log(method, context, started, failed)

    return wrapper
