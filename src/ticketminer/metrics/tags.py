"""Ticket tags beside the facts table, as (row, tag code) pairs.

A ticket has any number of tags, so the one-code-per-row Categorical that serves
channels and attributes cannot hold them. Pairs sorted by row answer a tag filter
with one isin over the pairs, and a group-by-tag with the pairs of the selected rows
(a ticket with three tags is three pairs, so it counts once in each tag's group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

UNTAGGED = ""  # the filter value and group name of tickets without tags


@dataclass(frozen=True, slots=True)
class TagIndex:
    """Row rows[k] of the facts table has tag values[codes[k]]; sorted by row."""

    rows: np.ndarray  # int64
    codes: np.ndarray  # int32
    values: tuple[str, ...]

    @classmethod
    def empty(cls) -> TagIndex:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int32), ())

    @classmethod
    def build(
        cls,
        table_pk: np.ndarray,
        pks: np.ndarray,
        tags: Sequence[Sequence[str]],
        base: TagIndex | None = None,
        base_pk: np.ndarray | None = None,
    ) -> TagIndex:
        """The index over `table_pk` with tickets `pks` tagged `tags`, plus the pairs
        of `base` (an index over `base_pk`) for every other ticket it holds."""
        base = base or cls.empty()
        index = {v: i for i, v in enumerate(base.values)}
        counts = np.fromiter((len(t) for t in tags), dtype=np.int64, count=len(tags))
        new_pk = np.repeat(np.asarray(pks, dtype=np.int64), counts)
        new_codes = np.fromiter(
            (index.setdefault(tag, len(index)) for ts in tags for tag in ts),
            dtype=np.int32,
            count=int(counts.sum()),
        )
        old_pk = (base_pk if base_pk is not None else table_pk)[base.rows]
        keep = ~np.isin(old_pk, pks)
        all_pk = np.concatenate([old_pk[keep], new_pk])
        all_codes = np.concatenate([base.codes[keep], new_codes])
        rows = np.searchsorted(table_pk, all_pk)
        # Tags read after the facts snapshot may name tickets it does not hold yet.
        present = rows < len(table_pk)
        present[present] = table_pk[rows[present]] == all_pk[present]
        rows, all_codes = rows[present], all_codes[present]
        order = np.argsort(rows, kind="stable")
        return cls(rows[order].astype(np.int64), all_codes[order], tuple(index))

    def tagged(self, n_rows: int) -> np.ndarray:
        """Rows with at least one tag."""
        mask = np.zeros(n_rows, dtype=bool)
        mask[self.rows] = True
        return mask

    def matching(self, wanted: Sequence[str], n_rows: int) -> np.ndarray:
        """Rows with ANY of `wanted` ("" matches rows without tags)."""
        codes = [self.values.index(v) for v in wanted if v in self.values]
        mask = np.zeros(n_rows, dtype=bool)
        mask[self.rows[np.isin(self.codes, codes)]] = True
        if UNTAGGED in wanted:
            mask |= ~self.tagged(n_rows)
        return mask

    def groups(
        self, rows: np.ndarray, n_rows: int, only: Sequence[str] = ()
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Group membership of the selected `rows` (sorted): (positions into `rows`,
        code into names, names), one entry per (row, tag) pair and one with code 0
        ("") per untagged row. With `only`, just those tags' groups."""
        position = np.full(n_rows, -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        pair_positions = position[self.rows]
        pair = pair_positions >= 0
        pair_positions, pair_codes = pair_positions[pair], self.codes[pair].astype(np.int64) + 1
        untagged = np.flatnonzero(~self.tagged(n_rows)[rows])
        names = [UNTAGGED, *self.values]
        if only:
            allowed = np.isin(np.arange(len(names)), [names.index(v) for v in only if v in names])
            keep = allowed[pair_codes]
            pair_positions, pair_codes = pair_positions[keep], pair_codes[keep]
            if UNTAGGED not in only:
                untagged = untagged[:0]
        positions = np.concatenate([pair_positions, untagged])
        codes = np.concatenate([pair_codes, np.zeros(len(untagged), np.int64)])
        return positions, codes, names
