"""Noise model and change tests for root-cause localisation.

A leaf with expected value e varies by v(e) = beta * e + alpha * e^2: beta = 1 is Poisson
(count data), alpha the relative (multiplicative) noise of forecasts and baselines. One
form covers ticket counts (beta = 1, alpha ~ 0) and large float KPIs (beta ~ 0, alpha > 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.optimize import nnls
from scipy.special import betainc, expit, gammainc, gammaincc, xlogy

HALF_NORMAL_MEDIAN = 0.6744897501960817
MIN_LEAVES_PER_BIN = 20
MAX_BINS = 10
# Below this expected count Poisson residuals are too discrete and skewed for a median-based
# scale, and the Poisson term dominates the variance anyway.
MIN_EXPECTED_FOR_DISPERSION = 10.0
MIN_CALIBRATION_COMBOS = 20
# The Poisson deviance is close enough to chi-square(1) from about this expected count.
MIN_EXPECTED_FOR_CALIBRATION = 5.0
TINY = 1e-12


@dataclass(frozen=True, slots=True)
class Noise:
    """v(e) = beta * e + alpha * e^2; `count` selects the Poisson family for the tests."""

    count: bool
    beta: float
    alpha: float

    def variance(self, expected: np.ndarray) -> np.ndarray:
        return self.beta * expected + self.alpha * expected * expected


def is_count_data(observed: np.ndarray) -> bool:
    """Integer observations are counts: their variance is at least Poisson."""
    return bool(np.all(observed == np.round(observed)))


def fit_noise(observed: np.ndarray, expected: np.ndarray, count: bool, side: int) -> Noise:
    """Fit v(e) on the residuals of sign `side`, the side the anomaly is not on.

    A one-directional anomaly leaves the other half of the residuals clean (RiskLoc's
    observation), so the fit does not absorb the anomaly however many leaves it covers.
    Per bin of e, the median |residual| of a half-normal is 0.674 sigma.
    """
    resid = observed - expected
    keep = (expected > 0) & (side * resid > 0)
    if count:
        keep &= expected >= MIN_EXPECTED_FOR_DISPERSION
    if keep.sum() < MIN_LEAVES_PER_BIN and not count:
        keep = (expected > 0) & (resid != 0)
    e_bins, s2_bins = _binned_scale(expected[keep], np.abs(resid[keep]))
    if count:
        return Noise(True, 1.0, _fit_alpha_over_poisson(e_bins, s2_bins))
    if len(e_bins) == 0:
        # Nothing to learn from: 100 % relative noise keeps every test conservative.
        return Noise(False, 0.0, 1.0)
    design = np.column_stack([e_bins / s2_bins, e_bins**2 / s2_bins])
    (beta, alpha), _ = nnls(design, np.ones(len(e_bins)))
    if beta <= 0 and alpha <= 0:
        return Noise(False, 0.0, 1.0)
    return Noise(False, float(beta), float(alpha))


def _binned_scale(e: np.ndarray, abs_resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(median e, robust variance) per quantile bin of e; bins with zero scale dropped."""
    n_bins = min(MAX_BINS, len(e) // MIN_LEAVES_PER_BIN)
    if n_bins == 0:
        n_bins = 1 if len(e) >= 3 else 0
    if n_bins == 0:
        return np.empty(0), np.empty(0)
    order = np.argsort(e, kind="stable")
    e_bins, s2_bins = [], []
    for chunk in np.array_split(order, n_bins):
        scale = np.median(abs_resid[chunk]) / HALF_NORMAL_MEDIAN
        if scale > 0:
            e_bins.append(np.median(e[chunk]))
            s2_bins.append(scale * scale)
    return np.asarray(e_bins, dtype=float), np.asarray(s2_bins, dtype=float)


def _fit_alpha_over_poisson(e_bins: np.ndarray, s2_bins: np.ndarray) -> float:
    """alpha >= 0 minimising the relative error of e + alpha e^2 against the binned variance."""
    if len(e_bins) == 0:
        return 0.0
    x = e_bins**2 / s2_bins
    y = 1.0 - e_bins / s2_bins
    return max(0.0, float(np.dot(x, y) / np.dot(x, x)))


def count_llr(obs: np.ndarray, exp: np.ndarray, phi: np.ndarray, direction: int) -> np.ndarray:
    """Expectation-based Poisson scan statistic (Kulldorff, Neill), divided by the
    combination's dispersion phi (quasi-Poisson); 0 where the change has the wrong sign."""
    exp = np.maximum(exp, TINY)
    llr = 2.0 * (xlogy(obs, obs / exp) - (obs - exp)) / phi
    return np.where(direction * (obs - exp) > 0, llr, 0.0)


def gaussian_llr(b: np.ndarray, c: np.ndarray, direction: int) -> np.ndarray:
    """Gaussian scan statistic of one common factor r = b / c against r = 1, where
    b = sum(o e / v) and c = sum(e^2 / v); 0 where the change has the wrong sign."""
    safe = np.maximum(c, TINY)
    llr = (b - c) ** 2 / safe
    return np.where((c > 0) & (direction * (b - c) > 0), llr, 0.0)


def calibration(clean_llr: np.ndarray, reference: np.ndarray) -> float:
    """Dispersion >= 1: the lower 95 % bound of the mean of clean-side scan statistics over
    their mean under the leaf model. Noise the leaf model misses (a baseline that is a noisy
    count itself, forecast errors shared by leaves) widens every combination alike; the
    lower bound keeps chance from costing power when there is none."""
    if len(clean_llr) < MIN_CALIBRATION_COMBOS:
        return 1.0
    ratio = clean_llr / reference
    bound = ratio.mean() - 1.645 * ratio.std(ddof=1) / np.sqrt(len(ratio))
    return max(1.0, float(bound))


def _one_sided_deviance_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean Poisson deviance given X < E and given X > E, on a log grid of E: discreteness
    keeps them well above 1 at small E."""
    grid = np.geomspace(MIN_EXPECTED_FOR_CALIBRATION, 2000.0, 64)
    below, above = [], []
    for e in grid:
        x = np.arange(0.0, np.ceil(e + 12.0 * np.sqrt(e) + 12.0))
        pmf = stats.poisson.pmf(x, e)
        deviance = 2.0 * (xlogy(x, x / e) - (x - e))
        for side, out in ((x < e, below), (x > e, above)):
            out.append(float((pmf * deviance)[side].sum() / pmf[side].sum()))
    return np.log(grid), np.asarray(below), np.asarray(above)


_DEVIANCE_TABLE = _one_sided_deviance_table()


def poisson_clean_reference(exp: np.ndarray, clean_side: int) -> np.ndarray:
    """Mean deviance of a Poisson count with mean `exp` given it fell on `clean_side`."""
    log_grid, below, above = _DEVIANCE_TABLE
    return np.interp(np.log(exp), log_grid, below if clean_side < 0 else above)


def dispersion(alpha: float, exp: np.ndarray, exp_sq: np.ndarray) -> np.ndarray:
    """Var / mean of a sum of leaves with v(e) = e + alpha e^2."""
    return 1.0 + alpha * exp_sq / np.maximum(exp, TINY)


def count_pvalue(obs: float, exp: float, phi: float, direction: int) -> float:
    """Tail of a negative binomial with the combination's mean and variance (Poisson when
    phi = 1): P(X >= obs) for a surge, P(X <= obs) for a drop."""
    if exp <= 0:
        return 0.0 if direction * obs > 0 else 1.0
    if direction > 0 and obs <= 0:
        return 1.0
    if phi <= 1.0 + 1e-9:
        tail = gammainc(obs, exp) if direction > 0 else gammaincc(obs + 1.0, exp)
    else:
        size, p = exp / (phi - 1.0), 1.0 / phi
        tail = betainc(obs, size, 1.0 - p) if direction > 0 else betainc(size, obs + 1.0, p)
    return float(tail)


def count_contrast_pvalue(
    inside: tuple[float, float], outside: tuple[float, float], phi: float, direction: int
) -> float:
    """One-sided test that the (observed, expected) rate inside differs from the rate
    outside (Kulldorff's two-sample Poisson likelihood ratio, over dispersion phi)."""
    (o_in, e_in), (o_out, e_out) = inside, outside
    e_in, e_out = max(e_in, TINY), max(e_out, TINY)
    if direction * (o_in * e_out - o_out * e_in) <= 0:
        return 1.0
    o, e = o_in + o_out, e_in + e_out
    llr = 2.0 * (xlogy(o_in, o_in / e_in) + xlogy(o_out, o_out / e_out) - xlogy(o, o / e))
    return float(stats.norm.sf(np.sqrt(max(llr, 0.0) / phi)))


def gaussian_contrast_pvalue(
    inside: tuple[float, float], outside: tuple[float, float], phi: float, direction: int
) -> float:
    """One-sided z-test of factor b / c inside against outside (b, c as in gaussian_llr),
    variances inflated by phi."""
    (b_in, c_in), (b_out, c_out) = inside, outside
    if c_in <= 0 or c_out <= 0:
        return 1.0
    z = (b_in / c_in - b_out / c_out) / np.sqrt(phi * (1.0 / c_in + 1.0 / c_out))
    return float(stats.norm.sf(direction * z))


def gaussian_pvalue(llr: float) -> float:
    """One-sided normal tail of the signed root of the Gaussian scan statistic."""
    return float(stats.norm.sf(np.sqrt(llr)))


def changed_posterior(
    count: bool,
    moved: float,
    still: float,
    children: dict[str, np.ndarray],
    phi: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per child: P(its factor is `moved` rather than `still`), even prior, and the expected
    log-likelihood ratio if it did move (how telling the child is); tempered by phi."""
    if count:
        obs, exp = children["o"], children["e"]
        log_ratio = xlogy(obs, moved) - xlogy(obs, still) - (moved - still) * exp
        with np.errstate(invalid="ignore"):
            per_unit = xlogy(moved, moved) - xlogy(moved, still) - moved + still
            # A child with nothing expected tells nothing (0 x inf is not a number).
            information = np.where(exp > 0, exp * per_unit, 0.0)
    else:
        b, c = children["b"], children["c"]
        log_ratio = (moved - still) * (b - 0.5 * (moved + still) * c)
        information = 0.5 * (moved - still) ** 2 * c
    return expit(log_ratio / phi), information / phi
