"""Seasonal baseline for hourly ticket counts: how many tickets are normal at each step.

A Poisson log-linear model with weekday and hour-of-day effects (a weekday and a weekend
hour profile) plus a shrunken hour-of-week interaction, refitted every local day on the
trailing days (level: `trailing_days`; weekly shape: `season_days`), in the spirit of
Farrington-flexible without a trend term, so that a Monday peak or a quiet night is
expected rather than alarming. Every expectation is out of sample: day d is predicted from
days before d only.

Past outbreaks must not inflate the baseline: after a first fit, windows whose
standardised Anscombe residual exceeds `outbreak_z` are shrunk toward their fitted value
with Noufaily et al.'s (2013) weight (z0 / z)^2 and the model is refitted on the cleaned
counts. The same out-of-sample errors give the negative-binomial dispersion of window sums
(Var = E + alpha * E^2) that the tail tests use.

Everything works on a (local day, slot of day, series) grid, vectorised over series, so
trailing sums are a loop over days rather than over steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ticketminer.anomalies.hourly import nonzero_2d

HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
WEEKEND_FROM = 5  # Saturday: days from here on share the weekend hour profile
# A young series has few out-of-sample errors to measure its dispersion on, so its alpha
# is blended with this prior (a 32 % relative error: predictions from one or two weeks of
# history are rough), worth this many days of data.
PRIOR_DISPERSION = 0.1
PRIOR_DISPERSION_DAYS = 3.0
# Out-of-sample errors beyond this many standard deviations are outbreaks (or data faults),
# not noise, and do not count toward the dispersion.
REJECT_Z = 3.5
_CELLS_PER_PASS = 16_384  # array cells per pass of the row-chunked screens (cache-sized)


def cumsum_time(values: np.ndarray) -> np.ndarray:
    """Prefix sums along time with a leading zero row: out[t] = values[:t].sum(0).

    A loop over rows (each vectorised over series) is about 3x faster here than
    np.cumsum(axis=0) on (time, series) arrays."""
    out = np.empty((values.shape[0] + 1, *values.shape[1:]))
    out[0] = 0.0
    for t in range(values.shape[0]):
        np.add(out[t], values[t], out=out[t + 1])
    return out


@dataclass(frozen=True, slots=True)
class DayGrid:
    """Where each step sits as (local day, slot of day), from the caller's hour_of_week.

    Days follow the local weekday, so DST days of 23 or 25 hours map correctly: a skipped
    hour leaves its slot empty and a repeated hour shares one slot."""

    n_steps: int
    n_days: int
    slots_per_day: int
    day_of_step: np.ndarray  # (n_steps,)
    flat_index: np.ndarray  # (n_steps,) day * slots_per_day + slot
    repeated: np.ndarray  # (n_steps,) bool: shares its slot with the previous step
    weekend: np.ndarray  # (n_days,) bool: Saturday or Sunday
    first_full_day: int  # 0, or 1 when the data start after local midnight
    offset: int  # grid row of step 0 when steps fill consecutive rows (no DST change), or -1

    @classmethod
    def build(cls, hour_of_week: np.ndarray, steps_per_hour: int) -> DayGrid:
        how = np.asarray(hour_of_week, dtype=np.int64)
        n = how.size
        steps = np.arange(n)
        weekday, hour = np.divmod(how, HOURS_PER_DAY)
        new_day = np.ones(n, dtype=bool)
        new_day[1:] = weekday[1:] != weekday[:-1]
        day = np.cumsum(new_day) - 1
        new_hour = np.ones(n, dtype=bool)
        new_hour[1:] = how[1:] != how[:-1]
        hour_start = np.maximum.accumulate(np.where(new_hour, steps, 0))
        slot = hour * steps_per_hour + np.minimum(steps - hour_start, steps_per_hour - 1)
        slots = HOURS_PER_DAY * steps_per_hour
        flat = day * slots + slot
        repeated = np.zeros(n, dtype=bool)
        repeated[1:] = flat[1:] == flat[:-1]
        return cls(
            n_steps=n,
            n_days=int(day[-1]) + 1,
            slots_per_day=slots,
            day_of_step=day,
            flat_index=flat,
            repeated=repeated,
            weekend=weekday[new_day] >= WEEKEND_FROM,
            first_full_day=int(slot[0] != 0),
            offset=int(flat[0]) if (np.diff(flat) == 1).all() else -1,
        )

    def to_grid(self, values: np.ndarray) -> np.ndarray:
        """(n_steps, n_series) -> (n_days, slots_per_day, n_series), summing shared slots."""
        out = np.zeros((self.n_days * self.slots_per_day, values.shape[1]))
        if self.offset >= 0:
            out[self.offset : self.offset + self.n_steps] = values
        else:
            first = ~self.repeated
            out[self.flat_index[first]] = values[first]
            np.add.at(out, self.flat_index[self.repeated], values[self.repeated])
        return out.reshape(self.n_days, self.slots_per_day, values.shape[1])

    def to_steps(self, grid: np.ndarray) -> np.ndarray:
        flat = grid.reshape(self.n_days * self.slots_per_day, -1)
        if self.offset >= 0:
            return flat[self.offset : self.offset + self.n_steps]
        return np.take(flat, self.flat_index, axis=0)


@dataclass(frozen=True, slots=True)
class BaselineFit:
    expected: np.ndarray  # (n_days, slots_per_day, n_series) out-of-sample expectation
    dispersion: dict[int, np.ndarray]  # window length in slots -> (n_days, n_series) alpha


@dataclass(frozen=True, slots=True)
class SeasonalBaseline:
    """Model settings; see the module docstring for the method.

    seasonal_prior / interaction_prior: pseudo-counts that pull the weekday and hour
    factors, and the hour-of-week cell factor, toward 1. They decide how much evidence a
    low-volume series needs before a seasonal pattern is believed; at hundreds of tickets
    a day they are negligible."""

    trailing_days: int = 28
    season_days: int = 84
    min_history_days: int = 7
    steps_per_hour: int = 1
    seasonal_prior: float = 2.0
    interaction_prior: float = 10.0
    floor_per_day: float = 0.1
    outbreak_z: float = 2.58

    def fit(
        self,
        counts: np.ndarray,
        birth_day: np.ndarray,
        weekend: np.ndarray,
        windows: Sequence[int],
    ) -> BaselineFit:
        """counts: (n_days, slots_per_day, n_series) grid. birth_day: (n_series,) first local
        day of each series' history. weekend: (n_days,) bool. windows: window lengths (in
        slots) to measure the dispersion of."""
        mature_day = birth_day + self.min_history_days
        first = self.rates(counts, birth_day, weekend)
        first_alpha = {L: self._dispersion(counts, first, L, mature_day) for L in windows}
        outbreaks = outbreak_weights(counts, first, first_alpha, mature_day, self.outbreak_z)
        expected = self.rates(shrink(counts, first, *outbreaks), birth_day, weekend)
        # Errors of the refit, leaving out every window that overlaps a past outbreak: even
        # down-weighted, its hours would count as noise and inflate alpha.
        excluded = np.zeros(counts.shape, dtype=bool)
        excluded.reshape(-1)[outbreaks[0]] = True
        alpha = {L: self._dispersion(counts, expected, L, mature_day, excluded) for L in windows}
        return BaselineFit(expected=expected, dispersion=alpha)

    def _dispersion(
        self,
        counts: np.ndarray,
        expected: np.ndarray,
        length: int,
        mature_day: np.ndarray,
        excluded: np.ndarray | None = None,
    ) -> np.ndarray:
        return window_dispersion(counts, expected, length, self.trailing_days, mature_day, excluded)

    def rates(self, counts: np.ndarray, birth_day: np.ndarray, weekend: np.ndarray) -> np.ndarray:
        """Expected count per (day, slot, series), each day fitted on the days before it.

        rate = level x weekday factor x hour factor x hour-of-week factor. The level comes
        from the last `trailing_days`; the weekly shape from the last `season_days`, because
        it is stabler than the level and a few tickets a day need months to show it. The
        hour profile is a weekday one or a weekend one (support hours differ most between
        those), and each hour-of-week cell is shrunk toward it. Closed form (exact for
        complete weeks), with gamma-prior shrinkage:
        factor = (observed + prior) / (expected + prior)."""
        n_days, slots, _ = counts.shape
        season_days = max(self.season_days, self.trailing_days)
        weeks = season_days // DAYS_PER_WEEK
        days = np.arange(n_days)[:, None]
        birth = birth_day[None, :]
        n_level = _days_since(birth, days, self.trailing_days)
        n_season = _days_since(birth, days, season_days)
        n_weekday = np.clip((days - birth) // DAYS_PER_WEEK, 0, weeks)
        daily = counts.sum(axis=1)
        level = _safe_ratio(_trailing_sum(daily, self.trailing_days), n_level * slots)
        season_level = _safe_ratio(_trailing_sum(daily, season_days), n_season * slots)
        by_type = _trailing_same_type_sum(counts, weekend, season_days)
        by_cell = _trailing_weekday_sum(counts, weeks)
        a = self.seasonal_prior
        day_factor = (by_cell.sum(axis=1) + a) / (season_level * n_weekday * slots + a)
        type_mean = by_type.sum(axis=1) / slots  # per slot, over the same-type days
        type_scale = type_mean + a
        main_scale = season_level * day_factor
        level_ratio = _safe_ratio(level, season_level)
        b = self.interaction_prior
        floor = self.floor_per_day / (HOURS_PER_DAY * self.steps_per_hour)
        # A few days at a time, so that the chain of in-place steps runs in cache.
        step = max(1, _CELLS_PER_PASS * 4 // max(1, math.prod(counts.shape[1:])))
        for lo in range(0, n_days, step):
            d = slice(lo, lo + step)
            main = by_type[d]  # reused in place: hour factor, then main effects
            main += a
            main /= type_scale[d, None, :]
            main *= main_scale[d, None, :]
            rate = by_cell[d]  # reused in place: cell factor, then the rate
            rate += b
            rate /= main * n_weekday[d, None, :] + b
            rate *= main
            rate *= level_ratio[d, None, :]
            np.maximum(rate, floor, out=rate)
        return by_cell


def _days_since(birth: np.ndarray, days: np.ndarray, window: int) -> np.ndarray:
    """Days of history in each day's trailing window: [max(birth, d - window), d)."""
    return np.clip(days - np.maximum(birth, days - window), 0, None)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _trailing_sum(grid: np.ndarray, n_days: int) -> np.ndarray:
    """out[d] = grid[d - n_days : d].sum(0)."""
    out = np.zeros_like(grid)
    for d in range(1, grid.shape[0]):
        np.add(out[d - 1], grid[d - 1], out=out[d])
        if d - 1 - n_days >= 0:
            out[d] -= grid[d - 1 - n_days]
    return out


