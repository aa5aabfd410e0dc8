"""Signature and token checks shared by the webhook sources; every comparison is
constant-time (hmac.compare_digest), so a wrong guess reveals nothing by timing."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from ticketminer.importers import values
from ticketminer.webhooks.base import SignatureRejected

# How far a signed timestamp may be from our clock, either way.
MAX_SKEW = timedelta(minutes=5)
# Where the unsigned sources (Freshdesk, Chatwoot, generic) take the shared secret.
TOKEN_HEADER = "x-webhook-token"
TOKEN_QUERY = "token"


def same(expected: str | bytes, given: str | bytes) -> bool:
    a = expected.encode() if isinstance(expected, str) else expected
    b = given.encode("utf-8", "surrogateescape") if isinstance(given, str) else given
    return hmac.compare_digest(a, b)


def hmac_digest(secret: str, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), message, algorithm).digest()


def replay_key(source: str, *signed: bytes) -> str:
    """A hash of what a signature covers: the same delivery sent again has the same key."""
    digest = hashlib.sha256(source.encode())
    for part in signed:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_token(headers: Mapping[str, str], query: Mapping[str, str], secret: str) -> None:
    """The shared secret, as the X-Webhook-Token header or the `token` query parameter
    (for helpdesks that cannot set headers)."""
    given = headers.get(TOKEN_HEADER) or query.get(TOKEN_QUERY)
    if not given:
        raise SignatureRejected(
            f"missing webhook token: send the header {TOKEN_HEADER} or ?{TOKEN_QUERY}="
        )
    if not same(secret, given):
        raise SignatureRejected("wrong webhook token")


def parse_timestamp(value: str) -> datetime:
    """Unix seconds or an RFC 3339 time (Zendesk sends `2024-04-17T17:18:10Z`)."""
    moment = values.moment(value, UTC)
    if not isinstance(moment, datetime):
        raise SignatureRejected(f"unreadable signature timestamp {value[:40]!r}")
    return moment


def check_fresh(signed_at: datetime, now: datetime) -> None:
    if abs(now - signed_at) > MAX_SKEW:
        raise SignatureRejected(
            f"signature timestamp is more than {int(MAX_SKEW.total_seconds() // 60)} "
            "minutes from the server's clock (a replay, or a clock out of sync)"
        )


class TokenVerified:
    """`WebhookSource.verify` for the sources that prove themselves with the shared
    secret as a token (Freshdesk, Chatwoot, generic): no per-delivery signature, so
    no replay key."""

    def verify(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
        secret: str,
        now: datetime,
    ) -> str | None:
        check_token(headers, query, secret)
        return None
