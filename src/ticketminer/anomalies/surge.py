"""Volume surges in hourly ticket counts ("shipping-delay tickets x4 since Tuesday").

Method, per series and all series at once:

1. Baseline (baseline.py): Poisson model with weekday, hour-of-day (weekday or weekend
   profile) and shrunken hour-of-week effects, refitted daily out of sample (level from the
   trailing `trailing_days`, shape from `season_days`), with past outbreaks down-weighted
   (Farrington-flexible / Noufaily) and the NB dispersion of its prediction errors measured
   robustly per window length.
2. Scan (surge_stats.py): the count over each trailing window of `windows_hours` against its
   expected count, NB upper tail; at low volume the long windows carry the evidence, at high
   volume the one-hour window alarms first. A window counts while its last quarter is still
   surging, so a surge that is over does not linger for a day in the 24 h window.
3. CUSUM per ratio in `cusum_ratios` on quasi-Poisson log-likelihood-ratio increments, for
   sustained moderate rises; when it reaches its decision level it is scored as exp(-S), a
   bound on its stationary tail, and restarts.
4. Bonferroni over the windows and CUSUMs: pvalue = n_tests x the smallest tail probability,
   score = -log10(pvalue). An event starts when score >= `threshold` (once the series has
   `min_history_days` of history) and goes on while score >= `continue_threshold`, with
   gaps up to `max_gap_hours`; its start is the maximum-likelihood change point within the
   week before the detection.

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
from ticketminer.anomalies.hourly import nonzero_2d
from ticketminer.anomalies.surge_stats import (
    ScanInputs,
    cusum_statistic,
    raise_to_scan_score,
)

HOURS_PER_WEEK = 168
ONSET_DAYS = 7  # how far before a detection its onset is searched


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
        trailing_days: window of the baseline's level, in local days.
        season_days: window of its weekly shape (weekday, hour of day, hour of week), longer
            because the shape is stabler than the level and needs more tickets to show.
        min_history_days: days of history before a series may alarm (a full week, so that
            every weekday has been seen once).
        windows_hours: scan windows (1 h for big series, 6 h, 24 h for a few tickets a day).
        cusum_ratios: surge ratios the CUSUMs are designed for (a sustained x1.5).
        threshold: alarm when -log10(corrected p) >= threshold. 5 is a per-step false-alarm
            probability of 1e-5, about 0.07 per 10 issue-months of hourly steps if the model
            were exact: the margin absorbs its imperfection.
        continue_threshold: an event, once detected, goes on while the score stays at least
            this (hysteresis: at a few tickets a day the evidence of an ongoing surge wavers
            around the alarm threshold, and one surge must stay one event).
        min_count: a window needs at least this many tickets to alarm (Farrington's rule
            against alarms on one or two tickets where almost none are expected).
        max_gap_hours: alarm steps at most this far apart belong to one event (a quiet
            night inside a surge of a few tickets a day must not split it).
        outbreak_z: standardised Anscombe residual above which past points are down-weighted.
        seasonal_prior, interaction_prior: shrinkage pseudo-counts of the seasonal factors.
        floor_per_day: smallest expected volume (tickets per day), and the expectation of a
            series without history.
        steps_per_hour: 1 for hourly counts; e.g. 12 for 5-minute counts (windows, gaps and
            days are converted, seasonality stays per hour of week).

    Attributes after fit (arrays are (n_series, n_steps)):
        expected_: out-of-sample expected count per step. Before a series' history starts it
            is floor_per_day / 24 per hour; in its first days it comes from the days seen so
            far, with the seasonal factors pulled toward flat by the priors.
        pvalue_: Bonferroni-corrected tail probability of the most significant test. Exact
            (NB / Poisson) where some window's normal-approximation tail is below 1e-3;
            elsewhere no test ran and it is 1.
        score_: -log10(pvalue_).
        alarm_: steps of events, from their detection on, with score_ >= continue_threshold.
        events_: list of SurgeEvent, by series then time.
        history_start_: (n_series,) first step of each series' history (n_steps if none).
        dispersion_: (n_windows, n_series) NB alpha of each window's sums on the last day.
    """

    def __init__(
        self,
        *,
        trailing_days: int = 28,
        season_days: int = 84,
        min_history_days: int = 7,
        windows_hours: Sequence[int] = (1, 6, 24),
        cusum_ratios: Sequence[float] = (1.5,),
        threshold: float = 5.0,
        continue_threshold: float = 3.0,
        min_count: int = 5,
        max_gap_hours: int = 12,
        outbreak_z: float = 2.58,
        seasonal_prior: float = 2.0,
        interaction_prior: float = 10.0,
        floor_per_day: float = 0.1,
        steps_per_hour: int = 1,
    ) -> None:
        self.trailing_days = trailing_days
        self.season_days = season_days
        self.min_history_days = min_history_days
        self.windows_hours = windows_hours
        self.cusum_ratios = cusum_ratios
        self.threshold = threshold
        self.continue_threshold = continue_threshold
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
        fit = self._baseline().fit(grid.to_grid(y), birth, grid.weekend, windows)
        expected = grid.to_steps(fit.expected)
        first_valid = np.searchsorted(grid.day_of_step, birth + self.min_history_days)
        inputs = ScanInputs.build(y, expected, first_valid, self.min_count)
        best = np.zeros_like(y)
        for length in windows:
            alpha = fit.dispersion[length].astype(np.float32)[grid.day_of_step]
            raise_to_scan_score(best, inputs, length, alpha)
        day_alpha = fit.dispersion[max(windows)][grid.day_of_step]
        self._add_cusum_scores(best, y, expected, inputs, day_alpha)
        best -= np.log10(len(windows) + len(self.cusum_ratios))  # Bonferroni
        score = np.maximum(best, 0.0, out=best)
        pvalue = np.exp(score * -np.log(10.0))
        active = score >= self.continue_threshold
        for s in np.flatnonzero(first_valid > 0):
            active[: first_valid[s], s] = False
        gap, lookback = self.max_gap_hours * sph, ONSET_DAYS * 24 * sph
        events = _Events(inputs, day_alpha, score, pvalue, gap, lookback)
        self.events_, alarm = events.find(active, self.threshold)

        self.expected_ = expected.T
        self.pvalue_ = pvalue.T
        self.score_ = score.T
        self.alarm_ = alarm.T
        self.history_start_ = np.searchsorted(grid.day_of_step, birth)
        self.dispersion_ = np.stack([fit.dispersion[w][-1] for w in windows])
        return self

    def _add_cusum_scores(
        self,
        best: np.ndarray,
        counts: np.ndarray,
        expected: np.ndarray,
        inputs: ScanInputs,
        day_alpha: np.ndarray,
    ) -> None:
        """best = max(best, S / ln 10) where a CUSUM reaches its decision level (exp(-S)
        bounds its stationary tail). Below that level it adds nothing: at a few tickets a
        day S decays for weeks after a surge, and whether a surge goes on is for the scan
        windows to say.

        Increments are divided by the variance inflation of the longest window's sum
        (1 + alpha E), so that a day that is merely busy does not accumulate as a surge."""
        longest = max(self.windows_hours) * self.steps_per_hour
        inflation = inputs.trailing(inputs.expected_cum, longest)
        inflation *= day_alpha
        inflation += 1.0
        n_tests = len(self.windows_hours) + len(self.cusum_ratios)
        restart = (self.threshold + np.log10(n_tests)) * np.log(10.0)
        for ratio in self.cusum_ratios:
            statistic = cusum_statistic(
                counts, expected, inflation, ratio, inputs.first_valid, restart
            )
            crossed = statistic >= restart
            statistic *= 1.0 / np.log(10.0)
            np.maximum(best, statistic, out=best, where=crossed)

    def _baseline(self) -> SeasonalBaseline:
        return SeasonalBaseline(
            trailing_days=self.trailing_days,
            season_days=self.season_days,
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
            "need 0 < continue_threshold <= threshold": 0
            < self.continue_threshold
            <= self.threshold,
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
    day_alpha: np.ndarray  # (n_steps, n_series) dispersion of the longest window's sums
    score: np.ndarray
    pvalue: np.ndarray
    gap: int  # steps
    lookback: int  # steps searched for the onset before the detection

    def find(self, active: np.ndarray, threshold: float) -> tuple[list[SurgeEvent], np.ndarray]:
        """Runs of active steps (gaps up to `gap` allowed) that reach `threshold` somewhere;
        each is an event from its first step at `threshold` to its last active step.
        Returns the events and the alarm mask (active steps inside events)."""
        steps, series = nonzero_2d(active)
        order = np.lexsort((steps, series))
        steps, series = steps[order], series[order]
        alarm = np.zeros_like(active)
        if steps.size == 0:
            return [], alarm
        new = np.ones(series.size, dtype=bool)
        new[1:] = (series[1:] != series[:-1]) | (steps[1:] - steps[:-1] > self.gap + 1)
        firsts = np.flatnonzero(new)
        lasts = np.append(firsts[1:], series.size) - 1
        strong = self.score[steps, series] >= threshold
        position = np.where(strong, np.arange(series.size), series.size)
        detections = np.minimum.reduceat(position, firsts)
        events: list[SurgeEvent] = []
        for first, last in zip(
            detections[detections < series.size], lasts[detections < series.size], strict=True
        ):
            s, detected, last_step = int(series[first]), int(steps[first]), int(steps[last])
            earliest = events[-1].end if events and events[-1].series == s else 0
            events.append(self._event(s, detected, last_step, earliest))
            alarm[detected : last_step + 1, s] = active[detected : last_step + 1, s]
        return events, alarm

    def _event(self, s: int, detected: int, last: int, earliest: int) -> SurgeEvent:
        n_steps = self.score.shape[0]
        ongoing = last >= n_steps - 1 - self.gap
        end = n_steps if ongoing else last + 1
        start = self._onset(s, detected, max(earliest, self.inputs.first_valid[s]))
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

    def _onset(self, s: int, detected: int, earliest: int) -> int:
        """Maximum-likelihood change point: the start u maximising the quasi-Poisson
        log-likelihood ratio of "rate R x baseline since u" (R fitted) up to detection.
        Dividing by the overdispersion 1 + alpha E keeps a long stretch a few percent above
        a big baseline (noise) from outweighing the first hours of the surge."""
        starts = np.arange(max(earliest, detected - self.lookback, 0), detected + 1)
        y = self.inputs.counts_cum[detected + 1, s] - self.inputs.counts_cum[starts, s]
        mu = self.inputs.expected_cum[detected + 1, s] - self.inputs.expected_cum[starts, s]
        llr = np.where(y > mu, y * np.log(np.maximum(y, 1e-300) / mu) - (y - mu), 0.0)
        llr /= 1.0 + self.day_alpha[detected, s] * mu
        return int(starts[np.argmax(llr)]) if llr.max() > 0 else detected
