"""The Connect protocol's unary shape for every TicketMiner RPC: POST /<service>/<Method>
with the request message as JSON (or binary protobuf), forwarded over a loopback gRPC
channel so every interceptor (auth, access log, cancellation, limits) applies as is.

IngestTickets, the client stream, takes a JSON array or NDJSON of IngestTicketRequest
(or the Connect streaming envelopes that stock Connect clients send), streamed item by
item into the gRPC call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format, message_factory
from google.protobuf.message import Message
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ticketminer.api.handlers import SERVICE
from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.ingest import MAX_REPORTED_ERRORS
from ticketminer.http.errors import (
    JSON,
    ConnectError,
    from_rpc_error,
    invalid_argument,
)
from ticketminer.http.errors import parse_violation as json_violation
from ticketminer.http.json_stream import (
    END_STREAM,
    BadStream,
    ItemTooLarge,
    array_items,
    envelope,
    envelope_items,
    ndjson_items,
)
from ticketminer.v1 import ticketminer_pb2 as pb

PROTO = "application/proto"
NDJSON = "application/x-ndjson"
# The Connect protocol's streaming content types: what a stock Connect client sends
# for a client stream (length-prefixed messages; the answer ends with an end-stream
# message that carries the error, if any).
CONNECT_JSON = "application/connect+json"
CONNECT_PROTO = "application/connect+proto"
# Request headers passed on as gRPC metadata; the rest stay HTTP's.
FORWARDED_HEADERS = ("authorization", "x-request-id")
# Initial metadata passed back as response headers.
ECHOED_METADATA = ("x-request-id",)
_MAX_TIMEOUT_DIGITS = 10  # the Connect spec's limit on Connect-Timeout-Ms


@dataclass(frozen=True, slots=True)
class Rpc:
    """One RPC as the gateway serves it."""

    name: str
    path: str  # /ticketminer.v1.TicketMiner/Name, the gRPC and the HTTP path alike
    input: type[Message]
    output: type[Message]
    client_streaming: bool


def service_rpcs() -> list[Rpc]:
    """Every TicketMiner RPC, from the service descriptor (a new RPC gets its route)."""
    return [
        Rpc(
            m.name,
            f"/{SERVICE.full_name}/{m.name}",
            message_factory.GetMessageClass(m.input_type),
            message_factory.GetMessageClass(m.output_type),
            m.client_streaming,
        )
        for m in SERVICE.methods
    ]


def to_json(message: Message) -> bytes:
    """protobuf's canonical JSON mapping (JSON names, enums as names, 64-bit integers
    as strings), compact, as Connect servers write it."""
    value = _whole_numbers(json_format.MessageToDict(message))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


_EXACT = 2**53


def _whole_numbers(value: Any) -> Any:
    """1200 rather than Python's 1200.0 for a whole double, as Go's protojson (grpcurl,
    connect-go) writes it; the same number either way."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


class BadJson(ValueError):
    """A request's JSON that is no request message; `violation` names the field."""

    def __init__(self, violation: FieldViolation) -> None:
        super().__init__(violation.description)
        self.violation = violation

    def connect_error(self) -> ConnectError:
        v = self.violation
        where = v.field or "request body"
        return invalid_argument(f"{where}: {v.description}", [v])


def from_json(text: bytes, cls: type[Message]) -> Message:
    """The request message, or BadJson naming the field (by proto names, as the
    servicer names bad fields). An empty body is the empty message."""
    if not text.strip():
        return cls()
    try:
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = f"not valid JSON: {exc}" if isinstance(exc, ValueError) else "not valid JSON"
        raise BadJson(FieldViolation("", reason)) from None
    if not isinstance(value, dict):
        name = cls.DESCRIPTOR.name
        raise BadJson(FieldViolation("", f"must be a JSON object ({name}), not {value!r:.40}"))
    message = cls()
    try:
        json_format.ParseDict(value, message)
    except json_format.ParseError as exc:
        raise BadJson(json_violation(exc, cls.DESCRIPTOR)) from None
    except (RecursionError, TypeError, ValueError):
        raise BadJson(FieldViolation("", "not a valid request")) from None
    return message


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _unsupported(media: str, accepted: tuple[str, ...]) -> ConnectError:
    return ConnectError(
        grpc.StatusCode.UNKNOWN,
        f"unsupported content type {media or '(none)'!r}; send one of {', '.join(accepted)}",
        http_status=415,
        headers={"accept-post": ", ".join(accepted)},
    )


def too_large(limit: int) -> ConnectError:
    return ConnectError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"request message larger than {limit} bytes (--max-message-bytes)",
        http_status=413,
    )


