"""Per-issue KPI shift detectors: a rate (FCR, reopen rate, negative-sentiment or low-CSAT
share) or a duration (first response time, or CSAT means) moving away from its own trailing
baseline.

Each step (hour) tests the last 6, 12, 24, 72 and 168 hours against a 28-day baseline that
ends before the longest window starts and in which alarmed hours count one tenth, so an
outbreak neither hides itself nor becomes normal within days. A window alarms only when it
has enough tickets, is significant (Bonferroni over the windows), material (a minimum
effect size) and still current (its last quarter shows at least half that effect). Its
noise is sampling noise plus the hour-to-hour and day-to-day variation that each series'
baseline shows (a busy hour slows every ticket in it; some days are simply worse), so
volume alone cannot make noise significant: 5 tickets a day do not alarm on a bad day,
while hundreds a day alarm within hours of a real shift.

Alarm hours with gaps of at most `max_gap` form one event, whose start and end are the
change points that make the excess over the baseline most significant; a later run of
alarms whose shift began before the previous event ended (the long windows still holding
it) extends that event instead of opening another.

Learned attributes, all (n_series, n_steps): `expected_` the baseline KPI (NaN until
`min_history_days` of baseline exist), `pvalue_` the Bonferroni-adjusted p-value (1 where
no window qualified), `score_` = -log10(pvalue_), `alarm_` = pvalue_ < alpha; and
`events_`, a list of `ShiftEvent` ordered by series, then time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, xlogy

from ticketminer.anomalies.hourly import nonzero_2d
from ticketminer.anomalies.shift_engine import (
    HOURS_PER_DAY,
    TrailingBaseline,
    TrailingDays,
    alarm_runs,
    day_sums,
    finish,
    occupied_day_sums,
    onset,
    point_sums,
    prefix_sums,
    trailing_day_sums,
    window_sums,
)

HOURS_PER_WEEK = 168
DEFAULT_WINDOWS = (6, 12, 24, 72, 168)
DEFAULT_MIN_HISTORY_DAYS = 7  # baseline days needed before testing (capped at trailing_days)
_MIN_PVALUE = 1e-300  # keeps score_ finite where the normal tail underflows
_PROFILE_SHRINK = 20.0  # tickets of pseudo-count pulling a thin hour-of-week bin to zero
_MIN_VARIANCE = 1e-12  # a constant baseline still yields finite z-scores
_RECENT_PART = 4  # a window's last quarter must still show half the effect
_ROWS_PER_PASS = 16  # series per pass of row-chunked arithmetic on (n_series, n_steps) sums


@dataclass(frozen=True, slots=True)
class ShiftEvent:
    """One KPI shift of one series; steps are hourly indices, `end` exclusive."""

    series: int
    start: int
    detected: int
    end: int
    ongoing: bool
    observed: float
    expected: float
    n: int
    pvalue: float
    score: float


@dataclass(frozen=True, slots=True)
class _Dispersion:
    """Variance of hour and day effects, in units of one ticket's variance, per series."""

    hour: np.ndarray  # (n_series,)
    day: np.ndarray  # (n_series,)

    def of_window(self, width: int, rows: np.ndarray) -> np.ndarray:
        """Extra variance of a `width`-hour window's mean for series `rows`: hour effects
        average over its hours, day effects over its days. Hourly means also carry the day
        effect, so this errs on the safe side."""
        return self.day[rows] * min(1.0, HOURS_PER_DAY / width) + self.hour[rows] / width


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


