"""Volume-surge detector on simulated hourly ticket counts (seeded, weekly x daily profile)."""

from __future__ import annotations

import numpy as np
import pytest

from ticketminer.anomalies.surge import SurgeDetector, SurgeEvent
from ticketminer.anomalies.surge_sim import Surge, simulate_counts, weekly_profile

DAY = 24
WEEK = 7 * DAY


def _fit(counts: np.ndarray, how: np.ndarray, **params: object) -> SurgeDetector:
    return SurgeDetector(**params).fit(counts, how)


def _events_overlapping(d: SurgeDetector, surge: Surge) -> list[SurgeEvent]:
    return [
        e
        for e in d.events_
        if e.series == surge.series and e.start < surge.end and e.end > surge.start
    ]


def test_low_count_surge_is_one_event_detected_within_a_day() -> None:
    """6 tickets a day jumping to 42 a day for three days, on eight independent series."""
    start = 50 * DAY + 9  # a Tuesday morning
    surges = [Surge(s, start, start + 3 * DAY, 7.0) for s in range(8)]
    counts, how, _ = simulate_counts([6.0] * 8, 70, seed=1, surges=surges)
    d = _fit(counts, how)
    for surge in surges:
        events = _events_overlapping(d, surge)
        assert len(events) == 1, events
        e = events[0]
        assert e.detected - surge.start <= DAY
        assert abs(e.start - surge.start) <= 12
        assert 3.5 <= e.observed / e.expected <= 12.0
        assert e.end <= surge.end + DAY and not e.ongoing
    assert all(_events_overlapping(d, s) for s in surges)
    assert len(d.events_) == len(surges)  # and nothing else in 70 days


def test_high_count_surge_is_detected_within_hours() -> None:
    """1000 tickets a day, x3 for six hours starting at 0h, 3h, ..., 21h."""
    surges = [Surge(s, 40 * DAY + 3 * s, 40 * DAY + 3 * s + 6, 3.0) for s in range(8)]
    counts, how, _ = simulate_counts([1000.0] * 8, 50, seed=2, surges=surges, day_cv=0.05)
    d = _fit(counts, how)
    delays = []
    for surge in surges:
        (e,) = _events_overlapping(d, surge)
        delays.append(e.detected - surge.start)
        assert e.end - surge.end <= 6
        assert e.observed / e.expected > 2.0
    assert max(delays) <= 3 and np.median(delays) <= 1  # the night ones take longest


def test_weekly_peak_never_alarms() -> None:
    """Mondays twice as busy as the other weekdays, consistently, for 20 weeks."""
    counts, how, _ = simulate_counts([20.0, 200.0, 2000.0], 140, seed=3, monday_factor=2.4)
    d = _fit(counts, how)
    assert d.events_ == []
    monday = how < DAY
    assert (
        d.expected_[:, monday & (np.arange(how.size) > 8 * WEEK)].mean()
        > 1.5 * d.expected_[:, ~monday & (how < 5 * DAY) & (np.arange(how.size) > 8 * WEEK)].mean()
    )


def test_no_incident_false_alarm_rate_meets_target() -> None:
    """Target: at most 1 false alarm per 10 issue-months; 20 series x 90 days is 60."""
    per_day = np.geomspace(1, 3000, 20)
    counts, how, _ = simulate_counts(per_day, 90, seed=4)
    d = _fit(counts, how)
    issue_months = 20 * (90 - 7) / 30
    assert len(d.events_) / issue_months * 10 <= 1.0


def test_past_outbreak_does_not_mask_the_next_one() -> None:
    """A x5 week-long outbreak, then a x3 two-day one ten days later (both in the window)."""
    first = [Surge(s, 40 * DAY, 47 * DAY, 5.0) for s in range(6)]
    second = [Surge(s, 57 * DAY + 8, 59 * DAY + 8, 3.0) for s in range(6)]
    per_day = [30.0, 30.0, 100.0, 100.0, 500.0, 500.0]
    counts, how, _ = simulate_counts(per_day, 65, seed=5, surges=first + second)
    d = _fit(counts, how)
    for surge in second:
        assert _events_overlapping(d, surge), surge
        (e,) = _events_overlapping(d, surge)
        assert e.detected < surge.end
        assert e.observed / e.expected > 2.0
    without_cleaning = _fit(counts, how, outbreak_z=1e9)  # no down-weighting: masked
    assert sum(bool(_events_overlapping(without_cleaning, s)) for s in second) < len(second)


