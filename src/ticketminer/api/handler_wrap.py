"""Wrapping a gRPC method handler's behaviour: the one dispatch on its four kinds
that every interceptor here (access log, cancellation, auth) needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]
KINDS = ("unary_unary", "stream_unary", "unary_stream", "stream_stream")


def wrap_handler(handler: Any, **wrappers: Wrap) -> Any:
    """`handler` (a grpc.RpcMethodHandler, or None) with its behaviour passed through
    the wrapper named after its kind; a kind given no wrapper passes through as is."""
    if handler is None:
        return None
    unknown = set(wrappers) - set(KINDS)
    if unknown:
        raise TypeError(f"not handler kinds: {sorted(unknown)}")
    for kind in KINDS:
        behaviour = getattr(handler, kind)
        if behaviour is not None:
            wrap = wrappers.get(kind)
            return handler._replace(**{kind: wrap(behaviour)}) if wrap else handler
    return handler
