"""Folding detections into incidents, on generated histories with the true topics as
issues: what shares its excess is one anomaly, what does not stays apart."""

from __future__ import annotations

from datetime import timedelta

from ticketminer.domain.anomalies import VOLUME
from ticketminer.synth import TOPIC_KEYS, Incident, Scenario, counts_frame
from ticketminer.synth.detection import scan_frame

SHIPPING = TOPIC_KEYS.index("shipping_delay") + 1
PAYMENT = TOPIC_KEYS.index("payment_failure") + 1


def _scenario(*incidents: Incident) -> Scenario:
    return Scenario(weeks=8, seed=5, tickets_per_day=150.0, incidents=incidents)


def _surge(s: Scenario, topic: str, dims, multiplier: float = 4.0) -> Incident:
    start = s.at(s.days - 12, 8)
    return Incident(
        id=f"surge-{topic}",
        kind="volume_surge",
        topic=topic,
        start=start,
        end=start + timedelta(days=3),
        multiplier=multiplier,
        dims=dims,
    )


def test_two_unrelated_incidents_at_the_same_time_stay_two_anomalies() -> None:
    base = _scenario()
    storm = _surge(base, "shipping_delay", (("carrier", "SF"), ("region", "华南")))
    bug = _surge(base, "payment_failure", (("payment_method", "alipay"),))
    findings, explanations = scan_frame(counts_frame(_scenario(storm, bug)))
    volume = {
        f.detection.issue_id: e.root_causes[0].dims
        for f, e in zip(findings, explanations, strict=True)
        if f.detection.metric == VOLUME
    }
    assert volume == {SHIPPING: storm.dims, PAYMENT: bug.dims}


def test_an_issue_surge_absorbs_the_slices_it_fills() -> None:
    """Every slice the storm fills (SF, 华南, SF ∧ 华南, ...) is the same incident."""
    base = _scenario()
    storm = _surge(base, "shipping_delay", (("carrier", "SF"), ("region", "华南")))
    findings, _ = scan_frame(counts_frame(_scenario(storm)))
    volume = [f for f in findings if f.detection.metric == VOLUME]
    assert len(volume) == 1, [(f.scope, f.detection.start) for f in volume]
    (lead,) = volume
    assert lead.detection.issue_id == SHIPPING
    assert lead.issue_ids[0] == SHIPPING
    assert any(d.metric == VOLUME for d in lead.related)  # the slices folded in
