"""Opaque keyset page tokens; bound to the filter so a token cannot page another query."""

from __future__ import annotations

import base64
import hashlib
import json

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import TicketFilter

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def filter_fingerprint(tenant_id: str, flt: TicketFilter) -> str:
    return query_fingerprint(tenant_id, flt)


def query_fingerprint(*query: object) -> str:
    """A short hash of what a listing was asked, to bind its page tokens to it."""
    blob = repr(query).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def encode_token(created_us: int, pk: int, fingerprint: str) -> str:
    raw = json.dumps({"c": created_us, "p": pk, "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> tuple[int, int]:
    """(created_us, pk) of the last ticket on the previous page."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created, pk, fp = int(data["c"]), int(data["p"]), str(data["f"])
        if not (_INT64_MIN <= created <= _INT64_MAX and 0 <= pk <= _INT64_MAX):
            raise ValueError("out of range")
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
        # RecursionError: deeply nested JSON; OverflowError: int(1e400).
        raise InvalidArgument([FieldViolation("page_token", "is not a valid page token")]) from exc
    if fp != fingerprint:
        raise InvalidArgument(
            [FieldViolation("page_token", "was issued for a different tenant or filter")]
        )
    return created, pk
