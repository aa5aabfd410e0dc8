"""A light client of the ticketminer gRPC service: its generated stubs
(`ticketminer_client.v1`) and TicketMinerClient. It needs only grpcio, protobuf and
grpcio-status, and importing it changes nothing in the process's environment."""

from ticketminer_client.client import TicketMinerClient, timestamp
from ticketminer_client.errors import (
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    TicketMinerError,
    UnauthenticatedError,
    UnavailableError,
)
from ticketminer_client.retry import RetryPolicy
from ticketminer_client.v1 import ticketminer_pb2 as pb

__all__ = [
    "DeadlineExceededError",
    "FailedPreconditionError",
    "FieldViolation",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RetryPolicy",
    "TicketMinerClient",
    "TicketMinerError",
    "UnauthenticatedError",
    "UnavailableError",
    "pb",
    "timestamp",
]

__version__ = "0.1.0"
