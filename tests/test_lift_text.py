"""A root cause's lift reads as a number a person can use: capped, or "only inside"
when the expected count inside was near zero and nothing moved outside."""

from __future__ import annotations

from ticketminer.domain.anomalies import MAX_SHOWN_LIFT, lift_text
from ticketminer.reports.anomalies import render
from ticketminer.v1 import ticketminer_pb2 as pb


def test_ordinary_lifts_read_as_they_are():
    assert lift_text(3.456, 0.6) == "3.5×"
    assert lift_text(MAX_SHOWN_LIFT - 0.1, 1.0) == "99.9×"


def test_an_off_scale_lift_is_only_inside_when_the_whole_excess_is_inside():
    assert lift_text(154534.1, 1.0) == "only inside"
    assert lift_text(154534.1, 0.7) == "> 100×"  # some of the excess was elsewhere


def test_the_anomaly_report_never_prints_an_off_scale_lift():
    cause = pb.RootCauseCandidate(
        dimensions=[pb.Dimension(key="carrier", value="EMS")],
        observed=60,
        expected=0.01,
        explained_share=1.0,
        lift=154534.1,
        support=0.9,
    )
    text = render([pb.Anomaly(anomaly_id="1", root_causes=[cause])])
    assert "lift only inside" in text and "154534" not in text
