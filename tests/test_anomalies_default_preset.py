"""The default synthetic history (8 weeks, five injected incidents) through ingest,
re-clustering and a scan: each incident the service claims to catch is found with
its root cause first. The negative-sentiment surge on coupons is not asserted: at
150 tickets a day it is about a dozen angry tickets, below what the detector
resolves (see the closing note of issue 4 and BENCHMARKS.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import history_settings

from ticketminer.app import App
from ticketminer.domain.anomalies import FIRST_RESPONSE_TIME, VOLUME, AnomalyQuery


@pytest.fixture(scope="module")
def found(default_history):
    db, result = default_history
    app = App.open(history_settings(db))
    try:
        anomalies = app.anomalies.list(AnomalyQuery("default", page_size=500)).anomalies
    finally:
        app.close()
    return {inc.id: inc for inc in result.truth}, anomalies


def _during(anomalies, incident, metric):
    late = incident.end + timedelta(hours=24)
    return [
        a
        for a in anomalies
        if a.metric == metric
        and a.start < late
        and (a.end is None or a.end > incident.start - timedelta(hours=12))
    ]


def _largest(anomalies):
    return max(anomalies, key=lambda a: a.observed - a.expected)


@pytest.mark.parametrize("incident_id", ["shipping-storm", "login-loop"])
def test_volume_incidents_are_found_with_their_root_cause(found, incident_id) -> None:
    truth, anomalies = found
    incident = truth[incident_id]
    hits = _during(anomalies, incident, VOLUME)
    assert hits, [a.summary for a in anomalies]
    top = _largest(hits)
    assert top.root_causes[0].dims == incident.dims, top.summary


def test_payment_bug_is_found_and_blamed_on_the_release(found) -> None:
    truth, anomalies = found
    incident = truth["payment-release-bug"]
    hits = _during(anomalies, incident, VOLUME)
    assert hits, [a.summary for a in anomalies]
    top = _largest(hits)
    # The injected pair is app_version=5.2.0 ∧ payment_method=alipay; with a brand-new
    # version the version alone explains nearly all of it and is reported first.
    assert set(top.root_causes[0].dims) <= set(incident.dims)
    assert ("app_version", "5.2.0") in top.root_causes[0].dims


def test_slow_email_replies_are_one_tenant_wide_anomaly_blaming_email(found) -> None:
    truth, anomalies = found
    hits = _during(anomalies, truth["email-frt-regression"], FIRST_RESPONSE_TIME)
    assert len(hits) == 1, [a.summary for a in hits]
    assert hits[0].issue_id is None
    assert hits[0].root_causes[0].dims == (("channel", "email"),)


def test_the_storm_is_one_anomaly_that_lists_its_issues(found) -> None:
    """The storm raised its issue's volume, the share of angry tickets on the phone
    line and its carrier and region's slices: one incident, reported once."""
    truth, anomalies = found
    storm = truth["shipping-storm"]
    late = storm.end + timedelta(hours=24)
    during = [
        a
        for a in anomalies
        if a.start < late and (a.end is None or a.end > storm.start - timedelta(hours=12))
    ]
    assert len(during) == 1, [a.summary for a in during]
    (anomaly,) = during
    assert anomaly.metric == VOLUME and anomaly.issue_id is not None
    assert anomaly.issue_ids and anomaly.issue_id in anomaly.issue_ids
    assert anomaly.root_causes[0].dims == storm.dims
    assert "also negative-sentiment share" in anomaly.summary
