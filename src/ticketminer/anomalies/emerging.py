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
    """Series that were quiet for `quiet_days` and then grew past a floor within
    `max_age_days`; found wherever that happened in the history, so a backfilled
    history shows the issues that were new at the time."""

    def __init__(
        self,
        *,
        max_age_days: int = 14,
        quiet_days: int = 14,
        quiet_tickets: int = 2,
        min_tickets: int = 15,
        floor_per_day: float = 0.5,
        alpha: float = 1e-4,
        active_share: float = 0.25,
    ) -> None:
        self.max_age_days = max_age_days
        self.quiet_days = quiet_days
        self.quiet_tickets = quiet_tickets
        self.min_tickets = min_tickets
        self.floor_per_day = floor_per_day
        self.alpha = alpha
        self.active_share = active_share

    def fit(self, counts: np.ndarray) -> EmergingDetector:
        counts = np.asarray(counts, dtype=float)
        if counts.ndim != 2 or np.any(counts < 0):
            raise ValueError("counts must be a non-negative (n_series, n_steps) matrix")
        onsets = self._onsets(counts)
        self.events_ = [
            e
            for s in np.flatnonzero(onsets >= 0)
            if (e := self._series(int(s), counts[s], int(onsets[s]))) is not None
        ]
        return self

    def _onsets(self, counts: np.ndarray) -> np.ndarray:
        """Per series, the first hour with a ticket that follows `quiet_days` observed
        days with at most `quiet_tickets` tickets (strays) and starts `min_tickets`
        within `max_age_days`; -1 if none. A small issue that merely got busier is not
        new. One pass over all series at once."""
        n_series, n_steps = counts.shape
        quiet, age = self.quiet_days * 24, self.max_age_days * 24
        if n_steps <= quiet:
            return np.full(n_series, -1)
        cum = np.concatenate([np.zeros((n_series, 1)), np.cumsum(counts, axis=1)], axis=1)
        t = np.arange(quiet, n_steps)
        before = cum[:, t] - cum[:, t - quiet]
        ahead = cum[:, np.minimum(t + age, n_steps)] - cum[:, t]
        ok = (counts[:, t] > 0) & (before <= self.quiet_tickets) & (ahead >= self.min_tickets)
        first = np.argmax(ok, axis=1)
        return np.where(ok.any(axis=1), t[first], -1)

    def _series(self, s: int, row: np.ndarray, start: int) -> EmergingEvent | None:
        n_steps = len(row)
        cum = np.cumsum(row)
        since = cum - (cum[start - 1] if start else 0.0)
        steps = np.arange(n_steps) - start + 1
        floor = self.floor_per_day / 24 * np.maximum(steps, 24)
        pvals = np.where(steps > 0, poisson.sf(since - 1, floor), 1.0)
        young = (steps > 0) & (steps <= self.max_age_days * 24)
        hits = np.flatnonzero(young & (since >= self.min_tickets) & (pvals < self.alpha))
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
