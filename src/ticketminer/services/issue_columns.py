"""Each tenant's ticket-to-issue assignments as a column aligned with its facts table.

Assignments change without the ticket changing (a re-cluster moves thousands at
once), so they are caught up by their own change numbers, not the ticket's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


class IssueColumns:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._state: dict[str, _Assignments] = {}
        self._aligned: dict[str, tuple[FactsTable, int, np.ndarray]] = {}
        self._lock = TenantLocks()

    def column(self, tenant_id: str, facts: FactsTable) -> np.ndarray:
        """Issue id per facts row (UNASSIGNED where none), as of now."""
        with self._lock(tenant_id):
            state = self._state.get(tenant_id, _EMPTY)
            with self._engine.connect() as conn:
                pks, issue_ids, high_water = load_assignment_changes(
                    conn, tenant_id, state.high_water
                )
            state = state.merged(pks, issue_ids, high_water)
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
            self._aligned[tenant_id] = (facts, state.high_water, column)
            return column
