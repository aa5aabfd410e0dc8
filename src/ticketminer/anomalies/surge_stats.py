"""Test statistics of the surge detector, as scores = -log10(tail probability).

Two complementary tests on counts against the seasonal baseline, both vectorised over
(time, series):

- a multi-window scan: the sum over each trailing window (e.g. 1 h, 6 h, 24 h) against its
  expected sum under a negative binomial; short windows make big series alarm within the
  hour, long ones find 6 -> 42 tickets a day that no single hour shows;
- a one-sided Poisson CUSUM per design ratio rho on quasi-likelihood-ratio increments, which
  accumulates sustained moderate rises. Its statistic S is a log likelihood ratio, so
  exp(-S) bounds its stationary tail (Kingman) and it is scored on the same scale.

Each test only counts while its window is still rising, so an event ends when the surge ends
rather than when the surge has left the longest window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ticketminer.anomalies.baseline import cumsum_time, exceeds
from ticketminer.anomalies.hourly import nonzero_2d

LN10 = np.log(10.0)
MAX_SCORE = 300.0  # tail probabilities below 1e-300 are all "certain"
# Only windows whose normal-approximation upper tail is below 1e-3 get an exact tail
# probability (others score 0, p = 1): the NB/Poisson right tail is heavier than the normal
# one, so no window that could reach an alarm threshold is skipped.
SCREEN_Z = 3.09
_CELLS_PER_PASS = 65_536  # window cells per pass of the screen (cache-sized)


def upper_tail_score(observed: np.ndarray, mean: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """-log10 P(X >= observed) for X ~ NB(mean, alpha) (Var = mean + alpha mean^2)."""
    k = np.ceil(observed - 1e-9)
    poisson = alpha <= 1e-12
    p = np.ones_like(mean)
    nb = (k > 0) & ~poisson
    size = 1.0 / alpha[nb]
    p[nb] = special.betainc(k[nb], size, mean[nb] / (mean[nb] + size))
    pois = (k > 0) & poisson
    p[pois] = special.gammainc(k[pois], mean[pois])
    return np.minimum(-np.log10(np.maximum(p, 10.0**-MAX_SCORE)), MAX_SCORE)


@dataclass(frozen=True, slots=True)
class ScanInputs:
    counts_cum: np.ndarray  # (n_steps + 1, n_series) prefix sums of the counts
    expected_cum: np.ndarray  # same, of the expectations
    first_valid: np.ndarray  # (n_series,) first step allowed to alarm
    min_count: float

    @classmethod
    def build(
        cls, counts: np.ndarray, expected: np.ndarray, first_valid: np.ndarray, min_count: float
    ) -> ScanInputs:
        return cls(cumsum_time(counts), cumsum_time(expected), first_valid, float(min_count))

    def trailing(
        self, cum: np.ndarray, length: int, dtype: type = np.float64, lo: int = 0, hi: int = -1
    ) -> np.ndarray:
        """Sum over the `length` steps ending at each step (shorter at the start), for the
        steps [lo, hi) (hi -1: to the end)."""
        hi = cum.shape[0] - 1 if hi < 0 else hi
        out = np.empty((hi - lo, cum.shape[1]), dtype=dtype)
        head = min(max(length, lo), hi)  # steps before `length` sum from the start
        out[: head - lo] = cum[lo + 1 : head + 1]
        np.subtract(
            cum[head + 1 : hi + 1], cum[head + 1 - length : hi + 1 - length], out=out[head - lo :]
        )
        return out

    def window_at(
        self, cum: np.ndarray, rows: np.ndarray, cols: np.ndarray, length: int
    ) -> np.ndarray:
        """Exact trailing `length`-step sums at (rows, cols)."""
        return cum[rows + 1, cols] - cum[np.maximum(rows + 1 - length, 0), cols]


def raise_to_scan_score(
    best: np.ndarray, inputs: ScanInputs, length: int, alpha: np.ndarray
) -> None:
    """best = max(best, score of the trailing `length`-step window) at every step.

    alpha: (n_steps, n_series) float32 dispersion. The screen runs in float32 (half the
    memory traffic); candidates are then recomputed exactly. A window counts only while its
    most recent quarter is better explained by the window's own surge ratio R than by the
    baseline (log-likelihood ratio y log R - (R - 1) e > 0), so that a surge that has left
    the last hours does not keep the long windows alarming for a day."""
    rows, cols = nonzero_2d(_screen(inputs, length, alpha))
    y = inputs.window_at(inputs.counts_cum, rows, cols, length)
    keep = (rows >= inputs.first_valid[cols]) & (y >= inputs.min_count)
    rows, cols, y = rows[keep], cols[keep], y[keep]
    mu = inputs.window_at(inputs.expected_cum, rows, cols, length)
    lo = np.maximum(rows + 1 - max(1, length // 4), 0)
    y_recent = inputs.counts_cum[rows + 1, cols] - inputs.counts_cum[lo, cols]
    mu_recent = inputs.expected_cum[rows + 1, cols] - inputs.expected_cum[lo, cols]
    ratio = y / mu
    rising = y_recent * np.log(ratio) > (ratio - 1.0) * mu_recent
    rows, cols = rows[rising], cols[rising]
    score = upper_tail_score(y[rising], mu[rising], alpha[rows, cols].astype(float))
    best[rows, cols] = np.maximum(best[rows, cols], score)


def _screen(inputs: ScanInputs, length: int, alpha: np.ndarray) -> np.ndarray:
    """Mask of the windows that pass the float32 normal screen, a few steps at a time
    (whole-history temporaries cost more in fresh memory than the arithmetic)."""
    n_steps, n_series = alpha.shape
    out = np.empty((n_steps, n_series), dtype=bool)
    step = max(1, _CELLS_PER_PASS // max(n_series, 1))
    for lo in range(0, n_steps, step):
        hi = min(lo + step, n_steps)
        observed = inputs.trailing(inputs.counts_cum, length, np.float32, lo, hi)
        mean = inputs.trailing(inputs.expected_cum, length, np.float32, lo, hi)
        out[lo:hi] = exceeds(observed, mean, alpha[lo:hi], SCREEN_Z, offset=0.5)
    return out


def cusum_statistic(
    counts: np.ndarray,
    expected: np.ndarray,
    inflation: np.ndarray,
    ratio: float,
    first_valid: np.ndarray,
    restart: float,
) -> np.ndarray:
    """Page's CUSUM S_t = max(0, S_{t-1} + x_t) of the Poisson log-likelihood ratio for
    `ratio` x baseline, divided by the variance inflation of a day's sum so that day-level
    noise (a busy day, not a surge) does not accumulate as evidence.

    It restarts from 0 after reaching `restart` (its alarm level): at a few tickets a day
    its negative drift is tiny, so without a restart it would stay above the level for
    weeks after a surge. It detects; the scan windows say whether a surge goes on.
    The recursion loops over steps, each vectorised over series (faster than any
    cumulative closed form here)."""
    x = counts * np.log(ratio)
    x -= (ratio - 1.0) * expected
    x /= inflation
    for s in np.flatnonzero(first_valid > 0):
        x[: first_valid[s], s] = 0.0
    previous = np.zeros(x.shape[1])
    below = np.empty(x.shape[1], dtype=bool)
    for now in x:  # S overwrites the increments row by row; the loop is call-bound
        np.add(previous, now, out=now)
        np.maximum(now, 0.0, out=now)
        np.less(now, restart, out=below)
        np.multiply(now, below, out=previous)  # S >= 0 is finite: x 0 restarts, x 1 keeps
    return x
