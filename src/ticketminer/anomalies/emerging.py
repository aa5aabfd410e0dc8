"""Emerging issues: a series that did not exist a short while ago and is now big.

The surge detector needs weeks of history to learn a baseline, so a brand-new issue
is invisible to it; this rule tests the new series against a small floor rate
instead ("would a trickle of `floor_per_day` explain this many tickets?").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson


@dataclass(frozen=True, slots=True)
class EmergingEvent:
    series: int
    start: int
    detected: int
    end: int
    ongoing: bool
    observed: float
    expected: float
    pvalue: float
    score: float


class EmergingDetector:
    """New series (most of their tickets within `max_age_days`) growing past a floor."""

    def __init__(
        self,
        *,
        max_age_days: int = 14,
        min_tickets: int = 15,
        floor_per_day: float = 0.5,
        alpha: float = 1e-4,
        onset_quantile: float = 0.05,
        active_share: float = 0.25,
    ) -> None:
        self.max_age_days = max_age_days
        self.min_tickets = min_tickets
        self.floor_per_day = floor_per_day
        self.alpha = alpha
        self.onset_quantile = onset_quantile
        self.active_share = active_share

    def fit(self, counts: np.ndarray) -> EmergingDetector:
        counts = np.asarray(counts, dtype=float)
        if counts.ndim != 2 or np.any(counts < 0):
            raise ValueError("counts must be a non-negative (n_series, n_steps) matrix")
        self.events_ = [
            e for s in range(counts.shape[0]) if (e := self._series(s, counts[s])) is not None
        ]
        return self

    def _series(self, s: int, row: np.ndarray) -> EmergingEvent | None:
        n_steps = len(row)
        total = row.sum()
        if total < self.min_tickets:
            return None
        cum = np.cumsum(row)
        # The onset is where the mass starts, so a few stray early tickets do not age it.
        start = int(np.searchsorted(cum, self.onset_quantile * total, side="left"))
        start = int(np.flatnonzero(row[: start + 1])[0]) if row[: start + 1].any() else start
        if n_steps - start > self.max_age_days * 24:
            return None
        since = cum - (cum[start - 1] if start else 0.0)
        steps = np.arange(n_steps) - start + 1
        floor = self.floor_per_day / 24 * np.maximum(steps, 24)
        pvals = np.where(steps > 0, poisson.sf(since - 1, floor), 1.0)
        hits = np.flatnonzero((since >= self.min_tickets) & (pvals < self.alpha))
        if len(hits) == 0:
            return None
        detected = int(hits[0])
        daily = np.convolve(row, np.ones(24), mode="full")[:n_steps]
        active = np.flatnonzero(daily >= self.active_share * daily[start:].max())
        last_active = int(active[-1])
        ongoing = last_active >= n_steps - 1
        end = n_steps if ongoing else last_active + 1
        observed = float(row[start:end].sum())
        if observed < self.min_tickets:
            return None
        expected = self.floor_per_day / 24 * max(end - start, 24)
        p = float(max(poisson.sf(observed - 1, expected), 1e-300))
        return EmergingEvent(s, start, detected, end, ongoing, observed, expected, p, -np.log10(p))
