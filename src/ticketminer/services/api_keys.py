"""API keys: create (the token is shown once), list, revoke, and authenticate a
bearer token in constant time.

Authentication runs on every call, so found keys are cached for a few seconds; a
revocation through this service takes effect at once here, and within
CACHE_SECONDS on other replicas.

The key id of a token is read before the caller is authenticated, so nothing it
leaves behind may grow without bound: found keys live in one bounded cache, and
unknown key ids in another, keyed by a fixed-size hash of the id (MISS_CACHE_SIZE
entries at most, each for CACHE_SECONDS). A token repeated by a flood costs one
database read per CACHE_SECONDS; distinct made-up key ids still cost one primary-key
read each, at most one per RPC the server admits (--max-concurrent-rpcs), like any
other unauthenticated call. Limiting the rate of unauthenticated callers belongs in
front of the server (a proxy or load balancer).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine

from ticketminer.domain.api_keys import ALL_TENANTS, TOKEN_PREFIX, ApiKey, Scope, parse_token
from ticketminer.domain.errors import FieldViolation, InvalidArgument, NotFound
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.services.ttl_cache import TtlCache
from ticketminer.store.api_keys_repo import find_key, insert_key, list_keys, revoke_key

CACHE_SECONDS = 5.0
# Found keys kept at once (each a few hundred bytes); more only costs re-reads.
KEY_CACHE_SIZE = 10_000
# Unknown key ids remembered at once (a 16-byte hash each), so memory stays bounded
# whatever a flood of made-up tokens sends.
MISS_CACHE_SIZE = 10_000
# A hash to compare against when the key id is unknown, so a miss costs what a hit does.
_NO_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _miss_key(key_id: str) -> bytes:
    """What an unknown key id is remembered by: its size does not depend on the id."""
    return hashlib.blake2b(key_id.encode(), digest_size=16).digest()


class ApiKeyService:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock
        self._found: TtlCache[str, tuple[ApiKey, str]] = TtlCache(CACHE_SECONDS, KEY_CACHE_SIZE)
        self._missing: TtlCache[bytes, bool] = TtlCache(CACHE_SECONDS, MISS_CACHE_SIZE)

    def create(self, tenants: Sequence[str], scope: Scope, note: str = "") -> tuple[ApiKey, str]:
        """(the key, its token): the token is not stored and cannot be shown again."""
        tenants = tuple(dict.fromkeys(tenants))
        if not tenants or any(not t or len(t) > 256 for t in tenants):
            raise InvalidArgument(
                [FieldViolation("tenants", f"one or more tenant ids, or {ALL_TENANTS!r}")]
            )
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        created = self._clock()
        key = ApiKey(key_id, tenants, Scope(scope), created, note=note)
        with self._engine.begin() as conn:
            insert_key(conn, key, _hash(secret), to_us(created))
        self._missing.forget(_miss_key(key_id))
        return key, f"{TOKEN_PREFIX}_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        with self._engine.connect() as conn:
            return list_keys(conn)

    def revoke(self, key_id: str) -> ApiKey:
        with self._engine.begin() as conn:
            revoke_key(conn, key_id, to_us(self._clock()))
            found = find_key(conn, key_id)
        if found is None:
            raise NotFound(f"API key {key_id!r} not found")
        self._found.forget(key_id)
        return found[0]

    def authenticate(self, token: str) -> ApiKey | None:
        """The key behind a bearer token, or None (unknown, wrong secret or revoked)."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        key, stored = self._lookup(key_id)
        same = hmac.compare_digest(_hash(secret), stored)
        if key is None or not same or key.revoked_at is not None:
            return None
        return key

    def _lookup(self, key_id: str) -> tuple[ApiKey | None, str]:
        """(the key or None, the hash to compare with)."""
        found = self._found.find(key_id)
        if found is not None:
            return found
        missed = _miss_key(key_id)
        if self._missing.find(missed):
            return None, _NO_KEY_HASH
        found = self._found.get(key_id, lambda: self._load(key_id), keep=_is_found)
        if found is None:
            self._missing.put(missed, True)
            return None, _NO_KEY_HASH
        return found

    def _load(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._engine.connect() as conn:
            return find_key(conn, key_id)

    def cache_sizes(self) -> tuple[int, int]:
        """(found keys, unknown key ids) held in memory now."""
        return len(self._found), len(self._missing)


def _is_found(found: tuple[ApiKey, str] | None) -> bool:
    return found is not None
