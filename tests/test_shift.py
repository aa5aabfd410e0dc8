"""KPI shift detectors on seeded simulations: real shifts are caught fast and as one event,
noise (low volume, overdispersion, hour-of-week effects) stays under the false-alarm target
of one per ten issue-months."""

from __future__ import annotations

import numpy as np
import pytest

from ticketminer.anomalies.shift import (
    DurationShiftDetector,
    ProportionShiftDetector,
    ShiftEvent,
)
from ticketminer.anomalies.shift_engine import alarm_runs, window_sums

DAY = 24
WEEK = 168
ISSUE_MONTH_DAYS = 30


def _trials(rng: np.random.Generator, n_series: int, days: int, per_day: float) -> np.ndarray:
    """Hourly ticket counts with a daytime peak, `per_day` on average."""
    hour = np.arange(days * DAY) % DAY
    shape = 0.4 + 0.6 * np.exp(-(((hour - 13) / 4.0) ** 2))
    return rng.poisson(per_day * shape / shape[:DAY].sum(), size=(n_series, days * DAY))


def _rates(
    rng: np.random.Generator, n_series: int, days: int, rate: float, concentration: float
) -> np.ndarray:
    """(n_series, n_steps) hourly success probabilities: each day drawn from a beta around
    `rate`, so the data are overdispersed the way real KPIs are."""
    daily = rng.beta(rate * concentration, (1 - rate) * concentration, size=(n_series, days))
    return np.repeat(daily, DAY, axis=1)


