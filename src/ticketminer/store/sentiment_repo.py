"""Repository functions for per-ticket sentiment and anger scores (no commits here)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, delete, insert, select

from ticketminer.store.bulk_sql import execute_many
from ticketminer.store.schema import ticket_sentiment, tickets

_IN_CHUNK = 500
_INSERT = insert(ticket_sentiment)


def forget_sentiment(conn: Connection, pks: Sequence[int]) -> None:
    """Drop the scores of changed tickets; the next scan scores their new text."""
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = list(pks[start : start + _IN_CHUNK])
        conn.execute(delete(ticket_sentiment).where(ticket_sentiment.c.ticket_pk.in_(chunk)))


def write_sentiment(
    conn: Connection, tenant_id: str, rows: Sequence[tuple[int, float, float]]
) -> None:
    """Store (ticket pk, sentiment, anger) of tickets that have none."""
    execute_many(
        conn,
        _INSERT,
        [
            {"ticket_pk": pk, "tenant_id": tenant_id, "score": score, "anger": anger}
            for pk, score, anger in rows
        ],
    )


def load_sentiment(
    conn: Connection, tenant_id: str, created_from_us: int, created_until_us: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(ticket pks, sentiment scores) of the tenant's tickets created in [from, until), by pk."""
    pks, scores, _ = load_scores(conn, tenant_id, created_from_us, created_until_us)
    return pks, scores


def load_scores(
    conn: Connection, tenant_id: str, created_from_us: int, created_until_us: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ticket pks, sentiment, anger) of the tenant's tickets created in [from, until), by
    pk; anger is NaN in rows stored before it existed."""
    where = [tickets.c.tenant_id == tenant_id, tickets.c.created_us >= created_from_us]
    if created_until_us is not None:
        where.append(tickets.c.created_us < created_until_us)
    query = (
        select(ticket_sentiment.c.ticket_pk, ticket_sentiment.c.score, ticket_sentiment.c.anger)
        .join(tickets, tickets.c.pk == ticket_sentiment.c.ticket_pk)
        .where(*where)
        .order_by(ticket_sentiment.c.ticket_pk)
    )
    result = conn.execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    table = np.array(rows, dtype=np.float64)  # pks stay exact below 2**53; None -> NaN
    return table[:, 0].astype(np.int64), table[:, 1].copy(), table[:, 2].copy()
