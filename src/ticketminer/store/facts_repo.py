"""Column-wise reads of the derived ticket facts, for the in-memory metrics table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, case, func, select

from ticketminer.store.schema import FACTS_READ, ticket_attributes, tickets

_IN_CHUNK = 500
NO_CUSTOMER_SINCE = np.iinfo(np.int64).min

FACT_COLUMNS = (tickets.c.pk, *(tickets.c[name] for name in FACTS_READ))


@dataclass(frozen=True, slots=True)
class FactRows:
    """Changed tickets as numpy columns; NaN marks a missing duration, -1 a missing flag."""

    pk: np.ndarray
    version: np.ndarray
    created_us: np.ndarray
    status: np.ndarray
    csat: np.ndarray  # 0 = no rating
    first_response_s: np.ndarray
    resolution_s: np.ndarray
    full_resolution_s: np.ndarray
    solved: np.ndarray
    ever_solved: np.ndarray
    reopened: np.ndarray
    fcr: np.ndarray  # int8: -1 not solved, 0, 1
    fcr_no_followup: np.ndarray
    customer_since_us: np.ndarray  # int64; NO_CUSTOMER_SINCE where the ticket has none
    channel: list[str]
    customer_id: list[str]

    def __len__(self) -> int:
        return len(self.pk)

    def where(self, keep: np.ndarray) -> FactRows:
        """The rows where `keep` (a boolean mask) is true."""
        if bool(keep.all()):
            return self
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return FactRows(
            **{
                name: [v for v, k in zip(value, keep, strict=True) if k]
                if isinstance(value, list)
                else value[keep]
                for name, value in values.items()
            }
        )

    def take(self, order: np.ndarray) -> FactRows:
        if len(order) < 2 or bool(np.all(order[1:] > order[:-1])):
            return self
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return FactRows(
            **{
                name: [value[i] for i in order] if isinstance(value, list) else value[order]
                for name, value in values.items()
            }
        )


def _floats(values: Sequence) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _flags(values: Sequence) -> np.ndarray:
    return np.array([-1 if v is None else int(v) for v in values], dtype=np.int8)


def load_fact_rows(conn: Connection, tenant_id: str, after_version: int) -> FactRows:
    """Every ticket of `tenant_id` written after `after_version`, ordered by pk."""
    # No ORDER BY: the covering index returns rows in version order, and numpy
    # sorts by pk faster than the database would.
    query = select(*FACT_COLUMNS).where(
        tickets.c.tenant_id == tenant_id, tickets.c.version > after_version
    )
    # Raw driver tuples: building a million SQLAlchemy Row objects costs seconds.
    result = conn.execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(FACT_COLUMNS)
    (pk, version, created, status, csat, frt, res, full, solved, ever, reopened, fcr, fnf,
     since, channel, customer) = cols  # fmt: skip
    order = np.argsort(np.array(pk, dtype=np.int64), kind="stable")
    rows_by_pk = FactRows(
        pk=np.array(pk, dtype=np.int64),
        version=np.array(version, dtype=np.int64),
        created_us=np.array(created, dtype=np.int64),
        status=np.array(status, dtype=np.int8),
        csat=np.array([0 if v is None else v for v in csat], dtype=np.int8),
        first_response_s=_floats(frt),
        resolution_s=_floats(res),
        full_resolution_s=_floats(full),
        solved=np.array(solved, dtype=bool),
        ever_solved=np.array(ever, dtype=bool),
        reopened=np.array(reopened, dtype=bool),
        fcr=_flags(fcr),
        fcr_no_followup=_flags(fnf),
        customer_since_us=np.array(
            [NO_CUSTOMER_SINCE if v is None else v for v in since], dtype=np.int64
        ),
        channel=list(channel),
        customer_id=list(customer),
    )
    return rows_by_pk.take(order)


def tenants(conn: Connection) -> list[str]:
    return list(conn.execute(select(tickets.c.tenant_id).distinct()).scalars())


def attribute_key_stats(conn: Connection, tenant_id: str) -> list[tuple[str, int, int]]:
    """(key, tickets with it, distinct values) of every attribute key of the tenant, in
    one query: enough to choose the keys worth a column without loading any."""
    query = (
        select(
            ticket_attributes.c.key,
            func.count(),
            func.count(ticket_attributes.c.value.distinct()),
        )
        .where(ticket_attributes.c.tenant_id == tenant_id)
        .group_by(ticket_attributes.c.key)
        .order_by(ticket_attributes.c.key)
    )
    return [(k, int(n), int(d)) for k, n, d in conn.execute(query)]


def load_attribute_values(
    conn: Connection, tenant_id: str, key: str, pks: Sequence[int] | None = None
) -> tuple[np.ndarray, list[str]]:
    """(ticket pks, values) of attribute `key`, for all tickets or only `pks`."""
    base = select(ticket_attributes.c.ticket_pk, ticket_attributes.c.value).where(
        ticket_attributes.c.tenant_id == tenant_id, ticket_attributes.c.key == key
    )
    rows = _rows_of(conn, base, ticket_attributes.c.ticket_pk, pks)
    if not rows:
        return np.zeros(0, dtype=np.int64), []
    pk_values, values = zip(*rows, strict=True)
    return np.array(pk_values, dtype=np.int64), list(values)


def load_ticket_tags(
    conn: Connection, tenant_id: str, pks: Sequence[int] | None = None
) -> tuple[np.ndarray, list[list[str]]]:
    """(ticket pks, tag lists) of the tenant's tagged tickets, all or only `pks`
    (of those, untagged ones are returned with an empty list, so a caller replacing
    their tags clears tags that were removed)."""
    base = select(tickets.c.pk, tickets.c.tags_json).where(tickets.c.tenant_id == tenant_id)
    if pks is None:
        base = base.where(tickets.c.tags_json != "[]")
    rows = _rows_of(conn, base, tickets.c.pk, pks)
    if not rows:
        return np.zeros(0, dtype=np.int64), []
    pk_values, blobs = zip(*rows, strict=True)
    return np.array(pk_values, dtype=np.int64), [list(json.loads(b)) for b in blobs]


def _rows_of(conn: Connection, base, pk_column, pks: Sequence[int] | None) -> list:
    """The rows of `base`, for every ticket or, a chunk at a time, for `pks`."""
    if pks is None:
        return conn.execute(base).fetchall()
    rows = []
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = [int(p) for p in pks[start : start + _IN_CHUNK]]
        rows.extend(conn.execute(base.where(pk_column.in_(chunk))))
    return rows


def attribute_counts(
    conn: Connection, tenant_id: str, start_us: int, split_us: int, end_us: int, min_total: int
) -> list[tuple[str, str, int, int]]:
    """(key, value, tickets before split, tickets from split) over [start, end), for
    values with at least `min_total` tickets in all. One query, so comparing two weeks
    by attribute never loads whole attribute columns, and identifiers such as order
    ids (one ticket each) never leave the database."""
    created = tickets.c.created_us
    before = func.sum(case((created < split_us, 1), else_=0))
    query = (
        select(ticket_attributes.c.key, ticket_attributes.c.value, before, func.count())
        .select_from(tickets.join(ticket_attributes, ticket_attributes.c.ticket_pk == tickets.c.pk))
        .where(tickets.c.tenant_id == tenant_id, created >= start_us, created < end_us)
        .group_by(ticket_attributes.c.key, ticket_attributes.c.value)
        .having(func.count() >= min_total)
    )
    return [(k, v, int(b), int(n) - int(b)) for k, v, b, n in conn.execute(query)]
