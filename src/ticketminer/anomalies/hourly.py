"""The hourly grid that detectors run on, in the tenant's local time.

Detectors see plain (series, hour) matrices; this module is where wall-clock time
becomes step indices and back, so DST and time zones are handled in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ticketminer.domain.timeutil import from_us

HOUR_US = 3_600 * 1_000_000
DAY_US = 24 * HOUR_US


@dataclass(frozen=True, slots=True)
class HourGrid:
    start_us: int  # UTC microseconds, on an hour
    n_steps: int
    time_zone: str = "UTC"

    @property
    def end_us(self) -> int:
        return self.start_us + self.n_steps * HOUR_US

    def step_of(self, us: np.ndarray) -> np.ndarray:
        """Step of each instant; -1 outside the grid."""
        steps = (np.asarray(us, dtype=np.int64) - self.start_us) // HOUR_US
        return np.where((steps >= 0) & (steps < self.n_steps), steps, -1)

    def time_of(self, step: int) -> datetime:
        return from_us(self.start_us + int(step) * HOUR_US)

    def us_of(self, step: int) -> int:
        return self.start_us + int(step) * HOUR_US

    def hour_of_week(self) -> np.ndarray:
        """Monday 00h = 0, in local time, per step."""
        zone = ZoneInfo(self.time_zone)
        out = np.empty(self.n_steps, dtype=np.int64)
        for i in range(self.n_steps):
            local = self.time_of(i).astimezone(zone)
            out[i] = local.weekday() * 24 + local.hour
        return out


def grid_for(first_us: int, end_us: int, max_days: int, time_zone: str = "UTC") -> HourGrid:
    """Whole hours covering [first_us, end_us), at most `max_days` back from the end."""
    start = max(first_us, end_us - max_days * DAY_US)
    start -= start % HOUR_US
    n_steps = max(1, -(-(end_us - start) // HOUR_US))
    return HourGrid(start, int(n_steps), time_zone)


def count_matrix(
    series: np.ndarray,
    steps: np.ndarray,
    n_series: int,
    n_steps: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Counts (or weight sums) per (series, step); rows with a negative index drop out.

    Dropped rows go to one extra cell past the end, cut off after counting: cheaper than
    compacting the index and weight columns first."""
    size = n_series * n_steps
    cells = series.astype(np.int64)
    cells *= n_steps
    cells += steps
    cells[(series < 0) | (steps < 0)] = size
    counts = np.bincount(cells, weights=weights, minlength=size + 1)
    return counts[:size].reshape(n_series, n_steps)


def nonzero_2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.nonzero of a 2-D mask, same order, through the flat indices: np.nonzero walks a
    2-D array several times slower, and the detectors call it on every block."""
    if mask.ndim != 2 or mask.shape[1] == 0:
        return np.nonzero(mask)
    return np.divmod(np.flatnonzero(mask), mask.shape[1])
