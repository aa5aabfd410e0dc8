"""Which tenants exist, read from the tickets and the settings tables (no commits here).

Both queries ride on indexes: a tenant's tickets by ix_tickets_tenant_created (whose
leading column is tenant_id, and which covers created_us), its settings by the key.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Connection, exists, func, literal, null, or_, select, union_all

from ticketminer.domain.tenants import TenantSummary
from ticketminer.domain.timeutil import from_us_or_none
from ticketminer.store.schema import tenant_settings, tickets


def tenant_exists(conn: Connection, tenant_id: str) -> bool:
    """Whether the tenant has a ticket or a settings row: one index probe each."""
    query = select(
        or_(
            exists().where(tickets.c.tenant_id == tenant_id),
            exists().where(tenant_settings.c.tenant_id == tenant_id),
        )
    )
    return bool(conn.execute(query).scalar())


def tenant_summaries(
    conn: Connection, after: str, limit: int, only: Sequence[str] | None = None
) -> list[TenantSummary]:
    """The first `limit` tenants named above `after`, in the database's tenant_id order,
    of those with tickets or settings (only those in `only`, when given), with their
    ticket counts.

    Each table yields its own first `limit` tenants (the grouped read walks
    ix_tickets_tenant_created in order and stops there), so their union, ordered by
    the database (whose collation may not be Python's), holds the first `limit`.
    """
    counted = (
        select(
            tickets.c.tenant_id.label("tenant_id"),
            func.count().label("n"),
            func.min(tickets.c.created_us).label("first_us"),
            func.max(tickets.c.created_us).label("last_us"),
        )
        .where(tickets.c.tenant_id > after)
        .group_by(tickets.c.tenant_id)
        .order_by(tickets.c.tenant_id)
        .limit(limit)
    )
    configured = (
        select(tenant_settings.c.tenant_id.label("tenant_id"))
        .where(tenant_settings.c.tenant_id > after)
        .order_by(tenant_settings.c.tenant_id)
        .limit(limit)
    )
    if only is not None:
        counted = counted.where(tickets.c.tenant_id.in_(only))
        configured = configured.where(tenant_settings.c.tenant_id.in_(only))
    with_tickets, with_settings = counted.subquery(), configured.subquery()
    both = union_all(
        select(with_tickets),
        select(
            with_settings.c.tenant_id,
            literal(0, BigInteger).label("n"),
            null().label("first_us"),
            null().label("last_us"),
        ),
    ).subquery()
    rows = conn.execute(select(both).order_by(both.c.tenant_id, both.c.n.desc()))
    found: dict[str, TenantSummary] = {}
    for tenant, n, first, last in rows:
        # A tenant with tickets and settings comes twice, its counted row first.
        if tenant not in found:
            found[tenant] = TenantSummary(
                tenant, int(n), from_us_or_none(first), from_us_or_none(last)
            )
    return list(found.values())[:limit]
