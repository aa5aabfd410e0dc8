"""Week-over-week movement scores: how surely a number moved, not just how far.

A digest that ranks raw deltas fills up with tiny groups whose FCR swung from 1/2
to 2/2. Each score here is a z statistic of the matching test, so a mover is listed
only when the change is unlikely to be noise at its sample size.
"""

from __future__ import annotations

import math

from ticketminer.domain.digest import SURE_Z
from ticketminer.domain.metrics import CsatStats, Ratio

MIN_Z = SURE_Z  # listed only when |z| is at least this
MIN_RATED = 10  # fewest tickets behind a ratio or a mean in each week


def proportion_z(current: Ratio, previous: Ratio) -> float:
    """Two-proportion z (pooled); 0 when either week has too few tickets."""
    n1, n0 = current.denominator, previous.denominator
    if n1 < MIN_RATED or n0 < MIN_RATED:
        return 0.0
    p = (current.numerator + previous.numerator) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    if se == 0:
        return 0.0
    return (current.numerator / n1 - previous.numerator / n0) / se


def _variance(stats: CsatStats) -> float:
    scores = range(1, 6)
    mean = sum(s * c for s, c in zip(scores, stats.counts, strict=True)) / stats.n
    return sum(c * (s - mean) ** 2 for s, c in zip(scores, stats.counts, strict=True)) / stats.n


def mean_z(current: CsatStats, previous: CsatStats) -> float:
    """Welch z of two CSAT means, with variances from the rating counts."""
    if current.n < MIN_RATED or previous.n < MIN_RATED:
        return 0.0
    se = math.sqrt(_variance(current) / current.n + _variance(previous) / previous.n)
    if se == 0 or current.mean is None or previous.mean is None:
        return 0.0
    return (current.mean - previous.mean) / se


def quantile_shift_z(above: int, n: int, q: float = 0.5) -> float:
    """Binomial z: `above` of this week's `n` values exceed last week's q-quantile.
    With no shift a share 1 - q would; more means the values went up (q = 0.5 is the
    sign test on the median)."""
    if n < MIN_RATED:
        return 0.0
    return (above - (1 - q) * n) / math.sqrt(q * (1 - q) * n)


def count_z(current: int, previous: int) -> float:
    """Equal-rate test of two Poisson counts over equal spans: given their sum, the
    current count is binomial(sum, 1/2) under no change."""
    total = current + previous
    if total < 2 * MIN_RATED:
        return 0.0
    return (current - previous) / math.sqrt(total)