class _ShiftDetector:
    """Parameters, block scan, dispersion estimate and event assembly of both detectors.

    The statistics are hourly cell sums, the first of the values, the second the count.
    Subclasses provide `_reference` (mean and variance from sums), `_test_block` (the
    per-step test), `_excess` (per-step excess over the baseline, to place an event's start
    and end) and `_summary` (observed/expected/n).
    """

    expected_: np.ndarray
    pvalue_: np.ndarray
    score_: np.ndarray
    alarm_: np.ndarray
    events_: list[ShiftEvent]

    def __init__(
        self,
        *,
        direction: str,
        trailing_days: int,
        min_history_days: int | None,
        windows: tuple[int, ...],
        alpha: float,
        min_overdispersion: float,
        alarm_weight: float,
        max_gap: int,
    ) -> None:
        _require(direction in ("up", "down"), "direction must be 'up' or 'down'")
        _require(trailing_days >= 1, "trailing_days must be >= 1")
        if min_history_days is None:
            min_history_days = min(DEFAULT_MIN_HISTORY_DAYS, trailing_days)
        _require(0 <= min_history_days <= trailing_days, "need 0 <= min_history_days <= trailing")
        _require(len(windows) > 0 and min(windows) >= 1, "windows must be positive hour counts")
        _require(0 < alpha < 1, "alpha must be in (0, 1)")
        _require(min_overdispersion >= 0, "min_overdispersion must be >= 0")
        _require(0 <= alarm_weight <= 1, "alarm_weight must be in [0, 1]")
        _require(max_gap >= 0, "max_gap must be >= 0")
        self.direction = direction
        self.trailing_days = trailing_days
        self.min_history_days = min_history_days
        self.windows = tuple(int(w) for w in windows)
        self.alpha = alpha
        self.min_overdispersion = min_overdispersion
        self.alarm_weight = alarm_weight
        self.max_gap = max_gap
        self._sign = 1.0 if direction == "up" else -1.0
        self._lag = max(self.windows)

    def _run(self, stats: list[np.ndarray]) -> None:
        """Scan (n_series, n_steps) cell sums block by block, then group alarms into events."""
        n_series, n_steps = stats[0].shape
        self._prefix = prefix_sums(stats)
        span = self.trailing_days * HOURS_PER_DAY
        self._baseline = TrailingBaseline(self._prefix, self._lag, span, self.alarm_weight)
        self._days = TrailingDays(self._dispersion_days(stats), self.trailing_days)
        # Filled block by block (in cache) rather than up front.
        self.expected_ = np.empty((n_series, n_steps))
        self.pvalue_ = np.empty((n_series, n_steps))
        self.score_ = np.empty((n_series, n_steps))
        self.alarm_ = np.zeros((n_series, n_steps), dtype=bool)
        for start in range(0, n_steps, self._lag):
            self._scan_block(start, min(start + self._lag, n_steps))
        self.events_ = self._events(n_steps)
        del self._prefix, self._baseline, self._days  # large, and only needed while fitting

    def _dispersion_days(self, stats: list[np.ndarray]) -> np.ndarray:
        """(4, n_series, n_days): per day, the excess of its hours' and of its own squared
        deviations from the trailing days' reference over sampling noise, each with its
        weight (the day's count); the excess averages the effect variance x weight.

        With the reference mean m fixed for the day, sum_h (s_h - n_h m)^2 / n_h expands to
        sum_h s_h^2 / n_h - 2 m S + m^2 N, so one pass over the hours suffices. Alarmed days
        are left out later: an outbreak's huge deviations would otherwise numb the detector
        for the whole trailing window.
        """
        hours, hour_squares = occupied_day_sums(stats[0], stats[1])
        days = np.stack([day_sums(stat) for stat in stats])
        total, n = days[0], days[1]
        reference = trailing_day_sums(days, self.trailing_days)
        mean, scale = self._reference(reference)
        n_ref = reference[1]
        valid = (n_ref >= self._min_baseline) & (n > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            noise = n / n_ref
            hour_q = hour_squares - 2 * mean * total + mean * mean * n
            hour_excess = hour_q / scale - hours - noise
            day_excess = (total - n * mean) ** 2 / (n * scale) - 1 - noise
        weight = np.where(valid, n, 0.0)
        return np.stack(
            [np.where(valid, hour_excess, 0.0), weight, np.where(valid, day_excess, 0.0), weight]
        )

    def _dispersion(self, start: int) -> _Dispersion:
        """Ratio estimates of hour and day effects over the baseline days of a block; the day
        effect is at least the floor, which also stands in for too thin a baseline."""
        hour_excess, hour_weight, day_excess, day_weight = self._days.sums(
            max(start - self._lag, 0) // HOURS_PER_DAY
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            hour = np.where(hour_weight > 0, hour_excess / hour_weight, 0.0)
            day = np.where(day_weight > 0, day_excess / day_weight, 0.0)
        return _Dispersion(np.maximum(hour, 0.0), np.maximum(day, self.min_overdispersion))

    def _scan_block(self, start: int, stop: int) -> None:
        """Test steps [start, stop) of every series, then let the baselines learn the alarms."""
        history = np.arange(start, stop) - self._lag >= self.min_history_days * HOURS_PER_DAY
        expected, best = self._test_block(
            start, stop, self._baseline.sums(start, stop), history[None, :], self._dispersion(start)
        )
        self.expected_[:, start:stop] = expected
        # Only tested cells (best < 1) differ from an untested cell's p = 1, score -log10(1).
        self.pvalue_[:, start:stop] = 1.0
        self.score_[:, start:stop] = -0.0
        rows, steps = nonzero_2d(~(best >= 1.0))
        steps += start
        pvalue = np.clip(best[rows, steps - start] * len(self.windows), _MIN_PVALUE, 1.0)
        self.pvalue_[rows, steps] = pvalue
        self.score_[rows, steps] = -np.log10(pvalue)
        alarm = pvalue < self.alpha
        rows, steps = rows[alarm], steps[alarm]
        self.alarm_[rows, steps] = True
        self._baseline.settle(start, stop, rows, steps - start)
        self._days.exclude(rows, steps)

    def _reference(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) of one ticket's value given the statistics' sums."""
        raise NotImplementedError

    def _test_block(
        self,
        start: int,
        stop: int,
        base: np.ndarray,
        history: np.ndarray,
        dispersion: _Dispersion,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(expected KPI, smallest per-window p-value) for steps [start, stop)."""
        raise NotImplementedError

    def _excess(self, series: int, start: int, stop: int, ref: int) -> tuple[np.ndarray, ...]:
        """Per-step excess over the step-`ref` baseline (alarm direction) and its variance."""
        raise NotImplementedError

    def _summary(self, series: int, start: int, end: int, ref: int) -> tuple[float, float, int]:
        """(observed, expected, n) of the event [start, end) detected at step `ref`."""
        raise NotImplementedError

    def _events(self, n_steps: int) -> list[ShiftEvent]:
        """One event per run of alarms; a run whose shift started before the previous event
        of its series ended is that event's echo in the long windows, and extends it."""
        events: list[ShiftEvent] = []
        for series, first, last in alarm_runs(self.alarm_, self.max_gap):
            lo = max(0, first - self._lag + 1)
            start = lo + onset(*self._excess(series, lo, first + 1, first))
            previous = events[-1] if events else None
            if previous and previous.series == series and start <= previous.end + self.max_gap:
                events[-1] = self._event(series, previous.start, previous.detected, last, n_steps)
            else:
                events.append(self._event(series, start, first, last, n_steps))
        return events

    def _event(self, series: int, start: int, first: int, last: int, n_steps: int) -> ShiftEvent:
        """The event that started at `start`, first alarmed at `first` and last at `last`;
        its end is placed within the longest window before the last alarm, where the
        excess since `start` is most significant."""
        ongoing = last >= n_steps - 1 - self.max_gap
        end = n_steps
        if not ongoing:
            min_length = max(first + 1, last - self._lag + 2) - start
            end = start + finish(*self._excess(series, start, last + 1, first), min_length)
        observed, expected, n = self._summary(series, start, end, first)
        pvalue = float(self.pvalue_[series, first : last + 1].min())
        return ShiftEvent(
            series, start, first, end, ongoing, observed, expected, n, pvalue, -math.log10(pvalue)
        )

    def _current(
        self,
        hit: tuple[np.ndarray, np.ndarray],
        start: int,
        width: int,
        expected: np.ndarray,
        need: np.ndarray | float,
    ) -> np.ndarray:
        """Mask of the candidate cells whose window still shows half the needed change over
        its last quarter (or has no tickets there): a long window must not keep alarming, or
        alarm anew, on a shift that has ended."""
        rows, columns = hit
        recent = -(-width // _RECENT_PART)
        value, count = point_sums(self._prefix[:2], rows, start + columns, recent)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = self._sign * (value / count - expected[hit])
        return (count == 0) | (change >= np.divide(need, 2))

    def _windows(
        self, start: int, stop: int, width: int, minimum: float
    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """(rows, value sums, counts) of the `width`-step windows ending at [start, stop),
        of only the series with `minimum` tickets in one of them (rows None: all series).
        A quiet issue's short windows never qualify, and skipping them saves most of the
        scan; the rest is computed exactly as for all series."""
        n = window_sums(self._prefix[1], start, stop, width)
        rows = np.flatnonzero((n >= minimum).any(axis=1))
        if 2 * len(rows) > len(n):
            return None, window_sums(self._prefix[0], start, stop, width), n
        return rows, window_sums(self._prefix[0], start, stop, width, rows), n[rows]

    def _cells(self, series: int, start: int, stop: int) -> np.ndarray:
        """(k, stop - start) window-stat cell sums of one series."""
        return np.diff(self._prefix[:, series, start : stop + 1], axis=-1)


def _rows(block: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """The block's rows of a `_windows` selection."""
    return block if rows is None else block[rows]


def _global(
    local: tuple[np.ndarray, np.ndarray], rows: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Cells of a `_windows` selection as (series, column) of the block."""
    return local if rows is None else (rows[local[0]], local[1])


def _rate_shift_pvalue(
    x: np.ndarray, n: np.ndarray, p0: np.ndarray, n_base: np.ndarray, sign: float, rho: np.ndarray
) -> np.ndarray:
    """One-sided p-value of x successes in n trials against rate p0.

    The signed root of the binomial likelihood ratio (continuity corrected) is close to
    exact even for a handful of rare events, unlike a Wald z. Its variance is inflated by
    the rate's extra variance `rho` p0 (1 - p0) and for the noise of a baseline estimated
    from `n_base` trials.
    """
    gap = np.maximum(sign * (x - n * p0) - 0.5, 0.0)
    q = p0 + sign * gap / n
    kl = np.maximum(xlogy(q, q / p0) + xlogy(1 - q, (1 - q) / (1 - p0)), 0.0)
    inflation = 1 + n * rho + n / n_base
    return ndtr(-np.sqrt(2 * n * kl / inflation))


def _jeffreys_rate(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """A rate never seen is not zero: half a success and half a failure added."""
    return (successes + 0.5) / (trials + 1.0)


class ProportionShiftDetector(_ShiftDetector):
    """Shift of a per-ticket yes/no rate: FCR (direction="down"), reopen rate, negative
    sentiment or low-CSAT share (direction="up").

    A window alarms when its rate differs from the baseline in `direction` by at least
    `min_absolute_change` and by `min_relative_change` of the rarer outcome's baseline rate
    (so 65 % -> 49 % FCR and 2 % -> 5 % negative share qualify, 65 % -> 62 % never does),
    has `min_trials` tickets, and is significant at `alpha` after Bonferroni over `windows`.
    `min_overdispersion` is the least day-to-day variance of the rate assumed, as a
    fraction of p (1 - p); each series' own is estimated from its baseline.
    """

    def __init__(
        self,
        *,
        direction: str = "up",
        trailing_days: int = 28,
        min_history_days: int | None = None,
        windows: tuple[int, ...] = DEFAULT_WINDOWS,
        alpha: float = 1e-4,
        min_trials: int = 20,
        min_baseline_trials: int = 50,
        min_relative_change: float = 0.25,
        min_absolute_change: float = 0.03,
        min_overdispersion: float = 0.002,
        alarm_weight: float = 0.1,
        max_gap: int = 24,
    ) -> None:
        super().__init__(
            direction=direction,
            trailing_days=trailing_days,
            min_history_days=min_history_days,
            windows=windows,
            alpha=alpha,
            min_overdispersion=min_overdispersion,
            alarm_weight=alarm_weight,
            max_gap=max_gap,
        )
        _require(min_trials >= 1 and min_baseline_trials >= 1, "minimum counts must be >= 1")
        _require(min_relative_change >= 0 and min_absolute_change >= 0, "effects must be >= 0")
        self.min_trials = min_trials
        self.min_baseline_trials = min_baseline_trials
        self._min_baseline = min_baseline_trials
        self.min_relative_change = min_relative_change
        self.min_absolute_change = min_absolute_change

    def fit(self, successes: np.ndarray, trials: np.ndarray) -> ProportionShiftDetector:
        """successes, trials: (n_series, n_steps) hourly counts; successes <= trials."""
        successes = np.asarray(successes, dtype=float)
        trials = np.asarray(trials, dtype=float)
        _require(successes.ndim == 2, "successes must be (n_series, n_steps)")
        _require(successes.shape == trials.shape, "successes and trials must have one shape")
        _require(successes.size > 0, "successes must not be empty")
        _require(bool(np.isfinite(trials).all()), "counts must be finite")
        _require(bool((successes >= 0).all()), "successes must be >= 0")
        _require(bool((successes <= trials).all()), "successes must be <= trials")
        self._run([successes, trials])
        return self

    def _reference(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = _jeffreys_rate(sums[0], sums[1])
        return p, p * (1 - p)

    def _test_block(
        self,
        start: int,
        stop: int,
        base: np.ndarray,
        history: np.ndarray,
        dispersion: _Dispersion,
    ) -> tuple[np.ndarray, np.ndarray]:
        x_base, n_base = base
        ready = history & (n_base >= self.min_baseline_trials)
        p0 = _jeffreys_rate(x_base, n_base)
        rarer = np.minimum(p0, 1 - p0)
        need = np.maximum(self.min_absolute_change, self.min_relative_change * rarer)
        need[~ready] = np.inf
        best = np.ones_like(p0)
        for width in self.windows:
            rows, x, n = self._windows(start, stop, width, self.min_trials)
            with np.errstate(divide="ignore", invalid="ignore"):
                change = self._sign * (x / n - _rows(p0, rows))
            local = nonzero_2d((change >= _rows(need, rows)) & (n >= self.min_trials))
            x, n = x[local], n[local]
            hit = _global(local, rows)
            kept = self._current(hit, start, width, p0, need[hit])
            hit, x, n = (hit[0][kept], hit[1][kept]), x[kept], n[kept]
            rho = dispersion.of_window(width, hit[0])
            p = _rate_shift_pvalue(x, n, p0[hit], n_base[hit], self._sign, rho)
            best[hit] = np.minimum(best[hit], p)
        return np.where(ready, p0, np.nan), best

    def _excess(self, series: int, start: int, stop: int, ref: int) -> tuple[np.ndarray, ...]:
        x, n = self._cells(series, start, stop)
        p0 = self.expected_[series, ref]
        return self._sign * (x - n * p0), n * p0 * (1 - p0)

    def _summary(self, series: int, start: int, end: int, ref: int) -> tuple[float, float, int]:
        x, n = self._cells(series, start, end).sum(axis=-1)
        return float(x / n), float(self.expected_[series, ref]), int(n)


def _in_range(index: np.ndarray, bound: int) -> bool:
    """Integers in [0, bound) (empty arrays included)."""
    return np.issubdtype(index.dtype, np.integer) and (
        index.size == 0 or (int(index.min()) >= 0 and int(index.max()) < bound)
    )


def _hour_of_week_offsets(total: np.ndarray, n: np.ndarray, hour_of_week: np.ndarray) -> np.ndarray:
    """(n_steps,) mean deviation of each step's hour of the week from the series' own means,
    pooled over series (staffing is shared), shrunk towards 0 for thin bins, centred on the
    average value. Works on (n_series, n_steps) cell sums, not on tickets."""
    series_mean = total.sum(axis=1) / np.maximum(n.sum(axis=1), 1.0)
    deviation = total.sum(axis=0) - series_mean @ n
    in_bin = np.bincount(hour_of_week, n.sum(axis=0), minlength=HOURS_PER_WEEK)
    offsets = np.bincount(hour_of_week, deviation, minlength=HOURS_PER_WEEK)
    offsets /= in_bin + _PROFILE_SHRINK
    offsets -= (offsets * in_bin).sum() / max(in_bin.sum(), 1.0)
    return offsets[hour_of_week]


class DurationShiftDetector(_ShiftDetector):
    """Shift of a per-ticket measurement: first response time (direction="up"), or with
    `log_scale=False` a mean such as CSAT (direction="down").

    Values are compared as log1p(seconds), where a ratio is a shift and the spread is
    roughly normal; `min_effect` is then a ratio of geometric means (1.5 = 50 % slower),
    otherwise a difference in value units. With `hour_of_week`, each value is first
    adjusted by its hour of the week's offset, pooled over all series and the fitted
    history (staffing patterns are shared and stable; one issue's outbreak barely moves
    it), so night and weekend hours compare like with like. `min_overdispersion` is the
    least day-to-day variance of the mean assumed, as a fraction of one value's variance;
    each series' own hour and day effects (a busy queue slows every ticket in the hour) are
    estimated from its baseline.
    Observed/expected are geometric means in seconds on the log scale (close to medians),
    plain means otherwise.
    """

    def __init__(
        self,
        *,
        direction: str = "up",
        trailing_days: int = 28,
        min_history_days: int | None = None,
        windows: tuple[int, ...] = DEFAULT_WINDOWS,
        alpha: float = 1e-4,
        min_count: int = 20,
        min_baseline_count: int = 50,
        log_scale: bool = True,
        min_effect: float = 1.5,
        min_overdispersion: float = 0.005,
        alarm_weight: float = 0.1,
        max_gap: int = 24,
    ) -> None:
        super().__init__(
            direction=direction,
            trailing_days=trailing_days,
            min_history_days=min_history_days,
            windows=windows,
            alpha=alpha,
            min_overdispersion=min_overdispersion,
            alarm_weight=alarm_weight,
            max_gap=max_gap,
        )
        _require(min_count >= 2 and min_baseline_count >= 2, "minimum counts must be >= 2")
        _require(min_effect > 1 if log_scale else min_effect >= 0, "min_effect out of range")
        self.min_count = min_count
        self.min_baseline_count = min_baseline_count
        self._min_baseline = min_baseline_count
        self.log_scale = log_scale
        self.min_effect = min_effect
        self._min_shift = math.log(min_effect) if log_scale else min_effect

    def fit(
        self,
        values: np.ndarray,
        series: np.ndarray,
        step: np.ndarray,
        n_series: int,
        n_steps: int,
        hour_of_week: np.ndarray | None = None,
    ) -> DurationShiftDetector:
        """Per-ticket observations: values (seconds, >= 0; NaN = missing, ignored), the series
        index and the hourly step index of each ticket. hour_of_week (n_steps,) optional for
        seasonal adjustment."""
        values, series, step = self._checked(values, series, step, n_series, n_steps)
        y = np.log(values + 1.0) if self.log_scale else values  # log1p, but twice as fast
        cell = series * n_steps
        cell += step
        size = n_series * n_steps
        total, n, squares = (
            np.bincount(cell, w, minlength=size).astype(float, copy=False).reshape(n_series, -1)
            for w in (y, None, y * y)
        )
        self._offset = np.zeros(n_steps)
        if hour_of_week is not None:
            hour_of_week = np.asarray(hour_of_week)
            _require(
                hour_of_week.shape == (n_steps,) and _in_range(hour_of_week, HOURS_PER_WEEK),
                "hour_of_week must be (n_steps,) integers in [0, 168)",
            )
            self._offset = offset = _hour_of_week_offsets(total, n, hour_of_week)
            # A few series at a time: year-sized temporaries cost more than the arithmetic.
            for lo in range(0, n_series, _ROWS_PER_PASS):
                rows = slice(lo, lo + _ROWS_PER_PASS)
                squares[rows] += offset * (n[rows] * offset - 2 * total[rows])
                total[rows] -= n[rows] * offset
        self._run([total, n, squares])
        del self._offset
        return self

    def _checked(
        self, values: np.ndarray, series: np.ndarray, step: np.ndarray, n_series: int, n_steps: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validated float values and integer indices, tickets without a value dropped."""
        values, series, step = np.asarray(values, float), np.asarray(series), np.asarray(step)
        _require(n_series >= 1 and n_steps >= 1, "n_series and n_steps must be >= 1")
        _require(values.ndim == 1, "values must be one-dimensional")
        _require(series.shape == values.shape == step.shape, "values, series, step: one shape")
        _require(_in_range(series, n_series), f"series must be integers in [0, {n_series})")
        _require(_in_range(step, n_steps), f"step must be integers in [0, {n_steps})")
        missing = np.isnan(values)
        if missing.any():
            kept = ~missing
            values, series, step = values[kept], series[kept], step[kept]
        if values.size:
            low, high = values.min(), values.max()
            _require(bool(np.isfinite([low, high]).all()), "values must be finite or NaN")
            _require(not self.log_scale or low >= 0, "values must be >= 0")
        return values, series.astype(np.int64, copy=False), step.astype(np.int64, copy=False)

    def _reference(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total, n, squares = sums
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total / n
            return mean, np.maximum(squares / n - mean * mean, _MIN_VARIANCE)

    def _baseline_at(self, series: int, step: int) -> tuple[float, float]:
        """(mean, variance) of the transformed baseline at one step."""
        mean, variance = self._reference(self._baseline.sums(step, step + 1)[:, series, 0])
        return float(mean), float(variance)

    def _test_block(
        self,
        start: int,
        stop: int,
        base: np.ndarray,
        history: np.ndarray,
        dispersion: _Dispersion,
    ) -> tuple[np.ndarray, np.ndarray]:
        n_base = base[1]
        ready = history & (n_base >= self.min_baseline_count)
        mean, variance = self._reference(base)
        min_shift = np.where(ready, self._min_shift, np.inf)
        best = np.ones_like(n_base)
        for width in self.windows:
            rows, window_total, n = self._windows(start, stop, width, self.min_count)
            with np.errstate(divide="ignore", invalid="ignore"):
                shift = self._sign * (window_total / n - _rows(mean, rows))
            local = nonzero_2d((shift >= _rows(min_shift, rows)) & (n >= self.min_count))
            shift, n = shift[local], n[local]
            hit = _global(local, rows)
            kept = self._current(hit, start, width, mean, self._min_shift)
            hit, shift, n = (hit[0][kept], hit[1][kept]), shift[kept], n[kept]
            extra = dispersion.of_window(width, hit[0]) + 1 / n_base[hit]
            se = np.sqrt(variance[hit] * (1 / n + extra))
            best[hit] = np.minimum(best[hit], ndtr(-shift / se))
        expected = np.where(ready, self._inverse(mean + self._offset[start:stop]), np.nan)
        return expected, best

    def _inverse(self, y: np.ndarray | float) -> np.ndarray | float:
        return np.expm1(y) if self.log_scale else y

    def _excess(self, series: int, start: int, stop: int, ref: int) -> tuple[np.ndarray, ...]:
        total, n, _ = self._cells(series, start, stop)
        mean, variance = self._baseline_at(series, ref)
        return self._sign * (total - n * mean), n * variance

    def _summary(self, series: int, start: int, end: int, ref: int) -> tuple[float, float, int]:
        total, n, _ = self._cells(series, start, end)
        count = n.sum()
        mean, _ = self._baseline_at(series, ref)
        offset = float(n @ self._offset[start:end]) / count
        observed = self._inverse((total.sum() + offset * count) / count)
        return float(observed), float(self._inverse(mean + offset)), int(count)
