"""Both ways of computing per-cell duration stats give the same numbers, so the
choice between them (by cell size) never changes an answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketminer.metrics.aggregate import _durations_by_loop, _durations_by_sort

values = st.one_of(st.floats(0, 1e7, allow_nan=False), st.just(float("nan")), st.integers(0, 5))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), values), max_size=80), st.integers(1, 8))
def test_sort_and_loop_agree(rows, extra_cells) -> None:
    n_cells = max((c for c, _ in rows), default=0) + extra_cells
    rows.sort(key=lambda r: r[0])  # grouped by cell, as metric_sets passes them
    grouped = np.array([v for _, v in rows], dtype=float)
    counts = np.bincount([c for c, _ in rows], minlength=n_cells) if rows else np.zeros(n_cells)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    for a, b in zip(
        _durations_by_loop(grouped, bounds), _durations_by_sort(grouped, bounds), strict=True
    ):
        assert (a.n, a.p50_seconds, a.p90_seconds) == (b.n, b.p50_seconds, b.p90_seconds)
        if a.mean_seconds is None:
            assert b.mean_seconds is None
        else:
            assert b.mean_seconds == pytest.approx(a.mean_seconds, rel=1e-12, abs=1e-9)
