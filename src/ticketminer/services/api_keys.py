"""API keys: create (the token is shown once), list, revoke, and authenticate a
bearer token in constant time.

Authentication runs on every call, so found keys are cached for a few seconds; a
revocation through this service takes effect at once here, and within
CACHE_SECONDS on other replicas.
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
# A hash to compare against when the key id is unknown, so a miss costs what a hit does.
_NO_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyService:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock
        self._cache: TtlCache[str, tuple[ApiKey | None, str]] = TtlCache(CACHE_SECONDS)

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
        self._cache.forget(key_id)
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
        return self._cache.get(key_id, lambda: self._load(key_id))

    def _load(self, key_id: str) -> tuple[ApiKey | None, str]:
        with self._engine.connect() as conn:
            found = find_key(conn, key_id)
        return found if found is not None else (None, _NO_KEY_HASH)
