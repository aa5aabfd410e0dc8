"""Week-over-week movement scores: how surely a number moved, not just how far.

A digest that ranks raw deltas fills up with tiny groups whose FCR swung from 1/2
to 2/2. Each score here is a z statistic of the matching test, so a mover is listed
only when the change is unlikely to be noise at its sample size. A week runs a
hundred or more such tests (every issue x metric, every channel and attribute value),
so |z| >= 2 alone would list about one chance mover in twenty tests; `q_values`
adjusts the p of all of them together (Benjamini-Hochberg) and a mover is listed only
when its q is at most FDR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.stats import false_discovery_control, norm

from ticketminer.domain.digest import Mover
from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.metrics import CsatStats, MetricSet, Ratio

# Expected share of chance movers among those listed. In a week where nothing really
# moved, this is also the chance of listing any mover at all (BH's false-discovery
# rate equals the family-wise error rate when every hypothesis is null).
FDR = 0.05
MIN_RATED = 10  # fewest tickets behind a ratio or a mean in each week


def enough(*counts: int) -> bool:
    """Whether a test has the tickets it needs in each week (else it is not run)."""
    return min(counts) >= MIN_RATED


def p_values(z: Sequence[float]) -> np.ndarray:
    """Two-sided p of each z under the normal approximation."""
    return 2 * norm.sf(np.abs(np.asarray(z, dtype=np.float64)))


def q_values(z: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg q of each test, over all of them: the family is every test
    the caller ran, so pass them in one call (tests not run are left out)."""
    p = p_values(z)
    return false_discovery_control(p) if len(p) else p


def significant(candidates: Sequence[Mover]) -> list[Mover]:
    """The candidates (one per test run this week, score = |z|) whose BH q over all of
    them is at most FDR, with their p and q filled in; most surely moved first."""
    p = p_values([m.score for m in candidates])
    q = q_values([m.score for m in candidates])
    kept = [
        replace(m, p_value=float(p[k]), q_value=float(q[k]))
        for k, m in enumerate(candidates)
        if q[k] <= FDR
    ]
    return sorted(kept, key=lambda m: (m.q_value, -m.score, m.dimension, m.value, m.metric))


def issue_tests(
    issue_id: int,
    label: str,
    cur: MetricSet,
    prev: MetricSet,
    above: int,
    responded: int,
    drill_down: TicketFilter,
) -> list[Mover]:
    """The issue's FCR, first-response and CSAT tests that have enough tickets, as
    candidate movers. `above` of this week's `responded` first responses exceed last
    week's median."""
    out = []
    frt, prev_frt = cur.first_response_time, prev.first_response_time
    candidates = (
        ("fcr", enough(cur.fcr.denominator, prev.fcr.denominator),
         proportion_z(cur.fcr, prev.fcr), cur.fcr.value, prev.fcr.value,
         cur.fcr.denominator, prev.fcr.denominator, 1),
        ("first_response_p50", enough(prev_frt.n, responded),
         quantile_shift_z(above, responded), frt.p50_seconds, prev_frt.p50_seconds,
         frt.n, prev_frt.n, -1),
        ("csat", enough(cur.csat.n, prev.csat.n), mean_z(cur.csat, prev.csat),
         cur.csat.mean, prev.csat.mean, cur.csat.n, prev.csat.n, 1),
    )  # fmt: skip
    for metric, tested, z, now, before, n, pn, sign in candidates:
        if tested:
            out.append(
                Mover("issue", str(issue_id), label, metric, now, before, n, pn, abs(z),
                      z * sign > 0, drill_down)
            )  # fmt: skip
    return out


def proportion_z(current: Ratio, previous: Ratio) -> float:
    """Two-proportion z (pooled); 0 when either week has too few tickets."""
    n1, n0 = current.denominator, previous.denominator
    if not enough(n1, n0):
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
    if not enough(current.n, previous.n):
        return 0.0
    se = math.sqrt(_variance(current) / current.n + _variance(previous) / previous.n)
    if se == 0 or current.mean is None or previous.mean is None:
        return 0.0
    return (current.mean - previous.mean) / se


def quantile_shift_z(above: int, n: int, q: float = 0.5) -> float:
    """Binomial z: `above` of this week's `n` values exceed last week's q-quantile.
    With no shift a share 1 - q would; more means the values went up (q = 0.5 is the
    sign test on the median)."""
    if not enough(n):
        return 0.0
    return (above - (1 - q) * n) / math.sqrt(q * (1 - q) * n)


def count_z(current: int, previous: int) -> float:
    """Equal-rate test of two Poisson counts over equal spans: given their sum, the
    current count is binomial(sum, 1/2) under no change."""
    total = current + previous
    if not enough_counts(current, previous):
        return 0.0
    return (current - previous) / math.sqrt(total)


def enough_counts(current: int, previous: int) -> bool:
    """Whether two volumes are large enough for count_z."""
    return current + previous >= 2 * MIN_RATED
