"""Repository functions for per-tenant settings documents (no commits here)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ticketminer.store.schema import tenant_settings


def load_settings(conn: Connection, tenant_id: str) -> tuple[dict[str, Any], int] | None:
    """(document, updated_us) of the tenant's settings, or None when it has none."""
    row = conn.execute(
        select(tenant_settings.c.document, tenant_settings.c.updated_us).where(
            tenant_settings.c.tenant_id == tenant_id
        )
    ).first()
    if row is None:
        return None
    return json.loads(row.document), int(row.updated_us)


def save_settings(
    conn: Connection, tenant_id: str, document: dict[str, Any], updated_us: int
) -> None:
    values = {"document": json.dumps(document, sort_keys=True), "updated_us": updated_us}
    done = conn.execute(
        update(tenant_settings).where(tenant_settings.c.tenant_id == tenant_id).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(tenant_settings).values(tenant_id=tenant_id, **values))