def _trailing_same_type_sum(grid: np.ndarray, weekend: np.ndarray, n_days: int) -> np.ndarray:
    """out[d] = sum of grid[j] over j in [d - n_days, d) with weekend[j] == weekend[d]."""
    out = np.empty_like(grid)
    running = np.zeros((2, *grid.shape[1:]))
    for d in range(grid.shape[0]):
        out[d] = running[int(weekend[d])]
        running[int(weekend[d])] += grid[d]
        if d - n_days >= 0:
            running[int(weekend[d - n_days])] -= grid[d - n_days]
    return out


def _trailing_weekday_sum(grid: np.ndarray, n_weeks: int) -> np.ndarray:
    """out[d] = sum of grid[d - 7k] for k = 1..n_weeks (same weekday, earlier weeks)."""
    out = np.empty_like(grid)  # every day is written; zeros_like would write it twice
    out[:DAYS_PER_WEEK] = 0.0
    for d in range(DAYS_PER_WEEK, grid.shape[0]):
        np.add(out[d - DAYS_PER_WEEK], grid[d - DAYS_PER_WEEK], out=out[d])
        oldest = d - DAYS_PER_WEEK * (n_weeks + 1)
        if oldest >= 0:
            out[d] -= grid[oldest]
    return out


@dataclass(frozen=True, slots=True)
class _Windows:
    """Consecutive windows of `length` slots over the grid's rows (local time, from the
    first midnight); a partial last window is dropped."""

    length: int
    n_days: int
    slots_per_day: int

    @classmethod
    def of(cls, grid: np.ndarray, length: int) -> _Windows:
        return cls(length, grid.shape[0], grid.shape[1])

    @property
    def count(self) -> int:
        return self.n_days * self.slots_per_day // self.length

    def sums(self, grid: np.ndarray) -> np.ndarray:
        """(count, n_series) window sums (a view of the grid for one-slot windows)."""
        flat = grid.reshape(self.n_days * self.slots_per_day, -1)
        if self.length == 1:
            return flat
        m = self.count
        # The series count is explicit: with no whole window yet (a history shorter
        # than the window), numpy cannot infer it from an empty array.
        return flat[: m * self.length].reshape(m, self.length, flat.shape[1]).sum(axis=1)

    def day(self, window: np.ndarray, last: bool) -> np.ndarray:
        """Local day of a window's last (or first) slot."""
        return ((window + int(last)) * self.length - int(last)) // self.slots_per_day


