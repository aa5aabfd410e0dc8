"""Volume surges in hourly ticket counts ("shipping-delay tickets x4 since Tuesday").

Method, per series and all series at once:

1. Baseline (baseline.py): weekday x hour-of-day Poisson model refitted daily on the trailing
   `trailing_days` days, out of sample, with past outbreaks down-weighted (Farrington-flexible
   / Noufaily) and the NB dispersion of its prediction errors measured per window length.
2. Scan (surge_stats.py): the count over each trailing window of `windows_hours` against its
   expected count, NB upper tail; at low volume the long windows carry the evidence, at high
   volume the one-hour window alarms first.
3. CUSUM per ratio in `cusum_ratios` on quasi-Poisson log-likelihood-ratio increments, for
   sustained moderate rises; scored as exp(-S), a bound on its stationary tail.
4. Bonferroni over the windows and CUSUMs: pvalue = n_tests x the smallest tail probability,
   score = -log10(pvalue); a step alarms when score >= `threshold` and the series has
   `min_history_days` of history.
5. Alarm steps closer than `max_gap_hours` form one event, whose start is the CUSUM's change
   point estimate (its last zero before the detection).

History starts on the local day of a series' first ticket (leading zeros are "not yet
existing", as for a new issue). Until `min_history_days` later nothing alarms, and before
any history `expected_` is the floor `floor_per_day` spread evenly over the day: a brand-new
issue has no baseline, which is the emerging-issue rule's case, and the floor is a prior
rate that rule can test against (observed / expected is then "how far above a trickle").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ticketminer.anomalies.baseline import DayGrid, SeasonalBaseline
from ticketminer.anomalies.surge_stats import (
    ScanInputs,
    cusum_statistic,
    raise_to_scan_score,
)

HOURS_PER_WEEK = 168


@dataclass(frozen=True, slots=True)
class SurgeEvent:
    series: int  # row index in the counts matrix
    start: int  # first step of the surge (estimated onset, may be before `detected`)
    detected: int  # first alarming step
    end: int  # exclusive end step; == n_steps when still ongoing
    ongoing: bool  # still alarming at the last step (or within the gap allowance)
    observed: float  # observed count over [start, end)
    expected: float  # expected count over [start, end)
    pvalue: float  # smallest tail probability in the event (after the multiple-test correction)
    score: float  # peak score, -log10(pvalue)


class SurgeDetector:
    """Seasonal, count-aware surge detector; see the module docstring for the method.

    Parameters (defaults chosen for hourly ticket counts, not tuned on any benchmark):
        trailing_days: baseline window, in local days (4 weeks: 4 samples per hour of week).
        min_history_days: days of history before a series may alarm (a full week, so that
            every weekday has been seen once).
        windows_hours: scan windows (1 h for big series, 6 h, 24 h for a few tickets a day).
        cusum_ratios: surge ratios the CUSUMs are designed for (sustained x1.5 and x2).
        threshold: alarm when -log10(corrected p) >= threshold. 5 is a per-step false-alarm
            probability of 1e-5, about 0.07 per 10 issue-months of hourly steps if the model
            were exact: the margin absorbs its imperfection.
        min_count: a window needs at least this many tickets to alarm (Farrington's rule
            against alarms on one or two tickets where almost none are expected).
        max_gap_hours: alarm steps at most this far apart belong to one event.
        outbreak_z: standardised Anscombe residual above which past points are down-weighted.
        seasonal_prior, interaction_prior: shrinkage pseudo-counts of the seasonal factors.
        floor_per_day: smallest expected volume (tickets per day), and the expectation of a
            series without history.
        steps_per_hour: 1 for hourly counts; e.g. 12 for 5-minute counts (windows, gaps and
            days are converted, seasonality stays per hour of week).
    """

    def __init__(
        self,
        *,
        trailing_days: int = 28,
        min_history_days: int = 7,
        windows_hours: Sequence[int] = (1, 6, 24),
        cusum_ratios: Sequence[float] = (1.5, 2.0),
        threshold: float = 5.0,
        min_count: int = 5,
        max_gap_hours: int = 6,
        outbreak_z: float = 2.58,
        seasonal_prior: float = 2.0,
        interaction_prior: float = 10.0,
        floor_per_day: float = 0.1,
        steps_per_hour: int = 1,
    ) -> None:
        self.trailing_days = trailing_days
        self.min_history_days = min_history_days
        self.windows_hours = windows_hours
        self.cusum_ratios = cusum_ratios
        self.threshold = threshold
        self.min_count = min_count
        self.max_gap_hours = max_gap_hours
        self.outbreak_z = outbreak_z
        self.seasonal_prior = seasonal_prior
        self.interaction_prior = interaction_prior
        self.floor_per_day = floor_per_day
        self.steps_per_hour = steps_per_hour

    def fit(self, counts: np.ndarray, hour_of_week: np.ndarray) -> SurgeDetector:
        """counts: shape (n_series, n_steps), hourly counts (non-negative ints or floats).
        hour_of_week: shape (n_steps,), int in [0, 168): Monday 00h = 0, in the tenant's local
        time (the caller computes it, which handles DST)."""
        self._check_params()
        y, how = _validated(counts, hour_of_week)
        sph = self.steps_per_hour
        grid = DayGrid.build(how, sph)
        birth = _birth_day(y, grid)
        windows = [h * sph for h in self.windows_hours]
        fit = self._baseline().fit(grid.to_grid(y), birth, windows)
        expected = grid.to_steps(fit.expected)
        first_valid = np.searchsorted(grid.day_of_step, birth + self.min_history_days)
        inputs = ScanInputs.build(y, expected, first_valid, self.min_count)
        best = np.zeros_like(y)
        for length in windows:
            raise_to_scan_score(best, inputs, length, fit.dispersion[length][grid.day_of_step])
        longest = max(windows)
        day_mean = inputs.trailing(inputs.expected_cum, longest)
        inflation = 1.0 + fit.dispersion[longest][grid.day_of_step] * day_mean
        n_tests = len(windows) + len(self.cusum_ratios)
        restart = (self.threshold + np.log10(n_tests)) * np.log(10.0)
        cusums = [
            cusum_statistic(y, expected, inflation, r, first_valid, restart)
            for r in self.cusum_ratios
        ]
        for statistic in cusums:  # exp(-S) bounds the stationary tail of S
            np.maximum(best, statistic / np.log(10.0), out=best)
        score = np.maximum(best - np.log10(n_tests), 0.0)
        pvalue = np.exp(score * -np.log(10.0))
        alarm = score >= self.threshold
        for s in np.flatnonzero(first_valid > 0):
            alarm[: first_valid[s], s] = False

        self.expected_ = expected.T
        self.pvalue_ = pvalue.T
        self.score_ = score.T
        self.alarm_ = alarm.T
        self.history_start_ = np.searchsorted(grid.day_of_step, birth)
        self.dispersion_ = np.stack([fit.dispersion[w][-1] for w in windows])
        gap = self.max_gap_hours * sph
        self.events_ = _Events(inputs, cusums, restart, score, pvalue, gap).find(alarm)
        return self

    def _baseline(self) -> SeasonalBaseline:
        return SeasonalBaseline(
            trailing_days=self.trailing_days,
            min_history_days=self.min_history_days,
            steps_per_hour=self.steps_per_hour,
            seasonal_prior=self.seasonal_prior,
            interaction_prior=self.interaction_prior,
            floor_per_day=self.floor_per_day,
            outbreak_z=self.outbreak_z,
        )

    def _check_params(self) -> None:
        checks = {
            "trailing_days must be at least 7": self.trailing_days >= 7,
            "min_history_days must be at least 1": self.min_history_days >= 1,
            "windows_hours must be positive": len(self.windows_hours) > 0
            and min(self.windows_hours) >= 1,
            "cusum_ratios must be above 1": all(r > 1 for r in self.cusum_ratios),
            "threshold must be positive": self.threshold > 0,
            "max_gap_hours must be non-negative": self.max_gap_hours >= 0,
            "priors and floor_per_day must be positive": min(
                self.seasonal_prior, self.interaction_prior, self.floor_per_day
            )
            > 0,
            "steps_per_hour must be a positive integer": int(self.steps_per_hour)
            == self.steps_per_hour
            and self.steps_per_hour >= 1,
        }
        for message, ok in checks.items():
            if not ok:
                raise ValueError(message)


def _validated(counts: np.ndarray, hour_of_week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(counts as float (n_steps, n_series), hour_of_week as int64) or ValueError."""
    c = np.asarray(counts)
    how = np.asarray(hour_of_week)
    if c.ndim != 2 or c.shape[1] == 0:
        raise ValueError("counts must have shape (n_series, n_steps) with n_steps >= 1")
    if not (np.issubdtype(c.dtype, np.number) and np.issubdtype(how.dtype, np.number)):
        raise ValueError("counts and hour_of_week must be numeric")
    if how.shape != (c.shape[1],):
        raise ValueError(f"hour_of_week must have shape ({c.shape[1]},), got {how.shape}")
    y = np.ascontiguousarray(c.T, dtype=float)
    if y.size and not (y.min() >= 0 and y.max() < np.inf):  # also false for NaN
        raise ValueError("counts must be finite and non-negative")
    if np.any(how != np.round(how)) or how.min() < 0 or how.max() >= HOURS_PER_WEEK:
        raise ValueError("hour_of_week must be integers in [0, 168)")
    return y, how.astype(np.int64)