def _rate_series(
    per_day: float,
    rate: float,
    shifted: float,
    onset: int,
    end: int,
    *,
    seed: int,
    n_series: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Binomial successes with the rate `shifted` over steps [onset, end) of 60 days."""
    rng = np.random.default_rng(seed)
    trials = _trials(rng, n_series, 60, per_day)
    p = np.full(trials.shape, rate)
    p[:, onset:end] = shifted
    return rng.binomial(trials, p), trials


def _tickets_of(trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(series, step) of every ticket behind (n_series, n_steps) hourly counts."""
    series, step = np.nonzero(trials)
    counts = trials[series, step]
    return np.repeat(series, counts), np.repeat(step, counts)


def _frt_tickets(
    n_series: int,
    days: int,
    per_day: float,
    *,
    seed: int,
    factor: float = 1.0,
    shift: tuple[int, int] = (0, 0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-ticket first response times: log-normal around a per-series median, slower at
    night (x3) and at weekends (x2), with hour-level (queue) and day-level noise, multiplied
    by `factor` over steps [shift[0], shift[1]). Returns values, series, step, hour_of_week."""
    rng = np.random.default_rng(seed)
    trials = _trials(rng, n_series, days, per_day)
    n_steps = days * DAY
    hour_of_week = np.arange(n_steps) % WEEK
    hour, weekday = hour_of_week % DAY, hour_of_week // DAY
    season = np.log(3) * ((hour < 7) | (hour >= 22)) + np.log(2) * (weekday >= 5)
    level = (
        np.log(rng.uniform(1800, 4 * 3600, n_series))[:, None]
        + season
        + rng.normal(0, 0.25, (n_series, n_steps))
        + np.repeat(rng.normal(0, 0.1, (n_series, days)), DAY, axis=1)
    )
    level[:, shift[0] : shift[1]] += np.log(factor)
    series, step = _tickets_of(trials)
    values = np.exp(level[series, step] + rng.normal(0, 1.0, len(series)))
    return values, series, step, hour_of_week


def _events_of(events: list[ShiftEvent], series: int) -> list[ShiftEvent]:
    return [event for event in events if event.series == series]


def _false_alarms_per_ten_issue_months(events: list[ShiftEvent], n_series: int, days: int) -> float:
    return 10 * len(events) / (n_series * days / ISSUE_MONTH_DAYS)


ONSET = 40 * DAY + 9  # 09:00 on day 40


def test_fcr_drop_is_caught_within_a_day_as_one_event():
    successes, trials = _rate_series(100, 0.65, 0.35, ONSET, ONSET + 5 * DAY, seed=1)
    detector = ProportionShiftDetector(direction="down").fit(successes, trials)
    delays = []
    for series in range(len(trials)):
        (event,) = _events_of(detector.events_, series)
        delays.append(event.detected - ONSET)
        assert abs(event.start - ONSET) <= 12
        assert abs(event.end - (ONSET + 5 * DAY)) <= DAY
        assert not event.ongoing
        assert event.observed == pytest.approx(0.35, abs=0.06)
        assert event.expected == pytest.approx(0.65, abs=0.04)
        assert event.n > 300
        assert event.pvalue < detector.alpha
        assert event.score == pytest.approx(-np.log10(event.pvalue))
    # At 100 a day the first day's sample rate varies by +-5 points: about one series in
    # twenty needs a few more hours (median delay ~10 h over 100 simulated series).
    assert min(delays) >= 0 and np.median(delays) <= 12
    assert sum(delay <= DAY for delay in delays) >= 9 and max(delays) <= 36


def test_negative_share_jump_is_caught_within_hours():
    successes, trials = _rate_series(200, 0.02, 0.37, ONSET, ONSET + 2 * DAY, seed=2)
    detector = ProportionShiftDetector(direction="up").fit(successes, trials)
    delays = []
    for series in range(len(trials)):
        (event,) = _events_of(detector.events_, series)
        delays.append(event.detected - ONSET)
        assert event.observed == pytest.approx(0.37, abs=0.07)
    assert max(delays) <= 6
    assert min(delays) >= 0


def test_frt_tripling_is_caught_on_fifty_tickets_a_day():
    shift = (ONSET, ONSET + 3 * DAY)
    values, series, step, hour_of_week = _frt_tickets(10, 60, 50, seed=3, factor=3.0, shift=shift)
    detector = DurationShiftDetector().fit(
        values, series, step, 10, 60 * DAY, hour_of_week=hour_of_week
    )
    delays = []
    for issue in range(10):
        (event,) = _events_of(detector.events_, issue)
        delays.append(event.detected - ONSET)
        assert abs(event.start - ONSET) <= 12
        assert abs(event.end - shift[1]) <= 12
        assert 2.0 <= event.observed / event.expected <= 4.5
    assert min(delays) >= 0 and np.median(delays) <= 12 and max(delays) <= 36


def test_csat_mean_drop_on_linear_scale():
    rng = np.random.default_rng(4)
    series, step = _tickets_of(_trials(rng, 5, 60, 40))
    drop = (step >= ONSET) & (step < ONSET + 3 * DAY)
    csat = np.clip(np.round(rng.normal(np.where(drop, 3.2, 4.4), 0.8)), 1, 5)
    detector = DurationShiftDetector(direction="down", log_scale=False, min_effect=0.5)
    detector.fit(csat, series, step, 5, 60 * DAY)
    for issue in range(5):
        (event,) = _events_of(detector.events_, issue)
        assert 0 <= event.detected - ONSET <= DAY
        assert event.observed < event.expected - 0.8


@pytest.mark.parametrize(
    ("per_day", "rate", "direction"),
    [(5, 0.02, "up"), (30, 0.1, "up"), (100, 0.65, "down"), (500, 0.3, "down"), (500, 0.02, "up")],
)
def test_no_shift_rates_stay_under_one_false_alarm_per_ten_issue_months(per_day, rate, direction):
    rng = np.random.default_rng(per_day)
    trials = _trials(rng, 30, 90, per_day)
    successes = rng.binomial(trials, _rates(rng, 30, 90, rate, concentration=500))
    detector = ProportionShiftDetector(direction=direction).fit(successes, trials)
    assert _false_alarms_per_ten_issue_months(detector.events_, 30, 90) <= 1.0


@pytest.mark.parametrize("per_day", [5, 50, 500])
def test_no_shift_frt_with_weekly_seasonality_stays_under_target(per_day):
    values, series, step, hour_of_week = _frt_tickets(30, 90, per_day, seed=per_day)
    detector = DurationShiftDetector().fit(
        values, series, step, 30, 90 * DAY, hour_of_week=hour_of_week
    )
    assert _false_alarms_per_ten_issue_months(detector.events_, 30, 90) <= 1.0


def test_small_issue_with_one_bad_day_does_not_alarm():
    """Bad days that 5 tickets a day produce by chance every year or so: none resolved
    first contact, two negatives where 2 % is normal, every response twice as slow."""
    rng = np.random.default_rng(5)
    trials = _trials(rng, 20, 60, 5)
    bad_day = slice(ONSET - 9, ONSET + 15)
    resolved = rng.binomial(trials, 0.65)
    resolved[:, bad_day] = 0
    assert not ProportionShiftDetector(direction="down").fit(resolved, trials).alarm_.any()

    negative = rng.binomial(trials, 0.02)
    negative[:, bad_day] = 0
    negative[:, ONSET] = np.minimum(trials[:, ONSET], 2)
    negative[:, ONSET + 3] = np.minimum(trials[:, ONSET + 3], 2 - negative[:, ONSET])
    assert not ProportionShiftDetector().fit(negative, trials).alarm_.any()

    values, series, step, hour_of_week = _frt_tickets(20, 60, 5, seed=6)
    values[(step >= bad_day.start) & (step < bad_day.stop)] *= 2
    detector = DurationShiftDetector().fit(values, series, step, 20, 60 * DAY, hour_of_week)
    assert not detector.alarm_.any()


def test_tiny_shift_on_huge_volume_is_not_material():
    successes, trials = _rate_series(3000, 0.65, 0.61, ONSET, ONSET + 10 * DAY, seed=7)
    assert ProportionShiftDetector(direction="down").fit(successes, trials).events_ == []


def test_shift_lasting_to_the_end_is_one_ongoing_event():
    successes, trials = _rate_series(100, 0.65, 0.35, 30 * DAY, 60 * DAY, seed=8, n_series=5)
    detector = ProportionShiftDetector(direction="down").fit(successes, trials)
    for series in range(5):
        (event,) = _events_of(detector.events_, series)
        assert event.ongoing
        assert event.end == trials.shape[1]
        assert event.observed == pytest.approx(0.35, abs=0.03)


def test_missing_values_are_ignored():
    values, series, step, hour_of_week = _frt_tickets(5, 40, 50, seed=9, factor=3, shift=(700, 760))
    missing = np.random.default_rng(10).random(len(values)) < 0.2
    gappy = np.where(missing, np.nan, values)
    kept = ~missing
    args = (5, 40 * DAY, hour_of_week)
    with_nan = DurationShiftDetector().fit(gappy, series, step, *args)
    without = DurationShiftDetector().fit(values[kept], series[kept], step[kept], *args)
    np.testing.assert_allclose(with_nan.pvalue_, without.pvalue_)
    np.testing.assert_allclose(with_nan.expected_, without.expected_)
    assert with_nan.events_ == without.events_
    assert len(with_nan.events_) >= 1


def test_learned_arrays_are_consistent():
    successes, trials = _rate_series(100, 0.65, 0.35, ONSET, ONSET + DAY, seed=11, n_series=3)
    detector = ProportionShiftDetector(direction="down").fit(successes, trials)
    for array in (detector.expected_, detector.pvalue_, detector.score_, detector.alarm_):
        assert array.shape == trials.shape
    assert np.isnan(detector.expected_[:, : 14 * DAY]).all()  # 7-day lag + 7 days of history
    assert ((detector.pvalue_ > 0) & (detector.pvalue_ <= 1)).all()
    np.testing.assert_allclose(detector.score_, -np.log10(detector.pvalue_))
    np.testing.assert_array_equal(detector.alarm_, detector.pvalue_ < detector.alpha)


def test_fit_is_deterministic():
    values, series, step, hour_of_week = _frt_tickets(
        5, 40, 50, seed=12, factor=3, shift=(700, 760)
    )
    first = DurationShiftDetector().fit(values, series, step, 5, 40 * DAY, hour_of_week)
    second = DurationShiftDetector().fit(values, series, step, 5, 40 * DAY, hour_of_week)
    np.testing.assert_array_equal(first.pvalue_, second.pvalue_)
    assert first.events_ == second.events_


@pytest.mark.parametrize(
    ("successes", "trials"),
    [
        (np.zeros((2, 5)), np.zeros((2, 6))),
        (np.zeros(5), np.zeros(5)),
        (np.full((2, 5), 2.0), np.ones((2, 5))),
        (np.full((2, 5), -1.0), np.ones((2, 5))),
        (np.zeros((2, 5)), np.full((2, 5), np.inf)),
    ],
)
def test_proportion_bad_input_raises(successes, trials):
    with pytest.raises(ValueError):
        ProportionShiftDetector().fit(successes, trials)


_TICKETS = (np.ones(3), np.zeros(3, dtype=int), np.arange(3))


@pytest.mark.parametrize(
    ("values", "series", "step", "hour_of_week"),
    [
        (np.ones(4), *_TICKETS[1:], None),
        (np.ones((3, 1)), *_TICKETS[1:], None),
        (np.ones(3), np.array([0, 0, 2]), _TICKETS[2], None),
        (np.ones(3), _TICKETS[1], np.array([0, 1, 10]), None),
        (np.ones(3), _TICKETS[1], np.array([0.0, 1.0, 2.0]), None),
        (np.array([1.0, -1.0, 1.0]), *_TICKETS[1:], None),
        (np.array([1.0, np.inf, 1.0]), *_TICKETS[1:], None),
        (*_TICKETS, np.zeros(9, dtype=int)),
        (*_TICKETS, np.full(10, 168)),
    ],
)
def test_duration_bad_input_raises(values, series, step, hour_of_week):
    with pytest.raises(ValueError):
        DurationShiftDetector().fit(values, series, step, 2, 10, hour_of_week)


@pytest.mark.parametrize(
    "kwargs",
    [{"direction": "sideways"}, {"windows": ()}, {"alpha": 0.0}, {"min_history_days": 40}],
)
def test_bad_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        ProportionShiftDetector(**kwargs)
    with pytest.raises(ValueError):
        DurationShiftDetector(**kwargs)


def test_alarm_runs_merge_short_gaps_only():
    alarm = np.zeros((2, 30), dtype=bool)
    alarm[0, [3, 4, 6, 20]] = True
    alarm[1, [0, 29]] = True
    assert alarm_runs(alarm, max_gap=2) == [(0, 3, 6), (0, 20, 20), (1, 0, 0), (1, 29, 29)]


def test_window_sums_cover_the_trailing_steps():
    prefix = np.concatenate([[0.0], np.cumsum(np.arange(1.0, 11.0))])
    np.testing.assert_array_equal(window_sums(prefix, 0, 4, 3), [1, 3, 6, 9])
