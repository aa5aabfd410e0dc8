"""The digest's movers survive a multiple-testing correction: a week of 40 issues in
which nothing changed lists (almost) no mover, while a real FCR drop still shows, with
its q-value, in the data and in both renderings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from digest_sample import sample_digest

from ticketminer.digest.html import render_html
from ticketminer.digest.markdown import render_markdown
from ticketminer.digest.movers import FDR, issue_tests, p_values, q_values, significant
from ticketminer.domain.digest import Mover
from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.metrics import CsatStats, DurationStats, MetricSet, Ratio
from ticketminer.metrics.aggregate import EMPTY_METRIC_SET

ISSUES = 40
TICKETS = 100  # solved tickets per issue and week
RATED = 40  # of them, rated
CSAT_SHARES = (0.05, 0.05, 0.1, 0.3, 0.5)  # ratings 1..5, the same both weeks
FCR = 0.8


def _csat(counts: np.ndarray) -> CsatStats:
    n = int(counts.sum())
    mean = float((np.arange(1, 6) * counts).sum() / n)
    return CsatStats(n, mean, float(counts[3:].sum() / n), tuple(int(c) for c in counts))


def _week(rng: np.random.Generator, fcr: float) -> MetricSet:
    return replace(
        EMPTY_METRIC_SET,
        volume=TICKETS,
        solved=TICKETS,
        fcr=Ratio(int(rng.binomial(TICKETS, fcr)), TICKETS),
        first_response_time=DurationStats(TICKETS, p50_seconds=1800.0),
        csat=_csat(rng.multinomial(RATED, CSAT_SHARES)),
    )


def _week_tests(seed: int, fcr_now: dict[int, float] | None = None) -> list[Mover]:
    """Every issue's tests for a week beside the one before; issue i's FCR this week is
    fcr_now[i] (default: unchanged at 80 %). First responses: with no shift, each is
    above last week's median with probability 1/2."""
    rng = np.random.default_rng(seed)
    fcr_now = fcr_now or {}
    tests = []
    for i in range(1, ISSUES + 1):
        before, now = _week(rng, FCR), _week(rng, fcr_now.get(i, FCR))
        above = int(rng.binomial(TICKETS, 0.5))
        flt = TicketFilter(issue_ids=(i,))
        tests += issue_tests(i, f"issue {i}", now, before, above, TICKETS, flt)
    return tests


@pytest.mark.parametrize("seed", range(8))
def test_a_week_with_no_real_change_lists_almost_no_mover(seed: int) -> None:
    tests = _week_tests(seed)
    assert len(tests) == 3 * ISSUES  # every issue x metric has enough tickets
    # Uncorrected, |z| >= 2 would have listed about 120 * 0.046 = 5.5 of them.
    assert len(significant(tests)) <= 1


def test_uncorrected_tests_would_have_listed_chance_movers() -> None:
    """The problem the correction solves, measured on the same weeks."""
    naive = [sum(m.score >= 2 for m in _week_tests(seed)) for seed in range(8)]
    assert sum(naive) / len(naive) >= 3


@pytest.mark.parametrize("seed", range(4))
def test_a_real_fcr_drop_is_still_listed_with_its_q_value(seed: int) -> None:
    tests = _week_tests(seed, {7: 0.3})
    moved = significant(tests)
    drop = [m for m in moved if m.value == "7" and m.metric == "fcr"]
    assert len(drop) == 1
    m = drop[0]
    assert m.improved is False and m.current < 0.45 and m.previous > 0.65
    assert m.q_value is not None and m.q_value <= FDR
    assert m.p_value is not None and m.p_value <= m.q_value
    # The q is BH over all 120 tests of the week, not over the listed ones.
    q = q_values([t.score for t in tests])
    k = next(k for k, t in enumerate(tests) if t.value == "7" and t.metric == "fcr")
    assert m.q_value == pytest.approx(q[k])
    assert len(moved) <= 2  # the drop, and at most one chance mover


def test_q_values_are_benjamini_hochberg() -> None:
    # p of |z| 3, 2 and 0; BH: q_(i) = min over j >= i of p_(j) * m / j.
    p = p_values([3.0, 2.0, 0.0])
    assert p == pytest.approx([0.0026998, 0.0455003, 1.0], abs=1e-6)
    assert q_values([3.0, 2.0, 0.0]) == pytest.approx([p[0] * 3, p[1] * 3 / 2, 1.0])
    assert len(q_values([])) == 0


def test_tests_without_enough_tickets_are_not_in_the_family() -> None:
    few = replace(EMPTY_METRIC_SET, fcr=Ratio(3, 5), csat=_csat(np.array([0, 0, 0, 1, 1])))
    assert issue_tests(1, "x", few, few, 2, 5, TicketFilter()) == []


def test_both_renderings_show_the_q_value() -> None:
    d = sample_digest()
    assert d.movers and all(m.q_value is not None and m.q_value <= FDR for m in d.movers)
    markdown, html = render_markdown(d), render_html(d)
    assert "| n | q |" in markdown
    assert '<th class="num">q</th>' in html or ">q</th>" in html
    for m in d.movers:
        shown = "<0.001" if m.q_value < 0.001 else f"{m.q_value:.3f}"
        assert shown in markdown
        assert shown.replace("<", "&lt;") in html