def test_ongoing_event_at_the_end() -> None:
    n_days = 40
    surges = [Surge(0, n_days * DAY - 20, n_days * DAY, 4.0)]
    counts, how, _ = simulate_counts([100.0], n_days, seed=6, surges=surges)
    d = _fit(counts, how)
    (e,) = d.events_
    assert e.ongoing and e.end == counts.shape[1]
    assert d.alarm_[0, -1]


def test_sparse_series_does_not_alarm_on_a_two_ticket_day() -> None:
    """About one ticket a day; every week one day gets an extra ticket."""
    counts, how, _ = simulate_counts([1.0] * 30, 120, seed=7)
    for week in range(2, 17):
        counts[:, week * WEEK + 3 * DAY + 14] += 1
    d = _fit(counts, how)
    assert d.events_ == []


def test_history_shorter_than_the_longest_window_fits() -> None:
    """30 hours of a new tenant against a 72-hour window: no whole window yet, no crash."""
    counts = np.random.default_rng(0).poisson(1.0, (3, 30)).astype(float)
    d = SurgeDetector(windows_hours=(1, 6, 24, 72)).fit(counts, np.arange(30) % 168)
    assert d.events_ == [] and d.expected_.shape == (3, 30)


def test_no_history_no_events_and_floor_expectation() -> None:
    """A brand-new issue (zeros, then tickets in its last days) has no baseline yet."""
    counts, how, _ = simulate_counts([0.0, 50.0], 60, seed=8)
    counts[0, -3 * DAY :] = 5  # 120 tickets a day from nowhere: the emerging-issue rule's case
    d = _fit(counts, how)
    assert all(e.series == 1 for e in d.events_)
    assert d.history_start_[0] == 57 * DAY
    np.testing.assert_allclose(d.expected_[0, : 57 * DAY], 0.1 / 24)
    assert not d.alarm_[0].any()
    empty = _fit(np.zeros((1, 10 * DAY)), how[: 10 * DAY])
    assert empty.events_ == [] and empty.history_start_[0] == 10 * DAY


def test_shapes_dtypes_and_determinism() -> None:
    counts, how, _ = simulate_counts([5.0, 80.0, 900.0], 45, seed=9)
    a, b = _fit(counts, how), _fit(counts.astype(float), how)
    shape = counts.shape
    for name in ("expected_", "pvalue_", "score_", "alarm_"):
        assert getattr(a, name).shape == shape
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.alarm_.dtype == bool and a.expected_.dtype == float
    assert ((a.pvalue_ > 0) & (a.pvalue_ <= 1)).all()
    np.testing.assert_allclose(a.score_, -np.log10(a.pvalue_), atol=1e-9)
    assert a.events_ == b.events_
    assert a.dispersion_.shape == (3, 3)


def test_mid_week_start_and_dst_changes() -> None:
    """Data starting on a Tuesday at 13h, with a skipped hour (DST spring-forward) and,
    later, a repeated one (fall-back): local hours stay aligned, nothing alarms."""
    utc = (37 + np.arange(80 * DAY)) % 168
    local = utc.copy()
    local[20 * DAY + 2 :] = (utc[20 * DAY + 2 :] + 1) % 168  # 02:00 is skipped
    local[60 * DAY + 2 :] = utc[60 * DAY + 2 :]  # 02:00 happens twice
    rng = np.random.default_rng(10)
    counts = rng.poisson(300 / 24 * weekly_profile()[local])[None, :]
    d = _fit(counts, local)
    assert np.isfinite(d.expected_).all() and d.history_start_[0] == 11
    assert d.events_ == []
    later = np.arange(local.size) > 30 * DAY
    peak, night = later & (local % 24 == 10), later & (local % 24 == 3)
    assert d.expected_[0, peak].min() > 3 * d.expected_[0, night].max()


@pytest.mark.parametrize(
    ("counts", "how"),
    [
        (-np.ones((2, 48)), np.arange(48) % 168),
        (np.full((2, 48), np.nan), np.arange(48) % 168),
        (np.ones(48), np.arange(48) % 168),
        (np.ones((2, 48)), np.arange(47)),
        (np.ones((2, 48)), np.arange(48) + 150),
        (np.ones((2, 48)), np.arange(48) + 0.5),
        (np.ones((2, 0)), np.arange(0)),
    ],
)
def test_bad_input_raises(counts: np.ndarray, how: np.ndarray) -> None:
    with pytest.raises(ValueError):
        SurgeDetector().fit(counts, how)


def test_bad_parameters_raise() -> None:
    counts, how = np.ones((1, 48)), np.arange(48)
    for params in (
        {"trailing_days": 3},
        {"windows_hours": ()},
        {"cusum_ratios": (0.5,)},
        {"continue_threshold": 7.0},
    ):
        with pytest.raises(ValueError):
            SurgeDetector(**params).fit(counts, how)
