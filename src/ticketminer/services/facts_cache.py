"""Per-tenant facts tables, caught up with the database on every read.

Catch-up reads only rows whose change number is above the table's high-water mark,
so any writer (this server, an importer, another replica) is seen on the next query.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ticketminer.metrics.facts_table import (
    DEFAULT_MAX_ATTRIBUTE_COLUMNS,
    Categorical,
    FactsTable,
)
from ticketminer.metrics.tags import TagIndex
from ticketminer.services.tenant_locks import TenantLocks
from ticketminer.store.facts_repo import (
    load_attribute_values,
    load_fact_rows,
    load_ticket_tags,
    tenants,
)


class FactsCache:
    def __init__(
        self, engine: Engine, max_attribute_columns: int = DEFAULT_MAX_ATTRIBUTE_COLUMNS
    ) -> None:
        self._engine = engine
        self._max_attribute_columns = max_attribute_columns
        self._tables: dict[str, tuple[FactsTable, int]] = {}
        self._lock = TenantLocks()

    def table(self, tenant_id: str) -> FactsTable:
        """The tenant's facts as of now. A tenant with no tickets leaves nothing behind,
        so a caller naming made-up tenants cannot grow the cache."""
        with self._lock(tenant_id):
            table, high_water = self._tables.get(tenant_id) or (
                FactsTable.empty(self._max_attribute_columns),
                0,
            )
            with self._engine.connect() as conn:
                rows = load_fact_rows(conn, tenant_id, high_water)
                if len(rows):
                    table = table.merged(rows)
                    high_water = max(high_water, int(rows.version.max()))
                    for key in list(table.attributes):
                        pks, values = load_attribute_values(conn, tenant_id, key, rows.pk)
                        table.with_attribute(key, pks, values)
                    if table.tags is not None:
                        table.with_tags(*load_ticket_tags(conn, tenant_id, rows.pk))
            if high_water:
                self._tables[tenant_id] = (table, high_water)
            return table

    def known_tenants(self) -> list[str]:
        """Every tenant with stored tickets, whoever wrote them."""
        with self._engine.connect() as conn:
            return tenants(conn)

    def warm_up(self) -> None:
        """Load every tenant's table, so the first query after a start is fast."""
        with self._engine.connect() as conn:
            names = tenants(conn)
        for tenant_id in names:
            self.table(tenant_id)

    def attribute(self, tenant_id: str, table: FactsTable, key: str) -> Categorical:
        def load():
            with self._engine.connect() as conn:
                return load_attribute_values(conn, tenant_id, key)

        return table.attribute(key, load)

    def tags(self, tenant_id: str, table: FactsTable) -> TagIndex:
        def load():
            with self._engine.connect() as conn:
                return load_ticket_tags(conn, tenant_id)

        return table.tag_index(load)
