"""The small pure pieces of anomaly detection: the hourly grid, the emerging-issue
rule, incident matching (one incident, one anomaly), severity and term lift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketminer.anomalies.emerging import EmergingDetector
from ticketminer.anomalies.hourly import HOUR_US, count_matrix, grid_for
from ticketminer.anomalies.lifecycle import next_status, reconcile, severity
from ticketminer.anomalies.shift import DurationShiftDetector, ProportionShiftDetector
from ticketminer.anomalies.surge import SurgeDetector
from ticketminer.anomalies.terms import term_lifts
from ticketminer.domain.anomalies import (
    FCR,
    VOLUME,
    Anomaly,
    AnomalyKind,
    AnomalyStatus,
    Detection,
    Severity,
)
from ticketminer.domain.timeutil import to_us
from ticketminer.services.anomaly_scan import SURGE_WINDOWS_HOURS

T0 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def test_grid_steps_and_local_hour_of_week() -> None:
    grid = grid_for(to_us(T0) + 5, to_us(T0 + timedelta(days=2)), 120, "Asia/Shanghai")
    assert grid.start_us == to_us(T0) and grid.n_steps == 48
    steps = grid.step_of(np.array([to_us(T0) - 1, to_us(T0), to_us(T0) + HOUR_US + 7]))
    assert steps.tolist() == [-1, 0, 1]
    how = grid.hour_of_week()
    assert how[0] == 8  # Monday 00:00 UTC is Monday 08:00 in Shanghai
    assert how[16] == 24  # Tuesday 00:00 local


def test_grid_is_capped_to_history_days() -> None:
    end = to_us(T0 + timedelta(days=400))
    grid = grid_for(to_us(T0), end, 120)
    assert grid.n_steps == 120 * 24 and grid.end_us == end


def test_count_matrix_drops_rows_outside() -> None:
    m = count_matrix(np.array([0, 1, 1, -1]), np.array([0, 2, 2, 1]), 2, 3)
    assert m.tolist() == [[1, 0, 0], [0, 0, 2]]


def _days(per_day: list[int]) -> np.ndarray:
    row = np.zeros(len(per_day) * 24)
    for d, n in enumerate(per_day):
        row[d * 24 + 10 : d * 24 + 10 + n] += 1 if n <= 14 else 0
        if n > 14:
            row[d * 24 : d * 24 + 24] += n / 24
    return row


def test_emerging_issue_is_found_and_old_issue_is_not() -> None:
    new = _days([0] * 50 + [2, 6, 12, 20, 24, 24])  # born 6 days ago, growing
    old = _days([3] * 56)  # steady for 8 weeks
    tiny = _days([0] * 54 + [1, 2])  # too few tickets to say anything
    burst = _days([0] * 20 + [30, 40, 10] + [0] * 33)  # new three weeks ago, then gone
    model = EmergingDetector().fit(np.vstack([new, old, tiny, burst]))
    assert [e.series for e in model.events_] == [0, 3]
    event, past = model.events_
    assert event.ongoing and event.end == len(new)
    assert event.start // 24 == 50 and event.detected // 24 <= 52
    assert event.pvalue < 1e-4 and event.observed == pytest.approx(new.sum())
    assert not past.ongoing and past.start // 24 == 20 and past.end // 24 <= 23


def test_emerging_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        EmergingDetector().fit(np.array([1.0, 2.0]))


def _detection(start_h: int, end_h: int | None, kind=AnomalyKind.VOLUME_SURGE, issue=3):
    start = T0 + timedelta(hours=start_h)
    end = None if end_h is None else T0 + timedelta(hours=end_h)
    return Detection(kind, VOLUME, issue, start, start, end, 40.0, 10.0, 1e-9, 9.0, 40)


def _stored(anomaly_id: int, start_h: int, end_h: int | None, status: AnomalyStatus) -> Anomaly:
    d = _detection(start_h, end_h)
    return Anomaly(
        anomaly_id, "t", d.kind, d.metric, d.issue_id, status, Severity.HIGH, d.start,
        d.detected_at, d.end, d.start, 40.0, 10.0, 1e-9, 9.0, 40,
    )  # fmt: skip


def test_tenant_wide_and_issue_detections_at_the_same_time_are_both_new() -> None:
    plan = reconcile([_detection(100, None, issue=None), _detection(100, None)], [])
    assert len(plan.new) == 2


def test_a_renamed_incident_is_still_the_same_anomaly() -> None:
    stored = [_stored(7, 100, None, AnomalyStatus.OPEN)]
    renamed = _detection(100, None, kind=AnomalyKind.EMERGING_ISSUE)
    plan = reconcile([renamed], stored)
    assert [a.anomaly_id for a, _ in plan.continued] == [7] and plan.new == []


def test_one_incident_stays_one_anomaly_across_scans() -> None:
    stored = [_stored(7, 100, None, AnomalyStatus.OPEN)]
    plan = reconcile([_detection(98, None)], stored)
    assert plan.new == [] and plan.ended == []
    ((anomaly, detection),) = plan.continued
    assert anomaly.anomaly_id == 7
    assert next_status(anomaly.status, detection) == AnomalyStatus.ONGOING
    ended = _detection(98, 130)
    assert next_status(AnomalyStatus.ONGOING, ended) == AnomalyStatus.RESOLVED


def test_a_later_incident_and_another_issue_are_new() -> None:
    stored = [_stored(7, 100, 120, AnomalyStatus.RESOLVED)]
    later = _detection(200, None)
    other_issue = _detection(100, 120, issue=4)
    plan = reconcile([later, other_issue], stored)
    assert len(plan.new) == 2 and plan.continued == []
    assert next_status(None, later) == AnomalyStatus.OPEN


def test_active_anomaly_no_longer_seen_is_ended() -> None:
    stored = [_stored(7, 100, None, AnomalyStatus.ONGOING)]
    assert [a.anomaly_id for a in reconcile([], stored).ended] == [7]
    resolved = [_stored(8, 100, 120, AnomalyStatus.RESOLVED)]
    assert reconcile([], resolved).ended == []  # already over: nothing to end


def test_severity_grows_with_the_move() -> None:
    kind = AnomalyKind.VOLUME_SURGE
    assert severity(kind, VOLUME, 12, 10) == Severity.LOW
    assert severity(kind, VOLUME, 42, 6) == Severity.CRITICAL
    assert severity(kind, VOLUME, 3, 0.5) == Severity.LOW  # too few tickets to shout
    assert severity(kind, VOLUME, 35, 10) == Severity.HIGH
    assert severity(kind, VOLUME, 680, 467) == Severity.HIGH  # x1.46, but 213 more tickets
    kpi = AnomalyKind.KPI_DEGRADATION
    assert severity(kpi, FCR, 0.35, 0.65) == Severity.CRITICAL
    assert severity(kpi, FCR, 0.60, 0.65) == Severity.MEDIUM


def test_term_lift_finds_the_words_of_the_incident() -> None:
    anomaly = ["快递 暴雨 停运 延迟"] * 30 + ["快递 延迟 <order_no>"] * 10
    baseline = ["快递 延迟 <order_no>"] * 80 + ["快递 丢件"] * 20
    terms = term_lifts(anomaly, baseline)
    assert {t.term for t in terms[:2]} == {"停运", "暴雨"}
    assert all(t.term not in ("快递", "<order_no>") for t in terms)
    assert terms[0].anomaly_tickets == 30 and terms[0].baseline_tickets == 0
    assert term_lifts([], baseline) == []


@settings(max_examples=60, deadline=None)
@given(
    n_steps=st.integers(1, 400),
    offset=st.integers(0, 167),
    rate=st.floats(0.0, 5.0),
    seed=st.integers(0, 1000),
)
def test_every_detector_fits_any_history_length(n_steps, offset, rate, seed) -> None:
    """A new tenant has an hour of history, a big one a year: nothing may crash on
    histories shorter than a scan window or a week."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate, (3, n_steps)).astype(float)
    how = (np.arange(n_steps) + offset) % 168
    surge = SurgeDetector(windows_hours=SURGE_WINDOWS_HOURS).fit(counts, how)
    assert surge.expected_.shape == counts.shape
    ProportionShiftDetector().fit(np.minimum(counts, 1.0), counts + 1.0)
    values = rng.lognormal(5.0, 1.0, 40)
    series, steps = rng.integers(0, 3, 40), rng.integers(0, n_steps, 40)
    DurationShiftDetector().fit(values, series, steps, 3, n_steps, how)
    EmergingDetector().fit(counts)


