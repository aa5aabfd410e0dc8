"""Size limits (and no NUL bytes) on every request field outside a ticket, checked
before any work.

Tickets have their own, configurable limits (domain validation). Everything else in a
request is an id, a name, a token or a small list, so one generic walk bounds it: a
4 MiB tenant id or a 100,000-entry filter is refused before it reaches a cache, a
query or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from ticketminer.domain import limits
from ticketminer.domain.errors import FieldViolation

MAX_STRING_BYTES = 1024  # names, time zones, group-by keys, weeks ...
# Requests that carry whole tickets: the domain validates those with its own limits.
_TICKET = "ticketminer.v1.Ticket"


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_id_bytes: int = limits.MAX_ID_BYTES
    max_list_items: int = limits.MAX_LIST_ITEMS
    max_token_bytes: int = limits.MAX_TOKEN_BYTES

    def string_limit(self, name: str) -> int:
        if name.endswith(("_id", "_ids")) or name in ("channels", "tenure_buckets", "tags"):
            return self.max_id_bytes
        if name.endswith("_token"):
            return self.max_token_bytes
        # group_by names an attribute key; any other string is a name, zone or week.
        return max(MAX_STRING_BYTES, self.max_id_bytes + 16)


DEFAULT_LIMITS = RequestLimits()


def _check_string(path: str, value: str, limit: int, out: list[FieldViolation]) -> None:
    if "\x00" in value:
        # No stored id or name holds one (ingest refuses them), and PostgreSQL text
        # cannot: a lookup would fail in the driver instead of finding nothing.
        out.append(FieldViolation(path, "must not contain a NUL byte"))
    if len(value) * 4 <= limit:
        return  # fast path: even all 4-byte characters fit
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limit:
        out.append(FieldViolation(path, f"is {size} bytes; the limit is {limit} bytes"))


def oversized_fields(
    message: Message, bounds: RequestLimits = DEFAULT_LIMITS, prefix: str = ""
) -> list[FieldViolation]:
    """Every string over its byte limit or holding a NUL byte, and every list or map
    over max_list_items."""
    out: list[FieldViolation] = []
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.full_name == _TICKET:
            continue
        path = f"{prefix}.{field.name}" if prefix else field.name
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if (is_map or field.is_repeated) and len(value) > bounds.max_list_items:
            what = "keys" if is_map else "items"
            limit = bounds.max_list_items
            out.append(FieldViolation(path, f"has {len(value)} {what}; the limit is {limit}"))
        elif is_map:
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                _check_string(f"{path}.key", str(key), bounds.max_id_bytes, out)
                _check_value(value_field, f"{path}[{str(key)[:64]!r}]", item, bounds, out)
        elif field.is_repeated:
            for i, item in enumerate(value):
                _check_value(field, f"{path}[{i}]", item, bounds, out)
        else:
            _check_value(field, path, value, bounds, out)
    return out


def _check_value(
    field: FieldDescriptor,
    path: str,
    value: object,
    bounds: RequestLimits,
    out: list[FieldViolation],
) -> None:
    if field.type == FieldDescriptor.TYPE_STRING:
        _check_string(path, value, bounds.string_limit(field.name), out)  # type: ignore[arg-type]
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        out.extend(oversized_fields(value, bounds, path))  # type: ignore[arg-type]
