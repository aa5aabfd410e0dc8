"""Attribute slices whose volume a scan watches beside the issues.

When one problem's tickets spread over several issues (phrasings, languages, a new
wording), each issue's share of a surge can stay under its threshold, while the
attribute slice where the incident happens (carrier=EMS ∧ region=华北) carries all
of it. Watching every cell of the attribute cube would cost more than the issues
themselves, so the candidates are pruned the way iDice prunes:

- support: a slice must average `min_per_day` tickets over the history, else no
  surge in it could be told from noise (and a pair must too);
- impact: a value that holds most of the tenant is the tenant again, not a slice;
- budget: at most `max_series` slices, the best supported first, so the work grows
  with the slices that matter and not with the cube.

Significance is then the surge detector's, with its multiple-window correction, and
a slice that only grew at its siblings' expense (`mix_shift`) is no incident.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ticketminer.anomalies.hourly import DAY_US
from ticketminer.domain.anomalies import Dims

MIN_PER_DAY = 3.0  # the smallest baseline worth a series
MAX_SHARE = 0.8  # a value on more of the tickets than this is the tenant again
MAX_VALUES_PER_KEY = 30
PAIR_KEYS = 4  # pairs only among the most informative attributes
MAX_SERIES = 300
# A slice's surge must add at least this share of its excess to its attribute's
# population (see `mix_shift`).
NET_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class SliceColumn:
    """One attribute as codes per facts row (-1: no value)."""

    name: str
    codes: np.ndarray
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Slice:
    """A conjunction of attribute values: (column index, code) per member."""

    dims: Dims
    parts: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.dims)

    def rows(self, columns: Sequence[SliceColumn]) -> np.ndarray:
        """Bool per facts row (computed on demand: hundreds of slices of a million
        rows would not fit kept as masks)."""
        mask = np.ones(len(columns[0].codes), dtype=bool)
        for j, code in self.parts:
            mask &= columns[j].codes == code
        return mask

    def population(self, columns: Sequence[SliceColumn]) -> np.ndarray:
        """Rows that have a value for each of the slice's attributes: the slice and its
        siblings (the other carriers, the other app versions)."""
        mask = np.ones(len(columns[0].codes), dtype=bool)
        for j, _ in self.parts:
            mask &= columns[j].codes >= 0
        return mask


def mix_shift(
    rows: np.ndarray,
    population: np.ndarray,
    times: np.ndarray,
    window: tuple[int, int],
    trailing: int,
    end: int,
    share: float = NET_SHARE,
) -> bool:
    """Whether a slice's rise is its siblings' fall: a new app version taking over
    from the old one, a carrier winning share. An incident adds tickets; a shift in
    the mix only moves them, so the attribute's population gains (much) less than
    the slice does. Counts are compared with the trailing period before the window,
    scaled to its length; the window is widened to whole days (ending by `end` at the
    latest) so that a surge in office hours is not measured against nights."""
    lo, hi = window
    length = -(-(hi - lo) // DAY_US) * DAY_US
    hi = min(lo + length, end)
    lo = hi - length
    now = (times >= lo) & (times < hi)
    before = (times >= lo - trailing) & (times < lo)
    scale = (hi - lo) / trailing

    def excess(mask: np.ndarray) -> float:
        return float((mask & now).sum()) - float((mask & before).sum()) * scale

    mine = excess(rows)
    return mine > 0 and excess(population) < share * mine


def _slice(columns: Sequence[SliceColumn], *parts: tuple[int, int]) -> Slice:
    dims = tuple(sorted((columns[j].name, columns[j].values[c]) for j, c in parts))
    return Slice(dims, tuple(parts))


def candidate_slices(
    columns: Sequence[SliceColumn],
    days: float,
    *,
    min_per_day: float = MIN_PER_DAY,
    max_share: float = MAX_SHARE,
    max_values: int = MAX_VALUES_PER_KEY,
    pair_keys: int = PAIR_KEYS,
    max_series: int = MAX_SERIES,
) -> list[Slice]:
    """Single values, then pairs of values of the first `pair_keys` columns (the
    caller orders columns by informativeness), pruned as the module says."""
    if not columns:
        return []
    n = len(columns[0].codes)
    floor = max(min_per_day * days, 1.0)
    found: list[tuple[int, Slice]] = []
    singles: list[list[int]] = []  # per column: the codes kept
    for j, col in enumerate(columns):
        counts = np.bincount(col.codes[col.codes >= 0], minlength=len(col.values))
        kept = [
            int(c)
            for c in np.argsort(-counts, kind="stable")[:max_values]
            if floor <= counts[c] <= max_share * n
        ]
        singles.append(kept)
        found += [(int(counts[c]), _slice(columns, (j, c))) for c in kept]
    for a, b in itertools.combinations(range(min(pair_keys, len(columns))), 2):
        joint = _joint_codes(columns[a], columns[b])
        width = len(columns[b].values)
        counts = np.bincount(joint[joint >= 0], minlength=len(columns[a].values) * width)
        for va, vb in itertools.product(singles[a], singles[b]):
            support = int(counts[va * width + vb])
            if floor <= support <= max_share * n:
                found.append((support, _slice(columns, (a, va), (b, vb))))
    found.sort(key=lambda item: (-item[0], item[1].dims))
    return [s for _, s in found[:max_series]]


def _joint_codes(a: SliceColumn, b: SliceColumn) -> np.ndarray:
    both = (a.codes >= 0) & (b.codes >= 0)
    joint = a.codes.astype(np.int64) * len(b.values) + b.codes
    return np.where(both, joint, -1)


def slice_matrix(
    slices: Sequence[Slice], columns: Sequence[SliceColumn], steps: np.ndarray, n_steps: int
) -> np.ndarray:
    """Tickets per (slice, step): one counting pass per attribute and per attribute
    pair, each row's code mapped to its slice (rows with a negative step drop out)."""
    out = np.zeros((len(slices), n_steps))
    by_keys: dict[tuple[int, ...], list[int]] = {}
    for i, s in enumerate(slices):
        by_keys.setdefault(tuple(j for j, _ in s.parts), []).append(i)
    for keys, members in by_keys.items():
        if len(keys) == 1:
            codes = columns[keys[0]].codes.astype(np.int64)
            size = len(columns[keys[0]].values)
            code_of = [slices[i].parts[0][1] for i in members]
        else:
            a, b = keys
            codes = _joint_codes(columns[a], columns[b])
            width = len(columns[b].values)
            size = len(columns[a].values) * width
            code_of = [slices[i].parts[0][1] * width + slices[i].parts[1][1] for i in members]
        to_row = np.full(size + 1, -1, dtype=np.int64)  # the last cell: no value (-1)
        to_row[code_of] = np.arange(len(members))
        row = to_row[np.where(codes >= 0, codes, size)]
        keep = (row >= 0) & (steps >= 0)
        cells = row[keep] * n_steps + steps[keep]
        counts = np.bincount(cells, minlength=len(members) * n_steps)
        out[members] = counts.reshape(len(members), n_steps)
    return out
