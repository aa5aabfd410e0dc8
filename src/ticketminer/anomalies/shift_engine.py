"""Shared machinery of the KPI shift detectors: windowed sums, trailing baselines that
forget alarmed steps, and the grouping of alarm steps into events.

Every statistic is a per-(series, step) cell sum, so windows and baselines are two
lookups into cumulative sums. The baseline at step t covers [t - lag - span, t - lag),
with `lag` the longest test window, so a shift never leaks into its own baseline; alarmed
steps count only a small weight there, so a long outbreak does not become "normal" within
days. That makes the scan sequential, but only in blocks of `lag` steps: a block's
baselines end before the block starts, so each block is one vectorised computation.
"""

from __future__ import annotations

import numpy as np

from ticketminer.anomalies.hourly import nonzero_2d

HOURS_PER_DAY = 24
_ROWS_PER_PASS = 16  # series per pass of the row-chunked helpers (cache-sized)


def prefix_sums(cells: list[np.ndarray]) -> np.ndarray:
    """k (n_series, n_steps) cell sums -> (k, n_series, n_steps + 1) running sums from 0."""
    out = np.empty((len(cells), *cells[0].shape[:-1], cells[0].shape[-1] + 1))
    out[..., 0] = 0.0
    for stat, values in enumerate(cells):
        np.cumsum(values, axis=-1, out=out[stat, ..., 1:])
    return out


def _at(prefix: np.ndarray, first: int, count: int) -> np.ndarray:
    """prefix[..., max(i, 0)] for i in [first, first + count); a view unless first < 0."""
    if first >= 0:
        return prefix[..., first : first + count]
    return prefix[..., np.maximum(np.arange(first, first + count), 0)]


