"""The anomaly detectors' fast paths against straightforward references on small random
inputs: they exist for speed only, so they must give the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from ticketminer.anomalies.baseline import exceeds
from ticketminer.anomalies.hourly import nonzero_2d
from ticketminer.anomalies.shift import DurationShiftDetector, ProportionShiftDetector
from ticketminer.anomalies.shift_engine import (
    HOURS_PER_DAY,
    TrailingBaseline,
    occupied_day_sums,
    prefix_sums,
    window_sums,
)
from ticketminer.anomalies.surge_stats import SCREEN_Z, ScanInputs, _screen


def _day_sums_reference(values: np.ndarray) -> np.ndarray:
    days = -(-values.shape[1] // HOURS_PER_DAY)
    return np.stack(
        [values[:, d * HOURS_PER_DAY : (d + 1) * HOURS_PER_DAY].sum(axis=1) for d in range(days)],
        axis=1,
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_occupied_day_sums_match_a_plain_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = rng.poisson(0.7, (45, 5 * HOURS_PER_DAY + 7)).astype(float)  # > one pass of rows
    value = np.where(count > 0, rng.normal(0, 3, count.shape), 0.0)
    hours, squares = occupied_day_sums(value, count)
    occupied = count > 0
    ratio = np.zeros_like(value)
    ratio[occupied] = value[occupied] ** 2 / count[occupied]
    np.testing.assert_allclose(hours, _day_sums_reference(occupied.astype(float)))
    np.testing.assert_allclose(squares, _day_sums_reference(ratio), rtol=1e-12)


def test_trailing_baseline_matches_weighted_sums() -> None:
    rng = np.random.default_rng(2)
    n_series, n_steps, lag, span, weight = 6, 400, 12, 48, 0.1
    cells = [rng.poisson(2.0, (n_series, n_steps)).astype(float) for _ in range(2)]
    baseline = TrailingBaseline(prefix_sums(cells), lag, span, weight)
    alarm = np.zeros((n_series, n_steps), dtype=bool)
    for start in range(0, n_steps, lag):
        stop = min(start + lag, n_steps)
        got = baseline.sums(start, stop)
        factor = np.where(alarm, weight, 1.0)
        for t in range(start, stop):
            lo, hi = max(t - lag - span, 0), max(t - lag, 0)
            want = [(c[:, lo:hi] * factor[:, lo:hi]).sum(axis=1) for c in cells]
            np.testing.assert_allclose(got[:, :, t - start], want, atol=1e-9)
        block = rng.random((n_series, stop - start)) < 0.05
        block[rng.integers(n_series)] = False  # some series never alarm
        alarm[:, start:stop] = block
        rows, steps = np.nonzero(block)
        baseline.settle(start, stop, rows, steps)


def test_exceeds_in_row_passes_matches_one_pass() -> None:
    rng = np.random.default_rng(3)
    shape = (3000, 17)  # several passes, the last one partial
    mean = rng.gamma(1.0, 2.0, shape)
    observed = rng.poisson(mean * rng.choice([1.0, 3.0], shape)).astype(float)
    alpha = rng.gamma(1.0, 0.1, shape)
    for offset in (0.0, 0.5):
        excess = observed - mean - offset
        want = np.abs(excess) * excess > (alpha * mean + 1.0) * mean * 9.0
        np.testing.assert_array_equal(exceeds(observed, mean, alpha, 3.0, offset), want)


def _dense_windows(self, start: int, stop: int, width: int, minimum: float):
    """The reference for `_windows`: every series, no screening."""
    return (
        None,
        window_sums(self._prefix[0], start, stop, width),
        window_sums(self._prefix[1], start, stop, width),
    )


def _assert_same_fit(a, b) -> None:
    for name in ("expected_", "pvalue_", "score_", "alarm_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.events_ == b.events_


@pytest.mark.parametrize("seed", [4, 5])
def test_shift_detectors_screened_windows_match_dense_ones(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    n_series, n_steps = 12, 24 * 40
    rates = rng.choice([0.05, 0.3, 3.0, 12.0], (n_series, 1))  # quiet and busy series
    trials = rng.poisson(rates, (n_series, n_steps)).astype(float)
    p = np.full((n_series, n_steps), 0.3)
    p[2, 500:700] = 0.7
    p[3, 600:] = 0.05
    hits = rng.binomial(trials.astype(int), p).astype(float)
    n = 30_000
    series, step = rng.integers(0, n_series, n), rng.integers(0, n_steps, n)
    values = rng.lognormal(6, 1, n) * np.where((series == 2) & (step > 500), 4.0, 1.0)

    def fits():
        return (
            ProportionShiftDetector(direction="up").fit(hits, trials),
            ProportionShiftDetector(direction="down").fit(hits, trials),
            DurationShiftDetector().fit(values, series, step, n_series, n_steps),
        )

    fast = fits()
    assert any(f.alarm_.any() for f in fast)  # the alarm paths ran
    for f in fast:
        np.testing.assert_array_equal(f.score_, -np.log10(f.pvalue_))
        np.testing.assert_array_equal(f.alarm_, f.pvalue_ < f.alpha)
    monkeypatch.setattr(ProportionShiftDetector, "_windows", _dense_windows)
    monkeypatch.setattr(DurationShiftDetector, "_windows", _dense_windows)
    for got, want in zip(fast, fits(), strict=True):
        _assert_same_fit(got, want)


@pytest.mark.parametrize("shape", [(7, 13), (1, 5), (5, 1), (0, 4), (3, 0)])
def test_nonzero_2d_matches_numpy(shape: tuple[int, int]) -> None:
    mask = np.random.default_rng(6).random(shape) < 0.3
    for got, want in zip(nonzero_2d(mask), np.nonzero(mask), strict=True):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


def test_screen_in_step_passes_matches_whole_history() -> None:
    rng = np.random.default_rng(7)
    n_steps, n_series = 1000, 70  # several passes of the screen
    expected = rng.gamma(1.0, 1.0, (n_steps, n_series))
    counts = rng.poisson(expected * rng.choice([1.0, 4.0], (n_steps, n_series))).astype(float)
    inputs = ScanInputs.build(counts, expected, np.zeros(n_series, dtype=np.int64), 5)
    alpha = rng.gamma(1.0, 0.05, (n_steps, n_series)).astype(np.float32)
    for length in (1, 6, 24, 2000):
        observed = inputs.trailing(inputs.counts_cum, length, np.float32)
        mean = inputs.trailing(inputs.expected_cum, length, np.float32)
        want = exceeds(observed, mean, alpha, SCREEN_Z, offset=0.5)
        np.testing.assert_array_equal(_screen(inputs, length, alpha), want)