def call_metadata(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple((k, request.headers[k]) for k in FORWARDED_HEADERS if k in request.headers)


def call_timeout(request: Request) -> float | None:
    """Connect-Timeout-Ms, the Connect protocol's deadline, in seconds."""
    text = request.headers.get("connect-timeout-ms")
    if text is None:
        return None
    if not text.isdigit() or len(text) > _MAX_TIMEOUT_DIGITS:
        reason = "must be a positive integer of at most 10 digits"
        raise invalid_argument(
            f"connect-timeout-ms: {reason}", [FieldViolation("connect-timeout-ms", reason)]
        )
    return int(text) / 1000


def echoed(metadata: Any) -> dict[str, str]:
    return {k: v for k, v in (metadata or ()) if k in ECHOED_METADATA and isinstance(v, str)}


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


async def _until_disconnect(request: Request, body_read: asyncio.Event | None) -> None:
    """Returns when the client goes away, listening only once the body is read."""
    if body_read is not None:
        await body_read.wait()
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _answer(
    request: Request, call: Any, body_read: asyncio.Event | None = None
) -> tuple[bytes, dict[str, str]]:
    """The call's answer and echoed headers; the call is cancelled if the client leaves
    first, so the servicer stops the work as for a gRPC client that went away."""
    watcher = asyncio.ensure_future(_until_disconnect(request, body_read))

    def hang_up(task: asyncio.Future) -> None:
        if not task.cancelled():
            call.cancel()

    watcher.add_done_callback(hang_up)
    try:
        answer = await call
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, echoed(exc.initial_metadata())) from None
    except asyncio.CancelledError:
        if watcher.done() and not watcher.cancelled():  # our cancel: nobody to answer
            raise ConnectError(grpc.StatusCode.CANCELLED, "the client went away") from None
        raise
    finally:
        watcher.cancel()
    return answer, echoed(await call.initial_metadata())


class Gateway:
    """Forwards each RPC to the gRPC server at `target` (the process's own)."""

    def __init__(self, target: str, max_message_bytes: int) -> None:
        self.target = target
        self.limit = max_message_bytes
        self._channel: grpc.aio.Channel | None = None

    async def open(self) -> None:
        """Made in the HTTP server's event loop, where the calls run."""
        self._channel = grpc.aio.insecure_channel(
            self.target,
            options=[
                ("grpc.max_receive_message_length", self.limit),
                ("grpc.max_send_message_length", self.limit),
            ],
        )

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()

    @property
    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            raise RuntimeError("the gateway is not open")
        return self._channel

    def routes(self) -> list[Route]:
        return [
            Route(rpc.path, self._endpoint(rpc), methods=["POST"], name=rpc.name)
            for rpc in service_rpcs()
        ]

    def _endpoint(self, rpc: Rpc):
        handle = self._ingest if rpc.client_streaming else self._unary

        async def endpoint(request: Request) -> Response:
            try:
                return await handle(request, rpc)
            except ConnectError as exc:
                return exc.response()
            except BadJson as exc:
                return exc.connect_error().response()
            except ClientDisconnect:
                return ConnectError(grpc.StatusCode.CANCELLED, "the client went away").response()
            except ValueError as exc:  # metadata gRPC refuses (e.g. a control character)
                return invalid_argument(
                    f"request headers: {exc}", [FieldViolation("", str(exc))]
                ).response()

        return endpoint

    async def _unary(self, request: Request, rpc: Rpc) -> Response:
        media = _media_type(request)
        if media not in (JSON, PROTO):
            raise _unsupported(media, (JSON, PROTO))
        metadata, timeout = call_metadata(request), call_timeout(request)
        body = await _body(request, self.limit)
        payload = body if media == PROTO else from_json(body, rpc.input).SerializeToString()
        if len(payload) > self.limit:
            raise too_large(self.limit)
        stub = self.channel.unary_unary(rpc.path)
        answer, headers = await _answer(request, stub(payload, metadata=metadata, timeout=timeout))
        if media == PROTO:
            return Response(answer, headers=headers, media_type=PROTO)
        return Response(to_json(rpc.output.FromString(answer)), headers=headers, media_type=JSON)

    async def _ingest(self, request: Request, rpc: Rpc) -> Response:
        media = _media_type(request)
        if media in (CONNECT_JSON, CONNECT_PROTO):
            return await self._connect_stream(request, rpc, media)
        split = {JSON: array_items, NDJSON: ndjson_items}.get(media)
        if split is None:
            raise _unsupported(media, (JSON, NDJSON, CONNECT_JSON, CONNECT_PROTO))
        report, headers = await self._stream(request, rpc, split, _Batch(rpc.input))
        return Response(to_json(report), headers=headers, media_type=JSON)

    async def _connect_stream(self, request: Request, rpc: Rpc, media: str) -> Response:
        """A client stream as stock Connect clients send it: the answer is always 200,
        the response message (if any) then an end-stream message with the error."""
        as_json = media == CONNECT_JSON
        headers: dict[str, str] = {}
        try:
            # Binary messages go on as they are (the server's parser judges them).
            batch = _Batch(rpc.input) if as_json else None
            report, headers = await self._stream(request, rpc, envelope_items, batch)
            body = envelope(to_json(report) if as_json else report.SerializeToString())
            end: dict = {}
        except (ConnectError, BadJson) as exc:
            error = exc if isinstance(exc, ConnectError) else exc.connect_error()
            headers, body, end = error.headers, b"", {"error": error.body()}
        body += envelope(json.dumps(end).encode(), END_STREAM)
        return Response(body, headers=headers, media_type=media)

    async def _stream(
        self, request: Request, rpc: Rpc, split: Any, batch: _Batch | None
    ) -> tuple[Message, dict[str, str]]:
        """The client-streaming call fed item by item from the body; `batch` turns JSON
        items into messages (rejecting those that are none) when the items are JSON."""
        metadata, timeout = call_metadata(request), call_timeout(request)
        failure: list[BaseException] = []
        body_read = asyncio.Event()

        async def requests() -> AsyncIterator[bytes]:
            try:
                async for item in split(request.stream(), self.limit):
                    payload = item if batch is None else batch.admit(item)
                    if payload is not None and len(payload) > self.limit:
                        raise ItemTooLarge
                    if payload is not None:
                        yield payload
            except (ItemTooLarge, BadStream, ClientDisconnect) as exc:
                failure.append(exc)
                call.cancel()  # not a shorter stream: the server must not finish the batch
            finally:
                body_read.set()

        call = self.channel.stream_unary(rpc.path)(requests(), metadata=metadata, timeout=timeout)
        try:
            answer, headers = await _answer(request, call, body_read)
        except (ConnectError, asyncio.CancelledError):
            if failure:
                raise _stream_failure(failure[0], self.limit) from None
            raise
        report = rpc.output.FromString(answer)
        return (report if batch is None else batch.merged(report)), headers


