"""Deadlines honoured: each unary-response call runs under a cancellation scope that
is cancelled the moment the call ends early (the client cancelled, or its deadline
passed), so the server stops the work instead of only dropping the answer."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import grpc

from ticketminer.api.handler_wrap import wrap_handler
from ticketminer.domain.cancellation import CancelScope, cancel_scope

log = logging.getLogger("ticketminer.rpc")

# time_remaining() of a call without a deadline is ~forever; beyond this, no deadline.
_NO_DEADLINE = 10**8


def _scope_of(context: grpc.ServicerContext) -> CancelScope:
    remaining = context.time_remaining()
    deadline = None
    if remaining is not None and remaining < _NO_DEADLINE:
        deadline = time.monotonic() + remaining
    return CancelScope(deadline)


def _scoped(method: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        scope = _scope_of(context)

        def on_termination() -> None:
            # gRPC runs this (on its polling thread) when the call is over; while the
            # handler still runs, that means the client is gone: stop the work.
            remaining = context.time_remaining()
            if scope.cancel(deadline_exceeded=remaining is not None and remaining <= 0):
                log.info({"event": "rpc_cancelled", "method": method, "reason": scope.reason})

        if not context.add_callback(on_termination):
            scope.cancel(deadline_exceeded=context.time_remaining() <= 0)
        finished = False
        with cancel_scope(scope):
            try:
                response = behavior(request, context)
                finished = True
                return response
            finally:
                reason = scope.reason
                if reason is not None:
                    # How long the handler went on after the client left (or its
                    # deadline passed), and whether it stopped early or ran to the end.
                    since = scope.cancelled_at or scope.deadline or time.monotonic()
                    ended_ms = max(0.0, time.monotonic() - since) * 1000
                    log.info(
                        {
                            "event": "rpc_work_ended",
                            "method": method,
                            "reason": reason,
                            "ran_to_completion": finished,
                            "after_cancel_ms": round(ended_ms, 3),
                        }
                    )

    return wrapper


class CancellationInterceptor(grpc.ServerInterceptor):
    """Opens a cancellation scope per unary-response call (unary and client
    streaming); server-streaming handlers (health Watch, reflection) pass through."""

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any
    ) -> Any:
        scoped = functools.partial(_scoped, handler_call_details.method)
        return wrap_handler(
            continuation(handler_call_details), unary_unary=scoped, stream_unary=scoped
        )