def window_sums(
    prefix: np.ndarray, start: int, stop: int, width: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Sums over the `width` steps ending at each t in [start, stop), i.e. (t - width, t];
    of the series `rows` (second-to-last axis) only if given."""
    hi, lo = prefix[..., start + 1 : stop + 1], _at(prefix, start + 1 - width, stop - start)
    if rows is not None:
        hi, lo = hi[..., rows, :], lo[..., rows, :]
    return hi - lo


def point_sums(prefix: np.ndarray, rows: np.ndarray, steps: np.ndarray, width: int) -> np.ndarray:
    """(k, len(rows)) sums over the `width` steps ending at each (row, step) pair."""
    hi = steps + 1
    return prefix[:, rows, hi] - prefix[:, rows, np.maximum(hi - width, 0)]


def day_sums(cells: np.ndarray) -> np.ndarray:
    """(..., n_steps) hourly sums -> (..., n_days) sums of 24-step days (the last may be short)."""
    return np.add.reduceat(cells, np.arange(0, cells.shape[-1], HOURS_PER_DAY), axis=-1)


def occupied_day_sums(value: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n_series, n_days) per day: the hours with a count, and the sum of value^2 / count
    over them. Works through a few series at a time: whole-matrix temporaries of a year's
    hours cost more in fresh memory than the arithmetic does."""
    hours = np.empty((*value.shape[:-1], -(-value.shape[-1] // HOURS_PER_DAY)))
    squares = np.empty_like(hours)
    for lo in range(0, value.shape[0], _ROWS_PER_PASS):
        rows = slice(lo, lo + _ROWS_PER_PASS)
        occupied = (count[rows] > 0).astype(np.float64)
        hours[rows] = day_sums(occupied)
        # Arithmetic instead of np.where (several times slower): an empty hour adds 0 / 1.
        kept = value[rows] * occupied
        kept *= kept
        kept /= np.maximum(count[rows], 1.0 - occupied)
        squares[rows] = day_sums(kept)
    return hours, squares


def trailing_day_sums(days: np.ndarray, span: int) -> np.ndarray:
    """Sums over the `span` days before each day (the day itself excluded)."""
    prefix = np.zeros((*days.shape[:-1], days.shape[-1] + 1))
    np.cumsum(days, axis=-1, out=prefix[..., 1:])
    hi = np.arange(days.shape[-1])
    return prefix[..., hi] - prefix[..., np.maximum(hi - span, 0)]


class TrailingBaseline:
    """Trailing-window sums of hourly cells in which alarmed steps count `alarm_weight`.

    The weighted running sums are the raw ones minus what alarms removed. Only the series
    that have alarmed keep running sums of the removed part, in a compact array (alarms are
    rare; writing a weighted copy of every series' running sums cost more than the tests,
    and so did first writes into a large zeroed array); the others read the raw sums.
    """

    def __init__(self, prefix: np.ndarray, lag: int, span: int, alarm_weight: float) -> None:
        self.lag, self.span, self.alarm_weight = lag, span, alarm_weight
        self._raw = prefix
        self._rows = np.zeros(0, dtype=np.int64)  # series with alarms so far, ascending
        self._removed = np.zeros((prefix.shape[0], 0, prefix.shape[-1]))  # per row of _rows

    def sums(self, start: int, stop: int) -> np.ndarray:
        """Weighted sums over [t - lag - span, t - lag) for t in [start, stop); they read only
        steps before `start`, which earlier blocks settled."""
        hi, lo, count = start - self.lag, start - self.lag - self.span, stop - start
        out = _at(self._raw, hi, count) - _at(self._raw, lo, count)
        if len(self._rows):
            rows = self._rows

            def weighted(first: int) -> np.ndarray:
                return _at(self._raw, first, count)[:, rows] - _at(self._removed, first, count)

            out[:, rows] = weighted(hi) - weighted(lo)
        return out

    def settle(self, start: int, stop: int, rows: np.ndarray, steps: np.ndarray) -> None:
        """Fix the weighted running sums of [start, stop) once the block's alarms, at
        (series `rows`, step `start + steps`), are known."""
        if len(rows):
            self._track(rows)
        if not len(self._rows):
            return
        removed = self._removed[:, :, start][..., None]
        if len(rows):
            cells = np.diff(self._raw[:, self._rows, start : stop + 1], axis=-1)
            weight = np.zeros(cells.shape[1:])
            weight[np.searchsorted(self._rows, rows), steps] = 1.0 - self.alarm_weight
            cells *= weight
            removed = removed + np.cumsum(cells, axis=-1)
        self._removed[:, :, start + 1 : stop + 1] = removed

    def _track(self, rows: np.ndarray) -> None:
        """Add running sums (zero so far) for series alarming for the first time."""
        merged = np.union1d(self._rows, rows)
        if len(merged) == len(self._rows):
            return
        removed = np.zeros((self._raw.shape[0], len(merged), self._raw.shape[-1]))
        removed[:, np.searchsorted(merged, self._rows)] = self._removed
        self._rows, self._removed = merged, removed


class TrailingDays:
    """Per-day statistics summed over trailing days, days with any alarm left out."""

    def __init__(self, days: np.ndarray, span: int) -> None:
        self.span = span
        self._days = days
        self._kept = np.ones(days.shape[1:], dtype=bool)

    def sums(self, day: int) -> np.ndarray:
        """(k, n_series) sums over the kept days of [day - span, day)."""
        lo = max(day - self.span, 0)
        return (self._days[..., lo:day] * self._kept[:, lo:day]).sum(axis=-1)

    def exclude(self, rows: np.ndarray, steps: np.ndarray) -> None:
        """Leave out the days of alarms at (series `rows`, step `steps`)."""
        self._kept[rows, steps // HOURS_PER_DAY] = False


def alarm_runs(alarm: np.ndarray, max_gap: int) -> list[tuple[int, int, int]]:
    """(series, first, last) of each run of alarm steps, runs closer than `max_gap` merged."""
    series, steps = nonzero_2d(alarm)
    if len(series) == 0:
        return []
    new = np.ones(len(series), dtype=bool)
    new[1:] = (series[1:] != series[:-1]) | (np.diff(steps) > max_gap + 1)
    firsts = np.flatnonzero(new)
    lasts = np.append(firsts[1:], len(series)) - 1
    return [
        (int(series[a]), int(steps[a]), int(steps[b])) for a, b in zip(firsts, lasts, strict=True)
    ]


def _segment_z(excess: np.ndarray, info: np.ndarray) -> np.ndarray:
    """Standardised excess of each segment; segments without information score -inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = excess / np.sqrt(info)
    return np.where(info > 0, z, -np.inf)


def onset(excess: np.ndarray, info: np.ndarray) -> int:
    """Offset of the start s maximising the standardised excess of [s, len) (CUSUM estimate).

    `excess` and `info` are per-step excess over the baseline (in the alarm direction) and
    its variance; ties go to the latest start, so quiet empty hours are not claimed.
    """
    z = _segment_z(np.cumsum(excess[::-1])[::-1], np.cumsum(info[::-1])[::-1])
    return len(z) - 1 - int(np.argmax(z[::-1]))


def finish(excess: np.ndarray, info: np.ndarray, min_length: int) -> int:
    """Length e >= min_length maximising the standardised excess of [0, e); ties go to the
    shortest."""
    z = _segment_z(np.cumsum(excess), np.cumsum(info))
    return min_length + int(np.argmax(z[min_length - 1 :]))