def _stream_failure(exc: BaseException, limit: int) -> ConnectError:
    if isinstance(exc, ItemTooLarge):
        return too_large(limit)
    if isinstance(exc, ClientDisconnect):
        return ConnectError(grpc.StatusCode.CANCELLED, "the client went away")
    reason = str(exc)
    return invalid_argument(f"request body: {reason}", [FieldViolation("", reason)])


class _Batch:
    """The items of one IngestTickets body: those that parse go to the server, those
    that do not are rejected here, at their own index, without sinking the batch."""

    def __init__(self, cls: type[Message]) -> None:
        self._cls = cls
        self._count = 0
        self._sent: list[int] = []  # body index of each item sent, by stream position
        self._rejected: list[pb.ItemError] = []

    def admit(self, item: bytes) -> bytes | None:
        """The item's wire form to send on, or None when it is rejected here."""
        index = self._count
        self._count += 1
        try:
            message = from_json(item, self._cls)
        except BadJson as exc:
            error = self._rejected_item(index, item)
            error.field_violations.add(
                field=exc.violation.field, description=exc.violation.description
            )
            return None
        self._sent.append(index)
        return message.SerializeToString()

    def _rejected_item(self, index: int, item: bytes) -> pb.ItemError:
        error = pb.ItemError(index=index, external_id=_external_id(item), reason="invalid JSON")
        self._rejected.append(error)
        return error

    def merged(self, report: Message) -> Message:
        """The server's report with its indexes mapped back to the body's, and the
        items rejected here added in order."""
        if not self._rejected:
            return report  # the server's answer as is (every item reached it)
        for error in report.errors:
            error.index = self._sent[error.index]
        errors = sorted([*report.errors, *self._rejected], key=lambda e: e.index)
        report.rejected += len(self._rejected)
        del report.errors[:]
        report.errors.extend(errors[:MAX_REPORTED_ERRORS])
        report.errors_truncated = report.errors_truncated or len(errors) > MAX_REPORTED_ERRORS
        return report


def _external_id(item: bytes) -> str:
    """The item's ticket id, when its JSON gets that far, so the caller can find it."""
    with contextlib.suppress(ValueError, RecursionError, AttributeError, TypeError):
        ticket = json.loads(item).get("ticket") or {}
        found = ticket.get("external_id", ticket.get("externalId", ""))
        return found[:256] if isinstance(found, str) else ""
    return ""