def _birth_day(counts: np.ndarray, grid: DayGrid) -> np.ndarray:
    """Local day of each series' first ticket (not before the first complete day); n_days
    for a series without tickets."""
    first = np.argmax(counts > 0, axis=0)
    day = np.maximum(grid.day_of_step[first], grid.first_full_day)
    return np.where(counts[first, np.arange(counts.shape[1])] > 0, day, grid.n_days)


@dataclass(frozen=True, slots=True)
class _Events:
    inputs: ScanInputs
    cusums: list[np.ndarray]  # (n_steps, n_series) CUSUM statistics, to date onsets
    restart: float  # CUSUM level after which it restarts from 0
    score: np.ndarray
    pvalue: np.ndarray
    gap: int  # steps

    def find(self, alarm: np.ndarray) -> list[SurgeEvent]:
        series, steps = np.nonzero(alarm.T)
        if series.size == 0:
            return []
        new = np.ones(series.size, dtype=bool)
        new[1:] = (series[1:] != series[:-1]) | (steps[1:] - steps[:-1] > self.gap + 1)
        firsts = np.flatnonzero(new)
        lasts = np.append(firsts[1:], series.size) - 1
        return [
            self._event(int(series[i]), int(steps[i]), int(steps[j]))
            for i, j in zip(firsts, lasts, strict=True)
        ]

    def _event(self, s: int, detected: int, last: int) -> SurgeEvent:
        n_steps = self.score.shape[0]
        ongoing = last >= n_steps - 1 - self.gap
        end = n_steps if ongoing else last + 1
        start = self._onset(s, detected)
        cy, cm = self.inputs.counts_cum, self.inputs.expected_cum
        return SurgeEvent(
            series=s,
            start=start,
            detected=detected,
            end=end,
            ongoing=bool(ongoing),
            observed=float(cy[end, s] - cy[start, s]),
            expected=float(cm[end, s] - cm[start, s]),
            pvalue=float(self.pvalue[detected : last + 1, s].min()),
            score=float(self.score[detected : last + 1, s].max()),
        )

    def _onset(self, s: int, detected: int) -> int:
        """Step after the last (re)start of the most significant CUSUM: its change-point
        estimate."""
        if not self.cusums:
            return detected
        statistic = max(self.cusums, key=lambda c: c[detected, s])[: detected + 1, s]
        if statistic[-1] <= 0:
            return detected
        starts = np.flatnonzero((statistic[:-1] <= 0) | (statistic[:-1] >= self.restart))
        return int(starts[-1]) + 1 if starts.size else 0
