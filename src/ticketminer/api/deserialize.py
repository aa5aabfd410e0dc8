"""Request parsing that turns undecodable bytes into field violations.

protobuf refuses a string field holding invalid UTF-8, and gRPC would answer
INTERNAL. Parsing leniently lets us answer INVALID_ARGUMENT naming the field, and
lets a bulk stream reject one item instead of failing the whole call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from ticketminer.domain.errors import FieldViolation


@dataclass(frozen=True, slots=True)
class MalformedRequest:
    """Stands in for a request message that could not be decoded."""

    violations: list[FieldViolation]


@dataclass(frozen=True, slots=True)
class RefusedRequest:
    """Stands in for a streamed item the caller may not send (another tenant's ticket):
    it is rejected on its own, like a malformed one, and the rest of the stream goes on."""

    external_id: str
    reason: str


class _Truncated(Exception):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _Truncated
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _skip(buf: bytes, pos: int, wire_type: int) -> tuple[int, bytes | None]:
    """Position after the value, and the payload of a length-delimited one."""
    if wire_type == 0:
        return _varint(buf, pos)[1], None
    if wire_type in (1, 5):
        end = pos + (8 if wire_type == 1 else 4)
    elif wire_type == 2:
        size, pos = _varint(buf, pos)
        end = pos + size
    else:
        raise _Truncated  # groups are not used by this API
    if end > len(buf):
        raise _Truncated
    return end, buf[pos:end] if wire_type == 2 else None


def _map_key(entry: bytes) -> str:
    pos = 0
    while pos < len(entry):
        key, pos = _varint(entry, pos)
        pos, payload = _skip(entry, pos, key & 7)
        if key >> 3 == 1 and payload is not None:
            return payload.decode("utf-8", "replace")
    return ""


def _walk(buf: bytes, desc: Descriptor, path: str, out: list[FieldViolation]) -> None:
    seen: defaultdict[int, int] = defaultdict(int)
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        pos, payload = _skip(buf, pos, wire_type)
        field = desc.fields_by_number.get(number)
        if field is None or payload is None:
            continue
        name = f"{path}.{field.name}" if path else field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            entry = f"{name}[{_map_key(payload)!r}]"
            problems: list[FieldViolation] = []
            _walk(payload, field.message_type, "", problems)
            out.extend(
                FieldViolation(entry if v.field == "value" else f"{entry}.key", v.description)
                for v in problems
            )
            continue
        if field.is_repeated:
            name = f"{name}[{seen[number]}]"
            seen[number] += 1
        if field.type == FieldDescriptor.TYPE_STRING:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                out.append(FieldViolation(name, "is not valid UTF-8"))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            _walk(payload, field.message_type, name, out)


def locate_problems(data: bytes, desc: Descriptor) -> list[FieldViolation]:
    """Field violations explaining why `data` is not a valid `desc` message."""
    out: list[FieldViolation] = []
    try:
        _walk(data, desc, "", out)
    except _Truncated:
        out.append(FieldViolation("", "the request is not a well-formed protobuf message"))
    if not out:
        out.append(FieldViolation("", "the request could not be decoded"))
    return out


def lenient_parser(message_type: type[Message]) -> Callable[[bytes], Message | MalformedRequest]:
    def parse(data: bytes) -> Message | MalformedRequest:
        try:
            return message_type.FromString(data)
        except DecodeError:
            return MalformedRequest(locate_problems(data, message_type.DESCRIPTOR))

    return parse
