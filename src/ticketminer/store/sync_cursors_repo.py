"""Repository functions for helpdesk sync cursors, one per (tenant, source); no commits here."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from ticketminer.store.schema import sync_cursors


def load_cursor(conn: Connection, tenant_id: str, source: str) -> str | None:
    """Where the last sync of `source` for the tenant stopped, or None before the first."""
    return conn.execute(
        select(sync_cursors.c.cursor).where(
            sync_cursors.c.tenant_id == tenant_id, sync_cursors.c.source == source
        )
    ).scalar()


def save_cursor(
    conn: Connection, tenant_id: str, source: str, cursor: str, updated_us: int
) -> None:
    values = {"cursor": cursor, "updated_us": updated_us}
    done = conn.execute(
        update(sync_cursors)
        .where(sync_cursors.c.tenant_id == tenant_id, sync_cursors.c.source == source)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(sync_cursors).values(tenant_id=tenant_id, source=source, **values))
