"""Repository functions for API keys (no commits here); secrets are stored hashed."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ticketminer.domain.api_keys import ApiKey, Scope
from ticketminer.domain.timeutil import from_us
from ticketminer.store.schema import api_keys


def insert_key(conn: Connection, key: ApiKey, secret_hash: str, created_us: int) -> None:
    conn.execute(
        insert(api_keys).values(
            key_id=key.key_id,
            secret_hash=secret_hash,
            tenants=json.dumps(list(key.tenants)),
            scope=key.scope.value,
            created_us=created_us,
            note=key.note,
        )
    )


def _key(row: Any) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        tenants=tuple(json.loads(row.tenants)),
        scope=Scope(row.scope),
        created_at=from_us(row.created_us),
        revoked_at=from_us(row.revoked_us) if row.revoked_us is not None else None,
        note=row.note,
    )


def find_key(conn: Connection, key_id: str) -> tuple[ApiKey, str] | None:
    """(the key, its secret hash), or None."""
    row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
    return None if row is None else (_key(row), row.secret_hash)


def list_keys(conn: Connection) -> list[ApiKey]:
    rows = conn.execute(select(api_keys).order_by(api_keys.c.created_us, api_keys.c.key_id))
    return [_key(r) for r in rows]


def revoke_key(conn: Connection, key_id: str, revoked_us: int) -> bool:
    """Whether a key that was not yet revoked is now."""
    done = conn.execute(
        update(api_keys)
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_us.is_(None))
        .values(revoked_us=revoked_us)
    )
    return done.rowcount > 0
