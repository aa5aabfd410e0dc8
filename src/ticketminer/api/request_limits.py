"""Size limits on every request field outside a ticket, checked before any work.

Tickets have their own, configurable limits (domain validation). Everything else in a
request is an id, a name, a token or a small list, so one generic walk bounds it: a
4 MiB tenant id or a 100,000-entry filter is refused before it reaches a cache, a
query or a log line.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.validation import MAX_ID_BYTES

MAX_TOKEN_BYTES = 1024
MAX_STRING_BYTES = 1024  # names, time zones, group-by keys, weeks ...
MAX_LIST_ITEMS = 1000
# Requests that carry whole tickets: the domain validates those with its own limits.
_TICKET = "ticketminer.v1.Ticket"


def _string_limit(name: str) -> int:
    if name.endswith(("_id", "_ids")) or name in ("channels", "tenure_buckets"):
        return MAX_ID_BYTES
    if name.endswith("_token"):
        return MAX_TOKEN_BYTES
    return MAX_STRING_BYTES


def _check_string(path: str, value: str, limit: int, out: list[FieldViolation]) -> None:
    if len(value) * 4 <= limit:
        return  # fast path: even all 4-byte characters fit
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limit:
        out.append(FieldViolation(path, f"is {size} bytes; the limit is {limit} bytes"))


def _check_value(
    field: FieldDescriptor, path: str, value: object, out: list[FieldViolation]
) -> None:
    if field.type == FieldDescriptor.TYPE_STRING:
        _check_string(path, value, _string_limit(field.name), out)  # type: ignore[arg-type]
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        out.extend(oversized_fields(value, path))  # type: ignore[arg-type]


def oversized_fields(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every string over its byte limit and every list or map over MAX_LIST_ITEMS."""
    out: list[FieldViolation] = []
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.full_name == _TICKET:
            continue
        path = f"{prefix}.{field.name}" if prefix else field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if len(value) > MAX_LIST_ITEMS:
                out.append(
                    FieldViolation(path, f"has {len(value)} keys; the limit is {MAX_LIST_ITEMS}")
                )
                continue
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                _check_string(f"{path}.key", str(key), MAX_ID_BYTES, out)
                _check_value(value_field, f"{path}[{str(key)[:64]!r}]", item, out)
        elif field.is_repeated:
            if len(value) > MAX_LIST_ITEMS:
                out.append(
                    FieldViolation(path, f"has {len(value)} items; the limit is {MAX_LIST_ITEMS}")
                )
                continue
            for i, item in enumerate(value):
                _check_value(field, f"{path}[{i}]", item, out)
        else:
            _check_value(field, path, value, out)
    return out
