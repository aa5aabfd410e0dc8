"""Per-tenant facts tables, caught up with the database on every read.

Catch-up reads only rows whose change number is above the table's high-water mark,
so any writer (this server, an importer, another replica) is seen on the next query.
Deleted tickets leave a tombstone with a change number of its own
(`ticket_deletions`), read the same way, so a deletion by any replica is seen too.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine

from ticketminer.metrics.facts_table import (
    DEFAULT_MAX_ATTRIBUTE_COLUMNS,
    Categorical,
    FactsTable,
)
from ticketminer.metrics.tags import TagIndex
from ticketminer.services.tenant_locks import TenantLocks
from ticketminer.store.erasure_repo import deleted_after
from ticketminer.store.facts_repo import (
    FactRows,
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
                # After the rows: versions commit in order, so every deletion of a
                # row read here is found. A fresh table needs only those.
                newest = int(rows.version.max()) if len(rows) else high_water
                if len(table) or len(rows):
                    since = high_water if len(table) else newest
                    rows, gone = _newest_of(rows, *deleted_after(conn, tenant_id, since))
                    table = table.without(gone)
                # Not past the rows read: a row committed between the two reads with
                # a version under a tombstone's must still be read next time.
                if len(rows):
                    table = table.merged(rows)
                    high_water = max(high_water, newest)
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


def _newest_of(
    rows: FactRows, pks: np.ndarray, versions: np.ndarray
) -> tuple[FactRows, np.ndarray]:
    """(the rows no later tombstone deletes, the pks to drop): whichever of a pk's row
    and tombstone is newer wins, as SQLite reuses the pk of a deleted last row."""
    if not len(pks):
        return rows, pks
    deleted_at: dict[int, int] = {}
    for pk, version in zip(pks.tolist(), versions.tolist(), strict=True):
        deleted_at[pk] = max(version, deleted_at.get(pk, version))
    written_at = dict(zip(rows.pk.tolist(), rows.version.tolist(), strict=True))
    keep = np.array([v > deleted_at.get(pk, -1) for pk, v in written_at.items()], dtype=bool)
    gone = [pk for pk, v in deleted_at.items() if v > written_at.get(pk, -1)]
    return rows.where(keep), np.array(gone, dtype=np.int64)
