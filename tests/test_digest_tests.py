"""The statistics behind the digest's verdicts, worked by hand."""

from __future__ import annotations

import math

import pytest

from ticketminer.digest.kpis import kpis
from ticketminer.digest.movers import count_z, mean_z, proportion_z, quantile_shift_z
from ticketminer.domain.digest import Better, Kpi
from ticketminer.domain.filters import Cohort, TicketFilter
from ticketminer.domain.metrics import CsatStats, Ratio
from ticketminer.metrics.aggregate import EMPTY_METRIC_SET


def test_two_proportions() -> None:
    # 80/100 vs 60/100: pooled p 0.7, se sqrt(0.21 * 0.02) = 0.0648; z = 0.2 / se.
    assert proportion_z(Ratio(80, 100), Ratio(60, 100)) == pytest.approx(3.086, abs=1e-3)
    assert proportion_z(Ratio(60, 100), Ratio(80, 100)) == pytest.approx(-3.086, abs=1e-3)
    assert proportion_z(Ratio(9, 9), Ratio(0, 100)) == 0.0  # too few this week
    assert proportion_z(Ratio(10, 10), Ratio(10, 10)) == 0.0  # no variance


def test_quantile_shift() -> None:
    # Sign test: 70 of 100 above last week's median -> (70 - 50) / sqrt(25) = 4.
    assert quantile_shift_z(70, 100) == pytest.approx(4.0)
    # p90: 19 of 100 above last week's p90 (10 expected) -> 9 / sqrt(9) = 3.
    assert quantile_shift_z(19, 100, 0.9) == pytest.approx(3.0)
    assert quantile_shift_z(3, 5) == 0.0


def test_counts_and_means() -> None:
    assert count_z(150, 100) == pytest.approx(50 / math.sqrt(250))
    assert count_z(12, 5) == 0.0  # fewer than 20 in all
    low = CsatStats(20, 3.0, 0.0, (0, 0, 20, 0, 0))
    high = CsatStats(20, 4.0, 1.0, (0, 0, 0, 20, 0))
    assert mean_z(high, low) == 0.0  # no spread: no test
    spread = CsatStats(20, 3.5, 0.5, (0, 0, 10, 10, 0))  # variance 0.25
    assert mean_z(spread, low) == pytest.approx(0.5 / math.sqrt(0.25 / 20))


def _kpi(current, previous, better=Better.DOWN, score=None) -> Kpi:
    return Kpi("x", current, previous, "seconds", better, 100, TicketFilter(), score)


def test_a_kpi_verdict_needs_a_sure_move() -> None:
    assert _kpi(120, 100, score=2.5).improved is False
    assert _kpi(80, 100, score=2.5).improved is True
    assert _kpi(80, 100, Better.UP, score=2.5).improved is False
    assert _kpi(120, 100, score=1.9).improved is None  # tested, not sure
    assert _kpi(104, 100).improved is None  # untested and under 5 %
    assert _kpi(106, 100).improved is False
    assert _kpi(None, 100).improved is None and _kpi(100, 100, score=9).improved is None
    assert _kpi(200, 100, Better.NEITHER, score=9).improved is None


def test_kpis_carry_their_cohorts_and_tests() -> None:
    found = {k.name: k for k in kpis(EMPTY_METRIC_SET, EMPTY_METRIC_SET, TicketFilter(), {})}
    assert list(found) == [
        "volume",
        "fcr",
        "first_response_p50",
        "first_response_p90",
        "resolution_p50",
        "resolution_p90",
        "reopen_rate",
        "csat",
    ]
    assert found["fcr"].drill_down.cohort == Cohort.SOLVED
    assert found["first_response_p90"].drill_down.cohort == Cohort.RESPONDED
    assert found["csat"].drill_down.cohort == Cohort.RATED
    assert all(k.improved is None for k in found.values())
