"""Typed errors for failed calls, with the structured details the server sends."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One invalid field, e.g. field="ticket.external_id", from google.rpc.BadRequest."""

    field: str
    description: str


class TicketMinerError(Exception):
    """A call that failed: its gRPC code and message, and the google.rpc.Status with
    its packed details when the server sent one."""

    def __init__(
        self, code: grpc.StatusCode, message: str, status: status_pb2.Status | None = None
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.status = status


class InvalidArgumentError(TicketMinerError):
    """The request was refused; `field_violations` says which fields and why."""

    def __init__(
        self, code: grpc.StatusCode, message: str, status: status_pb2.Status | None = None
    ) -> None:
        super().__init__(code, message, status)
        self.field_violations: list[FieldViolation] = _violations(status)


class NotFoundError(TicketMinerError):
    pass


class UnauthenticatedError(TicketMinerError):
    """No API key, or one the server does not know (or has revoked)."""


class PermissionDeniedError(TicketMinerError):
    """The key may not write, or may not touch the request's tenant."""


class FailedPreconditionError(TicketMinerError):
    pass


class UnavailableError(TicketMinerError):
    """The server (or its database) stayed unavailable through every retry."""


class DeadlineExceededError(TicketMinerError):
    pass


_BY_CODE: dict[grpc.StatusCode, type[TicketMinerError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
}


def error_from(err: grpc.RpcError) -> TicketMinerError:
    """The typed error for a failed call (TicketMinerError for codes without a class)."""
    code = err.code() if isinstance(err, grpc.Call) else grpc.StatusCode.UNKNOWN
    message = err.details() if isinstance(err, grpc.Call) else str(err)
    try:
        status = rpc_status.from_call(err) if isinstance(err, grpc.Call) else None
    except ValueError:  # a status trailer that contradicts the call's code: ignore it
        status = None
    return _BY_CODE.get(code, TicketMinerError)(code, message or "", status)


def _violations(status: status_pb2.Status | None) -> list[FieldViolation]:
    found = []
    for packed in status.details if status is not None else ():
        bad = error_details_pb2.BadRequest()
        if packed.Unpack(bad):  # False for other kinds of detail
            found += [FieldViolation(v.field, v.description) for v in bad.field_violations]
    return found
