"""Grouped metric arithmetic over facts columns, vectorised with numpy.

Selected rows are assigned to cells (a group, a time bucket, or both). Counts come
from one `bincount` per statistic; quantiles from a stable sort of the rows by cell,
then either a linear-time `np.partition` inside each cell (few cells) or one sort of
all values read at each cell's order statistics (many cells).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.metrics import CsatStats, DurationStats, MetricSet, Ratio
from ticketminer.metrics.facts_table import DURATIONS, FactsTable
from ticketminer.metrics.selection import fcr_column
from ticketminer.text.sentiment import NEGATIVE_THRESHOLD

QUANTILES = (0.5, 0.9)
# MetricSet field of each duration column counted in business hours.
_BUSINESS = {
    "first_response_s": "business_first_response_time",
    "resolution_s": "business_resolution_time",
    "full_resolution_s": "business_full_resolution_time",
}
# A partition per cell costs ~40 µs of Python per cell; sorting all values ~150 ns a
# value. Below this many values per cell on average, sorting everything is faster.
SORT_BELOW_CELL_SIZE = 250


def _quantiles(values: np.ndarray) -> list[float]:
    """Linear interpolation between order statistics (numpy's default method)."""
    positions = [q * (len(values) - 1) for q in QUANTILES]
    kth = sorted({math.floor(p) for p in positions} | {math.ceil(p) for p in positions})
    part = np.partition(values, kth)
    out = []
    for p in positions:
        lo, hi = part[math.floor(p)], part[math.ceil(p)]
        out.append(float(lo + (hi - lo) * (p - math.floor(p))))
    return out


def _durations_by_loop(values: np.ndarray, bounds: np.ndarray) -> list[DurationStats]:
    """A linear-time partition per cell: fastest when cells are few and large."""
    out = []
    for c in range(len(bounds) - 1):
        cell = values[bounds[c] : bounds[c + 1]]
        cell = cell[~np.isnan(cell)]
        if len(cell) == 0:
            out.append(DurationStats(0))
            continue
        p50, p90 = _quantiles(cell)
        out.append(DurationStats(len(cell), float(cell.mean()), p50, p90))
    return out


def _durations_by_sort(values: np.ndarray, bounds: np.ndarray) -> list[DurationStats]:
    """One sort of every value, then a stable sort by cell, read at each cell's order
    statistics: a thousand small cells cost about what one large one does."""
    n_cells = len(bounds) - 1
    cell = np.repeat(np.arange(n_cells, dtype=np.int32), np.diff(bounds))
    valid = ~np.isnan(values)
    values, cell = values[valid], cell[valid]
    n = np.bincount(cell, minlength=n_cells)
    means = np.bincount(cell, weights=values, minlength=n_cells) / np.maximum(n, 1)
    first = np.concatenate([[0], np.cumsum(n)[:-1]])
    by_value = np.argsort(values)
    values = values[by_value[np.argsort(cell[by_value], kind="stable")]]
    last = max(len(values) - 1, 0)
    quantiles = []
    for q in QUANTILES:
        position = q * (n - 1)
        below = np.floor(position).astype(np.int64)
        above = np.ceil(position).astype(np.int64)
        if len(values):
            lo = values[np.minimum(first + below, last)]
            hi = values[np.minimum(first + above, last)]
        else:
            lo = hi = np.zeros(n_cells)
        quantiles.append(lo + (hi - lo) * (position - below))
    return [
        DurationStats(int(n[c]), float(means[c]), float(quantiles[0][c]), float(quantiles[1][c]))
        if n[c]
        else DurationStats(0)
        for c in range(n_cells)
    ]


def _durations(values: np.ndarray, bounds: np.ndarray) -> list[DurationStats]:
    """Stats per cell; `values` are grouped by cell, cell c spans bounds[c]:bounds[c+1]."""
    if len(values) < SORT_BELOW_CELL_SIZE * (len(bounds) - 1):
        return _durations_by_sort(values, bounds)
    return _durations_by_loop(values, bounds)


def metric_sets(
    facts: FactsTable,
    rows: np.ndarray,
    cells: np.ndarray,
    n_cells: int,
    variant: FcrVariant,
    business: Mapping[str, np.ndarray] | None = None,
    sentiment: np.ndarray | None = None,
) -> list[MetricSet]:
    """Every metric for each of `n_cells` cells; row rows[i] belongs to cell cells[i]
    (a negative cell leaves the row out). `business` holds the duration columns in
    business seconds, aligned with `rows` (see metrics.business_hours), when the
    tenant has a calendar; `sentiment` the stored sentiment scores aligned with `rows`,
    NaN where a ticket has none."""
    kept = cells >= 0
    rows, cells = rows[kept], cells[kept].astype(np.int64)
    moods = _sentiment(sentiment[kept], cells, n_cells) if sentiment is not None else None

    # One bincount for all flag counts: each row gets a 5-bit code of its flags.
    fcr_values = fcr_column(facts, variant)[rows]
    ever = facts.ever_solved[rows]
    flags = (
        facts.solved[rows].astype(np.int64)
        | (fcr_values >= 0) << 1
        | (fcr_values == 1) << 2
        | ever << 3
        | (ever & facts.reopened[rows]) << 4
    )
    by_code = np.bincount(cells * 32 + flags, minlength=n_cells * 32)[: n_cells * 32]
    by_code = by_code.reshape(n_cells, 32)
    codes = np.arange(32)

    def count(bit: int) -> np.ndarray:
        return by_code[:, (codes >> bit) & 1 == 1].sum(axis=1)

    volume = by_code.sum(axis=1)
    solved, fcr_den, fcr_num, ever_n, reopened = (count(b) for b in range(5))
    csat = facts.csat[rows].astype(np.int64)
    csat_counts = np.bincount(cells * 6 + csat, minlength=n_cells * 6)[: n_cells * 6]
    csat_counts = csat_counts.reshape(n_cells, 6)[:, 1:]

    order = None
    if n_cells > 1:
        narrow = cells.astype(np.int16) if n_cells < 2**15 else cells
        order = np.argsort(narrow, kind="stable")
    grouped_rows = rows if order is None else rows[order]
    bounds = np.concatenate([[0], np.cumsum(volume)])
    durations = {name: _durations(facts.numeric[name][grouped_rows], bounds) for name in DURATIONS}
    in_hours = {}
    for name, column in (business or {}).items():
        column = column[kept]
        in_hours[name] = _durations(column if order is None else column[order], bounds)
    return [
        MetricSet(
            volume=int(volume[c]),
            solved=int(solved[c]),
            fcr=Ratio(int(fcr_num[c]), int(fcr_den[c])),
            first_response_time=durations["first_response_s"][c],
            resolution_time=durations["resolution_s"][c],
            full_resolution_time=durations["full_resolution_s"][c],
            reopen_rate=Ratio(int(reopened[c]), int(ever_n[c])),
            csat=_csat(csat_counts[c]),
            **({_BUSINESS[name]: stats[c] for name, stats in in_hours.items()}),
            **(moods[c] if moods is not None else {}),
        )
        for c in range(n_cells)
    ]


def _sentiment(scores: np.ndarray, cells: np.ndarray, n_cells: int) -> list[dict]:
    """sentiment_scored, sentiment_mean and negative_share of each cell, over the rows
    with a score (see definitions: rows without one are left out, not counted as 0)."""
    scored = ~np.isnan(scores)
    if not scored.any():  # no scan yet: spare a million-row answer the bincounts
        return [{}] * n_cells
    values, where = scores[scored], cells[scored]
    n = np.bincount(where, minlength=n_cells)
    total = np.bincount(where, weights=values, minlength=n_cells)
    negative = np.bincount(where, weights=values < NEGATIVE_THRESHOLD, minlength=n_cells)
    return [
        {
            "sentiment_scored": int(n[c]),
            "sentiment_mean": float(total[c] / n[c]) if n[c] else None,
            "negative_share": float(negative[c] / n[c]) if n[c] else None,
        }
        for c in range(n_cells)
    ]


def _csat(counts: np.ndarray) -> CsatStats:
    n = int(counts.sum())
    if n == 0:
        return CsatStats(0, None, None, (0, 0, 0, 0, 0))
    mean = float((counts * np.arange(1, 6)).sum() / n)
    satisfied = float(counts[3:].sum() / n)
    return CsatStats(n, mean, satisfied, tuple(int(c) for c in counts))  # type: ignore[arg-type]


def empty_metric_set(business_hours: bool = False) -> MetricSet:
    """The metrics of no tickets (with empty business-hours stats under a calendar)."""
    nothing = {field: DurationStats(0) for field in _BUSINESS.values()} if business_hours else {}
    return MetricSet(
        volume=0,
        solved=0,
        fcr=Ratio(0, 0),
        first_response_time=DurationStats(0),
        resolution_time=DurationStats(0),
        full_resolution_time=DurationStats(0),
        reopen_rate=Ratio(0, 0),
        csat=_csat(np.zeros(5, dtype=np.int64)),
        **nothing,
    )


EMPTY_METRIC_SET = empty_metric_set()
