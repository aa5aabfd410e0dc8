"""Repository functions for webhook receipts: hashes of accepted signed deliveries,
so a replay is refused on every replica (no commits here)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from ticketminer.store.schema import webhook_receipts


def has_receipt(conn: Connection, digest: str) -> bool:
    found = conn.execute(
        select(webhook_receipts.c.digest).where(webhook_receipts.c.digest == digest)
    ).first()
    return found is not None


def insert_receipt(conn: Connection, digest: str, received_us: int) -> None:
    """IntegrityError when the digest is already there (the claim is the insert)."""
    conn.execute(insert(webhook_receipts).values(digest=digest, received_us=received_us))


def delete_receipt(conn: Connection, digest: str) -> None:
    conn.execute(delete(webhook_receipts).where(webhook_receipts.c.digest == digest))


def prune_receipts(conn: Connection, before_us: int) -> int:
    """Forget receipts older than `before_us`; how many went."""
    done = conn.execute(delete(webhook_receipts).where(webhook_receipts.c.received_us < before_us))
    return done.rowcount or 0
