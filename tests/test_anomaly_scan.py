"""The whole anomaly pipeline (every detector, folding, root causes) on generated
histories with the true topics as issues: a low-count surge (6 -> 42 a day), a
high-count one, a normal Monday peak that must not alarm, and a first-response
regression in one channel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ticketminer.domain.anomalies import FIRST_RESPONSE_TIME, VOLUME, AnomalyKind
from ticketminer.synth import TOPIC_KEYS, Incident, Scenario, counts_frame
from ticketminer.synth.detection import scan_frame

DIMS = (("carrier", "SF"), ("region", "华南"))
SHIPPING = TOPIC_KEYS.index("shipping_delay") + 1  # the issue id of the true topic


def _only(topic: str, per_day: float, **fields) -> Scenario:
    """A helpdesk where one topic has tickets (the others none)."""
    volume = dict.fromkeys(TOPIC_KEYS, 0.0)
    volume[topic] = per_day
    return Scenario(weeks=8, seed=7, topic_volume=volume, **fields)


def _surge(s: Scenario, days_back: int, hours: float, multiplier: float) -> Incident:
    start = s.at(s.days - days_back, 9)
    return Incident(
        id="surge",
        kind="volume_surge",
        topic="shipping_delay",
        start=start,
        end=start + timedelta(hours=hours),
        multiplier=multiplier,
        dims=DIMS,
    )


def _volume(findings, explanations):
    return [
        (f.detection, e)
        for f, e in zip(findings, explanations, strict=True)
        if f.detection.metric == VOLUME
    ]


@pytest.mark.parametrize(
    ("per_day", "hours", "multiplier", "within_hours"),
    [(6, 72, 7.0, 24), (1000, 6, 3.0, 3)],
    ids=["6-to-42-a-day", "1000-a-day-x3-for-6h"],
)
def test_surge_is_one_anomaly_with_its_root_cause(per_day, hours, multiplier, within_hours):
    base = _only("shipping_delay", per_day)
    incident = _surge(base, 10, hours, multiplier)
    s = Scenario(weeks=8, seed=7, topic_volume=base.topic_volume, incidents=(incident,))
    found = _volume(*scan_frame(counts_frame(s)))
    assert len(found) == 1, [(d.issue_id, d.start, d.observed) for d, _ in found]
    (d, explanation) = found[0]
    assert d.issue_id == SHIPPING and d.kind == AnomalyKind.VOLUME_SURGE
    assert incident.start - timedelta(hours=12) <= d.start <= incident.end
    assert d.detected_at - incident.start <= timedelta(hours=within_hours)
    assert d.end is not None  # over before the data ends
    assert explanation.root_causes[0].dims == DIMS
    assert d.observed > 2 * d.expected


def test_a_normal_monday_peak_does_not_alarm() -> None:
    s = _only("shipping_delay", 50)
    frame = counts_frame(s)
    monday = frame.weekday == 0
    saturday = frame.weekday == 5
    assert monday.sum() > 1.4 * saturday.sum()  # the weekly peak is there
    findings, explanations = scan_frame(frame)
    assert _volume(findings, explanations) == []


def test_first_response_regression_in_one_channel_names_the_channel() -> None:
    base = Scenario(weeks=8, seed=7, tickets_per_day=200)
    start = base.at(base.days - 12, 0)
    slow = Incident(
        id="slow-email",
        kind="kpi_degradation",
        metric=FIRST_RESPONSE_TIME,
        start=start,
        end=start + timedelta(days=5),
        multiplier=3.0,
        dims=(("channel", "email"),),
    )
    s = Scenario(weeks=8, seed=7, tickets_per_day=200, incidents=(slow,))
    findings, explanations = scan_frame(counts_frame(s))
    hits = [
        (f, e)
        for f, e in zip(findings, explanations, strict=True)
        if f.detection.metric == FIRST_RESPONSE_TIME and f.detection.start < slow.end
    ]
    assert hits, [f.detection.metric for f in findings]
    finding, explanation = hits[0]
    assert finding.detection.issue_id is None  # one tenant-wide anomaly, not one per issue
    assert explanation.root_causes[0].dims == (("channel", "email"),)
