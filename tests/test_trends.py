"""Volume trends: week over week, the 4-week slope and the share, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ticketminer.metrics.trends import DAY_US, daily_counts, tenant_volume_7d, volume_trends

END = 1_000 * DAY_US


def _tickets(per_day: list[int], group: int) -> tuple[np.ndarray, np.ndarray]:
    """`per_day[i]` tickets on day i of the 28 days before END (oldest first)."""
    created = [
        END - (len(per_day) - i) * DAY_US + k for i, n in enumerate(per_day) for k in range(n)
    ]
    return np.array(created, dtype=np.int64), np.full(len(created), group, dtype=np.int64)


def test_flat_series_has_zero_slope_and_no_change() -> None:
    created, groups = _tickets([5] * 28, 0)
    (trend,) = volume_trends(created, groups, 1, END, tenant_7d=35)
    assert (trend.last_7d, trend.previous_7d, trend.last_28d) == (35, 35, 140)
    assert trend.change == 0.0
    assert trend.slope_4w == pytest.approx(0.0)
    assert trend.share_7d == 1.0


def test_linear_growth_slope_is_per_week() -> None:
    created, groups = _tickets(list(range(28)), 1)  # one more ticket each day
    trends = volume_trends(created, groups, 2, END, tenant_7d=1000)
    assert trends[0].last_28d == 0
    grow = trends[1]
    assert grow.slope_4w == pytest.approx(7.0)  # +1/day each day = +7/day per week
    assert grow.last_7d == sum(range(21, 28))
    assert grow.previous_7d == sum(range(14, 21))
    assert grow.change == pytest.approx((grow.last_7d - grow.previous_7d) / grow.previous_7d)
    assert grow.share_7d == pytest.approx(grow.last_7d / 1000)


def test_tickets_outside_the_28_days_or_after_the_end_are_ignored() -> None:
    created = np.array([END - 29 * DAY_US, END, END + 5, END - 1], dtype=np.int64)
    counts = daily_counts(created, np.zeros(4, dtype=np.int64), 1, END)
    assert counts.sum() == 1 and counts[0, -1] == 1
    assert tenant_volume_7d(created, END) == 1


def test_no_previous_week_means_no_change() -> None:
    created, groups = _tickets([0] * 21 + [3] * 7, 0)
    (trend,) = volume_trends(created, groups, 1, END, tenant_7d=0)
    assert trend.change is None and trend.share_7d == 0.0
