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

from ticketminer.domain import limits
from ticketminer.domain.cancellation import current_scope
from ticketminer.domain.errors import (
    Cancelled,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    TicketminerError,
    Unavailable,
)
from ticketminer.store.outages import database_unavailable

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "the database is unavailable; retry"


# Status details travel in a trailer, and a default client refuses trailers over 8 KiB
# ("metadata size exceeds hard limit"): a thousand violations would turn INVALID_ARGUMENT
# into RESOURCE_EXHAUSTED. The details are capped well below (base64 adds a third).
MAX_DETAIL_BYTES = limits.MAX_ERROR_DETAIL_BYTES
MAX_MESSAGE_CHARS = 1024
_MAX_FIELD_CHARS = 300


def bad_request(violations) -> error_details_pb2.BadRequest:
    """The violations that fit MAX_DETAIL_BYTES, then one saying how many more there are."""
    detail = error_details_pb2.BadRequest()
    for i, v in enumerate(violations):
        detail.field_violations.add(
            field=v.field[:_MAX_FIELD_CHARS], description=v.description[:_MAX_FIELD_CHARS]
        )
        if detail.ByteSize() > MAX_DETAIL_BYTES:
            del detail.field_violations[-1]
            detail.field_violations.add(
                field="", description=f"and {len(violations) - i} more violations"
            )
            break
    return detail


def _rich_status(code: int, message: str, *details) -> grpc.Status:
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    status = status_pb2.Status(code=code, message=message)
    for detail in details:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    return rpc_status.to_status(status)


def status_of(exc: BaseException) -> grpc.Status:
    if isinstance(exc, Cancelled):
        code = code_pb2.DEADLINE_EXCEEDED if exc.deadline_exceeded else code_pb2.CANCELLED
        return _rich_status(code, str(exc))
    if database_unavailable(exc):
        return _rich_status(code_pb2.UNAVAILABLE, DATABASE_UNAVAILABLE)
    if isinstance(exc, InvalidArgument):
        return _rich_status(code_pb2.INVALID_ARGUMENT, str(exc), bad_request(exc.violations))
    if isinstance(exc, NotFound):
        if not exc.resource_type:
            return _rich_status(code_pb2.NOT_FOUND, str(exc))
        info = error_details_pb2.ResourceInfo(
            resource_type=exc.resource_type,
            resource_name=exc.resource_name[:_MAX_FIELD_CHARS],
            description=str(exc)[:_MAX_FIELD_CHARS],
        )
        return _rich_status(code_pb2.NOT_FOUND, str(exc), info)
    if isinstance(exc, FailedPrecondition):
        return _rich_status(code_pb2.FAILED_PRECONDITION, str(exc))
    if isinstance(exc, Unavailable):
        return _rich_status(code_pb2.UNAVAILABLE, str(exc))
    return _rich_status(code_pb2.INTERNAL, "internal error; the server log has the details")


def guarded(behavior: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a servicer method so every exception leaves as a proper status."""

    name = getattr(behavior, "__name__", str(behavior))

    @functools.wraps(behavior)
    def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            response = behavior(request, context)
        except Exception as exc:
            gone = _given_up(context)
            if gone is not None and not isinstance(exc, Cancelled):
                # The client left and the work was stopped (an interrupted statement,
                # a closed request stream): not an error of ours.
                exc = gone
            if isinstance(exc, TicketminerError):
                context.abort_with_status(status_of(exc))
            if context.code() not in (None, grpc.StatusCode.OK):
                raise  # already aborted by gRPC itself
            if database_unavailable(exc):
                log.warning({"event": "database_unavailable", "method": name, "error": repr(exc)})
            else:
                log.exception("unhandled error in %s", name)
            context.abort_with_status(status_of(exc))
        gone = _given_up(context)
        if gone is not None:
            # Finished, but for nobody (a stream the client cut reads as ended): the
            # caller saw CANCELLED or DEADLINE_EXCEEDED, and so does our log.
            context.abort_with_status(status_of(gone))
        return response

    return wrapper


def _given_up(context: grpc.ServicerContext) -> Cancelled | None:
    """Cancelled, when the caller has gone (cancelled, or past its deadline)."""
    scope = current_scope()
    if scope is not None and scope.cancelled:
        return Cancelled(deadline_exceeded=scope.reason == "deadline_exceeded")
    if not context.is_active():  # the client is gone before our callback has run
        remaining = context.time_remaining()
        return Cancelled(deadline_exceeded=remaining is not None and remaining <= 0)
    return None


@contextlib.contextmanager
def field_prefix(prefix: str) -> Iterator[None]:
    """Re-root violations raised inside under `prefix` (e.g. 'ticket.')."""
    try:
        yield
    except InvalidArgument as exc:
        raise InvalidArgument([v.prefixed(prefix) for v in exc.violations]) from exc
