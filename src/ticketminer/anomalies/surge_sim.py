"""Synthetic hourly ticket volumes for testing and benchmarking the surge detector.

Realistic enough to be a fair test: business-hours peaks, quiet nights, a Monday peak,
flatter weekends (a weekday x hour interaction), and day-to-day gamma noise on top of
Poisson counts (so counts are overdispersed like real ticket volumes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HOURS_PER_WEEK = 168
# Relative volume per hour of a weekday and of a weekend day (nights low, 9-17 busy).
_WEEKDAY_HOURS = np.array(
    [0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.6, 2.0, 2.1, 2.0,
     1.8, 1.9, 2.0, 1.9, 1.7, 1.4, 1.1, 0.9, 0.7, 0.5, 0.35, 0.2]
)  # fmt: skip
_WEEKEND_HOURS = np.array(
    [0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 1.0, 1.2, 1.4, 1.5,
     1.5, 1.5, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.6, 0.4]
)  # fmt: skip
_DAYS = np.array([1.5, 1.2, 1.1, 1.0, 0.9, 0.5, 0.4])  # Monday first


@dataclass(frozen=True, slots=True)
class Surge:
    series: int
    start: int  # step
    end: int  # exclusive step
    factor: float


def weekly_profile(monday_factor: float = 1.5) -> np.ndarray:
    """Relative rate per hour of week, mean 1."""
    days = _DAYS.copy()
    days[0] = monday_factor
    hours = np.stack([_WEEKDAY_HOURS] * 5 + [_WEEKEND_HOURS] * 2)
    hours /= hours.mean(axis=1, keepdims=True)
    profile = (days[:, None] * hours).ravel()
    return profile / profile.mean()


def simulate_counts(
    per_day: Sequence[float] | np.ndarray,
    n_days: int,
    *,
    seed: int,
    surges: Sequence[Surge] = (),
    day_cv: float = 0.15,
    monday_factor: float = 1.5,
    start_hour_of_week: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counts (n_series, n_steps) int64, hour_of_week (n_steps,), mean (n_series, n_steps)).

    per_day: average tickets per day of each series. day_cv: coefficient of variation of a
    per-series, per-day gamma multiplier."""
    rng = np.random.default_rng(seed)
    base = np.asarray(per_day, dtype=float)[:, None]
    n_steps = n_days * 24
    how = (start_hour_of_week + np.arange(n_steps)) % HOURS_PER_WEEK
    mean = base / 24.0 * weekly_profile(monday_factor)[how][None, :]
    if day_cv > 0:
        shape = 1.0 / day_cv**2
        day_noise = rng.gamma(shape, 1.0 / shape, size=(base.shape[0], n_days))
        mean = mean * np.repeat(day_noise, 24, axis=1)
    for s in surges:
        mean[s.series, s.start : s.end] *= s.factor
    return rng.poisson(mean), how, mean
