"""The attribute cube behind root-cause localisation: leaves summed per attribute vector,
and every attribute-value combination of up to `max_dims` attributes numbered once, so
per-combination sums are one `bincount`."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Keys below this many times the number of rows are densified with a lookup table,
# larger ones by sorting.
DENSE_KEY_FACTOR = 4


def aggregate(
    codes: np.ndarray, obs: np.ndarray, exp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One leaf per distinct attribute vector, observed and expected summed; rows with
    nothing observed and nothing expected carry no evidence and are dropped."""
    live = (obs > 0) | (exp > 0)
    codes, obs, exp = codes[live], obs[live], exp[live]
    if codes.shape[1] == 0 or len(codes) == 0:
        return codes, obs, exp
    ids, first = dense_ids(row_keys(list(codes.T)))
    size = len(first)
    return (
        codes[first],
        np.bincount(ids, obs, minlength=size),
        np.bincount(ids, exp, minlength=size),
    )


def row_keys(columns: Sequence[np.ndarray]) -> np.ndarray:
    """An int64 key per row, equal for equal rows: mixed radix over the columns (-1 shifted
    to 0), re-densified whenever the next column could overflow."""
    keys = np.zeros(len(columns[0]), dtype=np.int64)
    size = 1
    for col in columns:
        radix = int(col.max(initial=-1)) + 2
        if size * radix >= 2**62:
            keys, first = dense_ids(keys)
            size = len(first)
        keys = keys * radix + (col + 1)
        size *= radix
    return keys


def dense_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(an id 0..m-1 per row, in key order; the first row of each id)."""
    if len(keys) == 0:
        return keys.astype(np.int64), np.empty(0, dtype=np.int64)
    top = int(keys.max())
    if top < DENSE_KEY_FACTOR * len(keys):
        seen = np.zeros(top + 1, dtype=bool)
        seen[keys] = True
        ids = (np.cumsum(seen) - 1)[keys]
        first = np.empty(int(seen.sum()), dtype=np.int64)
        first[ids[::-1]] = np.arange(len(keys) - 1, -1, -1)
        return ids, first
    _, first, ids = np.unique(keys, return_index=True, return_inverse=True)
    return ids.ravel(), first


@dataclass(frozen=True, slots=True)
class Lattice:
    """Every attribute-value combination present in the leaves, numbered across cuboids
    (a cuboid is a set of attributes; its combinations partition the leaves that have a
    value for each of them)."""

    cuboids: list[tuple[int, ...]]
    index: dict[tuple[int, ...], int]
    member: np.ndarray  # (n_cuboids, n_leaves) combination id; n_combos where a value is missing
    cuboid_of: np.ndarray  # (n_combos,)
    leaf_of: np.ndarray  # (n_combos,) a leaf holding the combination

    @classmethod
    def build(cls, codes: np.ndarray, max_dims: int) -> Lattice:
        n, k = codes.shape
        columns = [np.ascontiguousarray(codes[:, j]) for j in range(k)]
        missing = [col < 0 if (col < 0).any() else None for col in columns]
        cuboids = [
            c
            for size in range(1, min(max_dims, k) + 1)
            for c in itertools.combinations(range(k), size)
        ]
        member = np.empty((len(cuboids), n), dtype=np.int64)
        cuboid_of, leaf_of, offset = [], [], 0
        for ci, cuboid in enumerate(cuboids):
            gaps = [missing[j] for j in cuboid if missing[j] is not None]
            present = np.flatnonzero(~np.logical_or.reduce(gaps)) if gaps else np.arange(n)
            ids, first = dense_ids(row_keys([columns[j][present] for j in cuboid]))
            member[ci] = -1
            member[ci, present] = ids + offset
            cuboid_of.append(np.full(len(first), ci))
            leaf_of.append(present[first])
            offset += len(first)
        member[member < 0] = offset
        index = {c: i for i, c in enumerate(cuboids)}
        return cls(cuboids, index, member, np.concatenate(cuboid_of), np.concatenate(leaf_of))

    @property
    def n_combos(self) -> int:
        return len(self.cuboid_of)

    def depth(self, combo: int) -> int:
        return len(self.cuboids[self.cuboid_of[combo]])

    def sums(self, weights: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per-combination sums of a per-leaf quantity (over `rows` only if given)."""
        member = self.member if rows is None else self.member[:, rows]
        w = weights if rows is None else weights[rows]
        flat = np.tile(w, len(self.cuboids))
        return np.bincount(member.ravel(), flat, minlength=self.n_combos + 1)[:-1]

    def leaves(self, combo: int) -> np.ndarray:
        return self.member[self.cuboid_of[combo]] == combo

    def ancestors(self, combo: int) -> list[int]:
        """Combinations on proper subsets of the combination's attributes."""
        cuboid = self.cuboids[self.cuboid_of[combo]]
        leaf = self.leaf_of[combo]
        return [
            int(self.member[self.index[sub], leaf])
            for size in range(1, len(cuboid))
            for sub in itertools.combinations(cuboid, size)
        ]

    def is_ancestor(self, ancestor: int, combo: int) -> bool:
        coarse = self.cuboids[self.cuboid_of[ancestor]]
        fine = self.cuboids[self.cuboid_of[combo]]
        if len(coarse) >= len(fine) or not set(coarse) <= set(fine):
            return False
        return bool(self.member[self.index[coarse], self.leaf_of[combo]] == ancestor)
