"""Connect-protocol errors: gRPC statuses (with their google.rpc details) as the
Connect error JSON, and the gateway's own refusals in the same shape."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2, json_format, symbol_database
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from starlette.responses import Response

from ticketminer.api.errors import bad_request
from ticketminer.domain.errors import FieldViolation

STATUS_DETAILS_KEY = "grpc-status-details-bin"
JSON = "application/json"

# https://connectrpc.com/docs/protocol#error-codes (connect-go's codeToHTTP).
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}


def connect_code(code: grpc.StatusCode) -> str:
    """Connect spells gRPC's CANCELLED with one L."""
    return "canceled" if code is grpc.StatusCode.CANCELLED else code.name.lower()


class ConnectError(Exception):
    """An error answer: a gRPC code and message, the google.rpc details as packed Anys,
    and the HTTP status (the code's, unless the HTTP layer says more, e.g. 413)."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        details: Sequence[any_pb2.Any] = (),
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.details = list(details)
        self.http_status = http_status or HTTP_STATUS.get(code, 500)
        self.headers = headers or {}

    def body(self) -> dict:
        out: dict = {"code": connect_code(self.code)}
        if self.message:
            out["message"] = self.message
        if self.details:
            out["details"] = [_wire_detail(any_) for any_ in self.details]
        return out

    def response(self) -> Response:
        text = json.dumps(self.body(), ensure_ascii=False, separators=(",", ":"))
        return Response(text, self.http_status, headers=self.headers, media_type=JSON)


def _wire_detail(packed) -> dict:
    """{"type", "value" (unpadded base64, as connect-go writes it), "debug" (the detail
    as JSON, when its type is known here)}."""
    type_name = packed.type_url.rpartition("/")[2]
    out = {"type": type_name, "value": base64.b64encode(packed.value).decode().rstrip("=")}
    try:
        cls = symbol_database.Default().GetSymbol(type_name)
        out["debug"] = json_format.MessageToDict(cls.FromString(packed.value))
    except (KeyError, DecodeError):
        pass
    return out


def from_rpc_error(error: grpc.aio.AioRpcError, headers: dict[str, str]) -> ConnectError:
    """The gRPC status as the servicer set it, details from grpc-status-details-bin."""
    details: list = []
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                status = status_pb2.Status.FromString(value)
            except DecodeError:
                continue
            details = list(status.details)
    return ConnectError(error.code(), error.details() or "", details, headers=headers)


def invalid_argument(message: str, violations: Sequence[FieldViolation]) -> ConnectError:
    """INVALID_ARGUMENT with a google.rpc.BadRequest, as the servicer would send it."""
    packed = status_pb2.Status().details.add()
    packed.Pack(bad_request(list(violations)))
    return ConnectError(grpc.StatusCode.INVALID_ARGUMENT, message, [packed])


# json_format's errors nest: "Failed to parse ticket field: Failed to parse createdAt
# field: <reason> at IngestTicketRequest.ticket.createdAt." and unknown names read
# 'Message type "X" has no field named "foo" at "Y".\n Available Fields...'.
_NESTED = re.compile(r"Failed to parse (\S+) field: ")
_UNKNOWN = re.compile(r'has no field named "([^"]*)"')
_AVAILABLE = re.compile(r"\s*Available Fields.*", re.S)
_AT = re.compile(r' at "?[\w.\[\]]+"?\.*$')


def parse_violation(error: json_format.ParseError, root: Descriptor) -> FieldViolation:
    """The field a JSON parse error is about (by proto names, as the servicer names
    fields) and what is wrong with it."""
    text = _AVAILABLE.sub("", str(error)).strip()
    names = _NESTED.findall(text)
    reason = _NESTED.sub("", text)
    unknown = _UNKNOWN.search(reason)
    if unknown:
        names.append(unknown[1])
        reason = "unknown field"
    reason = _AT.sub("", reason).rstrip(".") or "not valid here"
    return FieldViolation(_proto_path(names, root), reason)


def _proto_path(names: list[str], root: Descriptor | None) -> str:
    """JSON names mapped to proto field names along the message tree, where known."""
    out = []
    desc = root
    for name in names:
        field = None
        if desc is not None:
            field = desc.fields_by_name.get(name) or next(
                (f for f in desc.fields if f.json_name == name), None
            )
        out.append(field.name if field is not None else name)
        desc = field.message_type if field is not None else None
    return ".".join(out)
