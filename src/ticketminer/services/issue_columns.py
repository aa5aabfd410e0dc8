"""Each tenant's ticket-to-issue assignments as a column aligned with its facts table.

Assignments change without the ticket changing (a re-cluster moves thousands at
once), so they are caught up by their own change numbers, not the ticket's.

At most CACHED_TENANTS tenants are kept (least recently used go first) and a tenant
not asked about for IDLE_SECONDS is dropped; either is caught up from scratch on its
next call. A tenant with no assignments and no facts keeps no entry at all, so calls
naming made-up tenants leave nothing behind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from cachetools import TTLCache
from sqlalchemy import Engine

from ticketminer.domain.issues import UNASSIGNED
from ticketminer.metrics.facts_table import FactsTable
from ticketminer.services.tenant_locks import TenantLocks
from ticketminer.store.assignments_repo import load_assignment_changes


@dataclass(frozen=True, slots=True)
class _Assignments:
    pk: np.ndarray  # sorted
    issue: np.ndarray
    high_water: int

    def merged(self, pks: np.ndarray, issue_ids: np.ndarray, high_water: int) -> _Assignments:
        if not len(pks):
            return _Assignments(self.pk, self.issue, high_water)
        # Later rows win: keep the last of any duplicate pk, then overlay.
        pk = np.concatenate([self.pk, pks])
        issue = np.concatenate([self.issue, issue_ids])
        order = np.argsort(pk, kind="stable")
        pk, issue = pk[order], issue[order]
        last = np.ones(len(pk), dtype=bool)
        last[:-1] = pk[1:] != pk[:-1]
        return _Assignments(pk[last], issue[last], high_water)


_EMPTY = _Assignments(np.zeros(0, np.int64), np.zeros(0, np.int32), 0)
CACHED_TENANTS = 10_000
IDLE_SECONDS = 3600.0


class IssueColumns:
    def __init__(
        self,
        engine: Engine,
        max_tenants: int = CACHED_TENANTS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._engine = engine
        # Both guarded by self._guard (tenants differ under self._lock); every call
        # re-inserts its tenant, so only idle tenants expire.
        self._state: TTLCache[str, _Assignments] = TTLCache(max_tenants, idle_seconds)
        self._aligned: TTLCache[str, tuple[FactsTable, int, np.ndarray]] = TTLCache(
            max_tenants, idle_seconds
        )
        self._guard = threading.Lock()
        self._lock = TenantLocks()

    def column(self, tenant_id: str, facts: FactsTable) -> np.ndarray:
        """Issue id per facts row (UNASSIGNED where none), as of now."""
        with self._lock(tenant_id):
            with self._guard:
                state = self._state.get(tenant_id, _EMPTY)
            with self._engine.connect() as conn:
                pks, issue_ids, high_water = load_assignment_changes(
                    conn, tenant_id, state.high_water
                )
            state = state.merged(pks, issue_ids, high_water)
            nothing = not state.high_water and not len(state.pk) and not len(facts)
            with self._guard:
                if not nothing:
                    self._state[tenant_id] = state
                cached = self._aligned.get(tenant_id)
            if cached is not None and cached[0] is facts and cached[1] == state.high_water:
                return cached[2]
            column = np.full(len(facts), UNASSIGNED, dtype=np.int32)
            if len(state.pk) and len(facts):
                rows = np.searchsorted(facts.pk, state.pk)
                ok = rows < len(facts.pk)
                ok[ok] = facts.pk[rows[ok]] == state.pk[ok]
                column[rows[ok]] = state.issue[ok]
            if not nothing:
                with self._guard:
                    self._aligned[tenant_id] = (facts, state.high_water, column)
            return column

    def cached_tenants(self) -> int:
        """Tenants whose assignments are held in memory now."""
        with self._guard:
            return len(self._state)
