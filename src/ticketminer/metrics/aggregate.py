"""Grouped metric arithmetic over facts columns, vectorised with numpy.

Rows are assigned to cells (a group, a time bucket, or both); every statistic is
computed for all cells at once, so cost grows with rows, not with cells.
"""

from __future__ import annotations

import numpy as np

from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.metrics import CsatStats, DurationStats, MetricSet, Ratio
from ticketminer.metrics.facts_table import FactsTable
from ticketminer.metrics.selection import fcr_column

QUANTILES = (0.5, 0.9)


def _count(cells: np.ndarray, n_cells: int, where: np.ndarray | None = None) -> np.ndarray:
    picked = cells if where is None else cells[where]
    return np.bincount(picked, minlength=n_cells)[:n_cells]


def grouped_durations(
    facts: FactsTable, name: str, cell_of_row: np.ndarray, n_cells: int
) -> list[DurationStats]:
    """n, mean, p50 and p90 of duration column `name` per cell.

    `cell_of_row` holds a cell for every table row, -1 for rows not selected.
    Quantiles interpolate linearly between order statistics (numpy's default).
    """
    order, valid = facts.value_order(name)
    order = order[:valid]
    order = order[cell_of_row[order] >= 0]
    cells = cell_of_row[order]
    # A stable sort by cell keeps rows in value order inside each cell.
    by_cell = np.argsort(cells.astype(np.int16 if n_cells < 2**15 else np.int64), kind="stable")
    values = facts.numeric[name][order[by_cell]]
    n = np.bincount(cells, minlength=n_cells)[:n_cells]
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    sums = np.bincount(cells, weights=facts.numeric[name][order], minlength=n_cells)[:n_cells]
    quantiles = []
    for q in QUANTILES:
        pos = starts + q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        if len(values):
            lo_v = values[np.minimum(lo, len(values) - 1)]
            hi_v = values[np.minimum(hi, len(values) - 1)]
            quantiles.append(lo_v + (hi_v - lo_v) * (pos - lo))
        else:
            quantiles.append(np.zeros(n_cells))
    out = []
    for c in range(n_cells):
        if n[c] == 0:
            out.append(DurationStats(0))
        else:
            out.append(
                DurationStats(
                    int(n[c]), float(sums[c] / n[c]), float(quantiles[0][c]), float(quantiles[1][c])
                )
            )
    return out


def metric_sets(
    facts: FactsTable, cell_of_row: np.ndarray, n_cells: int, variant: FcrVariant
) -> list[MetricSet]:
    """Every metric for each of `n_cells` cells (cell -1 = row not selected)."""
    selected = cell_of_row >= 0
    cells = cell_of_row[selected]
    volume = _count(cells, n_cells)
    solved = _count(cells, n_cells, facts.solved[selected])
    fcr_values = fcr_column(facts, variant)[selected]
    fcr_den = _count(cells, n_cells, fcr_values >= 0)
    fcr_num = _count(cells, n_cells, fcr_values == 1)
    ever = facts.ever_solved[selected]
    reopened = _count(cells, n_cells, ever & facts.reopened[selected])
    ever_n = _count(cells, n_cells, ever)
    csat = facts.csat[selected].astype(np.int64)
    csat_counts = np.bincount(cells * 6 + csat, minlength=n_cells * 6)[: n_cells * 6]
    csat_counts = csat_counts.reshape(n_cells, 6)[:, 1:]
    durations = {
        name: grouped_durations(facts, name, cell_of_row, n_cells)
        for name in ("first_response_s", "resolution_s", "full_resolution_s")
    }
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
        )
        for c in range(n_cells)
    ]


def _csat(counts: np.ndarray) -> CsatStats:
    n = int(counts.sum())
    if n == 0:
        return CsatStats(0, None, None, (0, 0, 0, 0, 0))
    mean = float((counts * np.arange(1, 6)).sum() / n)
    satisfied = float(counts[3:].sum() / n)
    return CsatStats(n, mean, satisfied, tuple(int(c) for c in counts))  # type: ignore[arg-type]
