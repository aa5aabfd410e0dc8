"""Attribute slices a scan watches: pruning, counting, and telling a mix shift (a new
app version taking over) from an incident (tickets added)."""

from __future__ import annotations

import numpy as np

from ticketminer.anomalies.hourly import DAY_US
from ticketminer.anomalies.slices import (
    SliceColumn,
    candidate_slices,
    mix_shift,
    slice_matrix,
)


def _columns(rng: np.random.Generator, n: int) -> list[SliceColumn]:
    carrier = rng.choice(4, size=n, p=[0.5, 0.3, 0.15, 0.05])
    region = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    region[rng.random(n) < 0.1] = -1  # some tickets have no region
    return [
        SliceColumn("carrier", carrier, ("SF", "JD", "EMS", "DHL")),
        SliceColumn("region", region, ("华南", "华北", "海外")),
    ]


def test_slices_are_pruned_by_support_share_and_budget() -> None:
    cols = _columns(np.random.default_rng(1), 3000)
    days = 30.0  # 100 tickets a day
    found = candidate_slices(cols, days, min_per_day=8.0, max_share=0.55)
    labels = {s.label for s in found}
    # DHL (about 5 a day) lacks support; 华南 (about 54 % of tickets) stays under the
    # share cap, SF (about 50 %) too; a pair needs its own support.
    assert "carrier=DHL" not in labels
    assert {"carrier=SF", "carrier=EMS", "region=华南", "region=华北"} <= labels
    assert "carrier=SF, region=华南" in labels
    assert "carrier=EMS, region=海外" not in labels  # about 1.4 a day
    supports = [int(s.rows(cols).sum()) for s in found]
    assert supports == sorted(supports, reverse=True)  # best supported first
    assert len(candidate_slices(cols, days, min_per_day=8.0, max_series=3)) == 3
    assert all(s.rows(cols).sum() >= 8.0 * days for s in found)


def test_slice_matrix_counts_each_slice_per_step() -> None:
    rng = np.random.default_rng(2)
    cols = _columns(rng, 2000)
    steps = rng.integers(-1, 50, 2000)
    found = candidate_slices(cols, 1.0, min_per_day=1.0, max_share=1.0)
    matrix = slice_matrix(found, cols, steps, 50)
    for i, s in enumerate(found):
        rows = s.rows(cols) & (steps >= 0)
        np.testing.assert_array_equal(matrix[i], np.bincount(steps[rows], minlength=50))


def _history(rng: np.random.Generator, days: int = 40):
    """Two app versions, 50 tickets a day; the last 3 days get an extra 40 a day."""
    times = np.sort(rng.integers(0, days * DAY_US, days * 50))
    version = (rng.random(len(times)) < 0.5).astype(np.int64)
    return times, version


def test_a_new_version_taking_over_is_a_mix_shift_not_an_incident() -> None:
    rng = np.random.default_rng(3)
    times, version = _history(rng)
    recent = times >= 37 * DAY_US
    version[recent] = (rng.random(int(recent.sum())) < 0.9).astype(np.int64)  # adoption
    window, trailing, end = (37 * DAY_US, 40 * DAY_US), 28 * DAY_US, 40 * DAY_US
    new = version == 1
    assert mix_shift(new, np.ones(len(times), dtype=bool), times, window, trailing, end)


def test_tickets_added_to_a_slice_are_an_incident() -> None:
    rng = np.random.default_rng(4)
    times, version = _history(rng)
    extra = rng.integers(37 * DAY_US, 40 * DAY_US, 120)
    times = np.concatenate([times, extra])
    version = np.concatenate([version, np.ones(120, dtype=np.int64)])
    window, trailing, end = (37 * DAY_US + 9 * 3600 * 10**6, 38 * DAY_US), 28 * DAY_US, 40 * DAY_US
    new = version == 1
    assert not mix_shift(new, np.ones(len(times), dtype=bool), times, window, trailing, end)