def exceeds(
    observed: np.ndarray, mean: np.ndarray, alpha: np.ndarray, z: float, offset: float = 0.0
) -> np.ndarray:
    """Mask of observed - mean - offset > z * NB standard deviation, in few array passes:
    the cheap screen before exact residuals or tail probabilities on the few candidates.

    It runs over a few rows at a time: whole-array temporaries of a year of hours cost
    more in fresh memory than the arithmetic does."""
    observed, mean, alpha = np.broadcast_arrays(observed, mean, alpha)
    out = np.empty(observed.shape, dtype=bool)
    step = max(1, _CELLS_PER_PASS // max(1, math.prod(observed.shape[1:])))
    for lo in range(0, len(out), step):
        rows = slice(lo, lo + step)
        out[rows] = _exceeds(observed[rows], mean[rows], alpha[rows], z, offset)
    return out


def _exceeds(
    observed: np.ndarray, mean: np.ndarray, alpha: np.ndarray, z: float, offset: float
) -> np.ndarray:
    bound = alpha * mean
    bound += 1.0
    bound *= mean
    bound *= z * z
    excess = observed - mean
    if offset:
        excess -= offset
    squared = np.abs(excess)
    squared *= excess
    return squared > bound


def window_dispersion(
    counts: np.ndarray,
    expected: np.ndarray,
    length: int,
    trailing_days: int,
    mature_day: np.ndarray,
    excluded: np.ndarray | None = None,
) -> np.ndarray:
    """NB2 dispersion alpha of `length`-slot sums, per (day, series): Var = E + alpha E^2.

    Moment estimator on the trailing window's out-of-sample errors, E[(Y - E)^2 - E] =
    alpha E^2, pooled as sum / sum so that busy hours dominate. Windows off by more than
    REJECT_Z standard deviations (under the alpha known at the start of their week, hence
    the loop over weeks) are left out: a capped contribution would still count c^2 / E in
    alpha units and let a surge of a few tickets a day inflate alpha and mask the next one.
    The cut is far enough out to keep genuinely heavy-tailed noise (it trims 0.05 % of
    normal windows). Errors of predictions made before a series had `min_history_days` of
    history are left out too (they overstate the mature error), and alpha is blended with
    PRIOR_DISPERSION while a series has few such days. Windows overlapping `excluded`
    slots (known outbreaks) are left out as well."""
    windows = _Windows.of(counts, length)
    mean = windows.sums(expected)
    squared = windows.sums(counts) - mean
    np.square(squared, out=squared)
    if excluded is not None:
        squared[windows.sums(excluded) > 0] = np.inf  # rejected below
    n_days, n_series = windows.n_days, counts.shape[2]
    ends = np.searchsorted(windows.day(np.arange(windows.count), last=True), np.arange(n_days + 1))
    used = (np.arange(n_days)[:, None] >= mature_day[None, :]).astype(float)
    excess, scale = np.zeros((n_days, n_series)), np.zeros((n_days, n_series))
    for d0 in range(0, n_days, DAYS_PER_WEEK):
        d1 = min(d0 + DAYS_PER_WEEK, n_days)
        past = slice(max(0, d0 - trailing_days), d0)
        alpha = _blend(excess[past].sum(0), scale[past].sum(0), used[past].sum(0))
        mu, err = mean[ends[d0] : ends[d1]], squared[ends[d0] : ends[d1]]
        variance = alpha * mu
        variance += 1.0
        variance *= mu
        kept = err <= REJECT_Z**2 * variance
        bounds = ends[d0 : d1 + 1] - ends[d0]
        excess[d0:d1] = _sum_by_day(np.where(kept, err - mu, 0.0), bounds) * used[d0:d1]
        scale[d0:d1] = _sum_by_day(np.where(kept, mu * mu, 0.0), bounds) * used[d0:d1]
    return _blend(*(_trailing_days(x, trailing_days) for x in (excess, scale, used)))


def _blend(excess: np.ndarray, scale: np.ndarray, used_days: np.ndarray) -> np.ndarray:
    """Moment estimate max(0, excess / scale), blended with the prior by days of data."""
    alpha = np.divide(excess, scale, out=np.zeros_like(excess), where=scale > 0)
    np.maximum(alpha, 0.0, out=alpha)
    alpha *= used_days
    alpha += PRIOR_DISPERSION_DAYS * PRIOR_DISPERSION
    alpha /= used_days + PRIOR_DISPERSION_DAYS
    return alpha


def _sum_by_day(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sums of rows [bounds[i], bounds[i + 1]) (0 for empty ranges)."""
    out = np.zeros((bounds.size - 1, values.shape[1]))
    filled = bounds[1:] > bounds[:-1]
    if filled.any():
        out[filled] = np.add.reduceat(values, bounds[:-1][filled], axis=0)
    return out


def _trailing_days(per_day: np.ndarray, n_days: int) -> np.ndarray:
    """out[d] = per_day[d - n_days : d].sum(0)."""
    total = np.zeros((per_day.shape[0] + 1, per_day.shape[1]))
    np.cumsum(per_day, axis=0, out=total[1:])
    days = np.arange(per_day.shape[0])
    return total[days] - total[np.maximum(days - n_days, 0)]


def outbreak_weights(
    counts: np.ndarray,
    expected: np.ndarray,
    dispersion: dict[int, np.ndarray],
    mature_day: np.ndarray,
    z0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(flat grid indices, weights < 1) of past outbreaks: the weight of a slot is the min
    over window lengths of (z0 / z)^2 for windows whose standardised Anscombe residual z
    exceeds z0 (Noufaily et al. 2013).

    Windows are tested at every length so that a one-hour spike at high volume and a
    three-day surge of a few tickets a day are both caught. Only mature predictions are
    judged: during warm-up a large residual means an unlearnt pattern, not an outbreak."""
    slots, weights = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    for length, alpha in dispersion.items():
        windows = _Windows.of(counts, length)
        observed, mean = windows.sums(counts), windows.sums(expected)
        alpha_w = alpha[windows.day(np.arange(windows.count), last=True)]
        # Pearson >= Anscombe above the mean, so the Pearson screen keeps every candidate.
        rows, cols = nonzero_2d(exceeds(observed, mean, alpha_w, z0))
        mature = windows.day(rows, last=False) >= mature_day[cols]
        rows, cols = rows[mature], cols[mature]
        y, mu = observed[rows, cols], mean[rows, cols]
        z = 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / mu ** (1 / 6)
        z /= np.sqrt(1.0 + alpha_w[rows, cols] * mu)
        rows, cols, z = rows[z > z0], cols[z > z0], z[z > z0]
        window_slots = rows[:, None] * length + np.arange(length)
        slots.append(window_slots.ravel() * counts.shape[2] + np.repeat(cols, length))
        weights.append(np.repeat((z0 / z) ** 2, length))
    index, weight = np.concatenate(slots), np.concatenate(weights)
    order = np.lexsort((weight, index))  # per index, smallest weight first
    index, weight = index[order], weight[order]
    first = np.ones(index.size, dtype=bool)
    first[1:] = index[1:] != index[:-1]
    return index[first], weight[first]


def shrink(
    counts: np.ndarray, expected: np.ndarray, index: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Counts with the weighted slots pulled toward the fit: y' = mu + w (y - mu)."""
    cleaned = counts.copy()
    flat, mu = cleaned.reshape(-1), expected.reshape(-1)[index]
    flat[index] = mu + weight * (flat[index] - mu)
    return cleaned
