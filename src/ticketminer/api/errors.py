"""The one place where exceptions become gRPC statuses."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ticketminer.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    TicketminerError,
    Unavailable,
)

log = logging.getLogger(__name__)


def bad_request(violations) -> error_details_pb2.BadRequest:
    detail = error_details_pb2.BadRequest()
    for v in violations:
        detail.field_violations.add(field=v.field, description=v.description)
    return detail


def _rich_status(code: int, message: str, *details) -> grpc.Status:
    status = status_pb2.Status(code=code, message=message)
    for detail in details:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    return rpc_status.to_status(status)


def status_of(exc: BaseException) -> grpc.Status:
    if isinstance(exc, InvalidArgument):
        return _rich_status(code_pb2.INVALID_ARGUMENT, str(exc), bad_request(exc.violations))
    if isinstance(exc, NotFound):
        return _rich_status(code_pb2.NOT_FOUND, str(exc))
    if isinstance(exc, FailedPrecondition):
        return _rich_status(code_pb2.FAILED_PRECONDITION, str(exc))
    if isinstance(exc, Unavailable):
        return _rich_status(code_pb2.UNAVAILABLE, str(exc))
    return _rich_status(code_pb2.INTERNAL, "internal error; the server log has the details")


def guarded(behavior: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a servicer method so every exception leaves as a proper status."""

    @functools.wraps(behavior)
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behavior(request, context)
        except TicketminerError as exc:
            context.abort_with_status(status_of(exc))
        except Exception as exc:
            if context.code() not in (None, grpc.StatusCode.OK):
                raise  # already aborted by gRPC itself
            log.exception("unhandled error in %s", getattr(behavior, "__name__", behavior))
            context.abort_with_status(status_of(exc))

    return wrapper


@contextlib.contextmanager
def field_prefix(prefix: str) -> Iterator[None]:
    """Re-root violations raised inside under `prefix` (e.g. 'ticket.')."""
    try:
        yield
    except InvalidArgument as exc:
        raise InvalidArgument([v.prefixed(prefix) for v in exc.violations]) from exc
