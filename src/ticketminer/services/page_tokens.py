"""Opaque keyset page tokens; bound to the filter so a token cannot page another query."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import TicketFilter

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
T = TypeVar("T")


def filter_fingerprint(tenant_id: str, flt: TicketFilter) -> str:
    return query_fingerprint(tenant_id, flt)


def query_fingerprint(*query: object) -> str:
    """A short hash of what a listing was asked, to bind its page tokens to it."""
    blob = repr(query).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def page_size_of(page_size: int, default: int, maximum: int) -> int:
    """The requested page size (0 is `default`), refused beyond `maximum`."""
    if not 0 <= page_size <= maximum:
        raise InvalidArgument([FieldViolation("page_size", f"must be between 1 and {maximum}")])
    return page_size or default


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, fingerprint: str, read: Callable[[dict[str, Any]], T]) -> T:
    """`read` of the token's payload, once the token decodes and was issued for
    `fingerprint`."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value, fp = read(data), str(data["f"])
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
        # RecursionError: deeply nested JSON; OverflowError: int(1e400).
        raise InvalidArgument([FieldViolation("page_token", "is not a valid page token")]) from exc
    if fp != fingerprint:
        raise InvalidArgument(
            [FieldViolation("page_token", "was issued for a different tenant or filter")]
        )
    return value


def encode_token(created_us: int, pk: int, fingerprint: str) -> str:
    return _encode({"c": created_us, "p": pk, "f": fingerprint})


def decode_token(token: str, fingerprint: str) -> tuple[int, int]:
    """(created_us, pk) of the last ticket on the previous page."""

    def read(data: dict[str, Any]) -> tuple[int, int]:
        created, pk = int(data["c"]), int(data["p"])
        if not (_INT64_MIN <= created <= _INT64_MAX and 0 <= pk <= _INT64_MAX):
            raise ValueError("out of range")
        return created, pk

    return _decode(token, fingerprint, read)


def encode_name_token(last_name: str, fingerprint: str) -> str:
    """A token for listings ordered by a name (e.g. tenant ids): the last one shown."""
    return _encode({"n": last_name, "f": fingerprint})


def decode_name_token(token: str, fingerprint: str) -> str:
    """The last name on the previous page."""

    def read(data: dict[str, Any]) -> str:
        name = data["n"]
        if not isinstance(name, str):
            raise TypeError("not a name")
        return name

    return _decode(token, fingerprint, read)