def test_a_broader_cause_that_explains_clearly_more_goes_first() -> None:
    from ticketminer.anomalies.rootcause import RootCause
    from ticketminer.services.anomaly_explain import broader_first

    def cause(dims, share):
        # Every candidate rose tenfold: the broader ones did not rise less sharply.
        return RootCause(tuple(dims), 100 * share, 10 * share, share, 5.0, 0.5, 1e-6, 1.0)

    pair = [("carrier", "SF"), ("region", "华南")]
    child = cause([*pair, ("warehouse", "WH-GZ")], 0.67)
    parent = cause(pair, 0.81)
    grandparent = cause([("carrier", "SF")], 0.85)  # not clearly more than the pair
    other = cause([("carrier", "JD")], 0.9)  # not an ancestor
    assert broader_first([child, grandparent, other, parent])[0] == parent
    assert broader_first([parent, child]) == [parent, child]
    assert broader_first([]) == []
    # A finer cause that rose far more sharply than the rest of its ancestor stays first:
    # SF in 华南 25-fold (95 vs 3.8), the rest of 华南 3-fold (16 vs 4.9).
    sharp = RootCause(tuple(pair), 95.0, 3.8, 0.81, 13.9, 0.5, 1e-6, 1.0)
    region = RootCause((("region", "华南"),), 111.0, 8.7, 0.91, 8.8, 0.5, 1e-6, 1.0)
    assert broader_first([sharp, region]) == [sharp, region]
    # ...but not when the rest rose alike (a warehouse that goes with its region).
    local = RootCause(
        (("region", "华南"), ("warehouse", "WH-GZ")), 60.0, 6.0, 0.55, 9.0, 0.5, 1e-6, 1.0
    )
    whole = RootCause((("region", "华南"),), 100.0, 10.0, 0.9, 9.0, 0.5, 1e-6, 1.0)
    assert broader_first([local, whole])[0] == whole


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("UTC", "2026-11-05 11:00 UTC"), ("Asia/Shanghai", "2026-11-05 19:00 Asia/Shanghai")],
)
def test_summary_gives_the_start_in_the_tenants_time_zone(zone: str, shown: str) -> None:
    from ticketminer.anomalies.summary import summarize

    start = datetime(2026, 11, 5, 11, 0, tzinfo=UTC)
    text = summarize(AnomalyKind.VOLUME_SURGE, "volume", "of 'x'", start, 30, 3, [], [], zone)
    assert f"since {shown};" in text or text.endswith(f"since {shown}")


def test_a_summary_names_the_other_metrics_its_incident_moved() -> None:
    from ticketminer.anomalies.summary import summarize
    from ticketminer.domain.anomalies import NEGATIVE_SHARE

    start = datetime(2026, 11, 10, 9, tzinfo=UTC)
    text = summarize(
        AnomalyKind.VOLUME_SURGE,
        VOLUME,
        "of 'late'",
        start,
        40,
        10,
        (),
        (),
        also=[(NEGATIVE_SHARE, 0.42, 0.2)],
    )
    assert "up 300%" in text and "; also negative-sentiment share 20% -> 42%" in text
