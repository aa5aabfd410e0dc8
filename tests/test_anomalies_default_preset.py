"""The default synthetic history (8 weeks, five injected incidents) through ingest,
re-clustering and a scan: each incident is found, the volume and KPI ones with their
root cause first, except the login loop (a known miss, marked xfail). The
negative-sentiment surge on coupons is about a dozen angry tickets at 150 a day (10
in its three days); it is caught on the share of *angry* tickets (text/anger.py) of
the coupon issue, where the share of strongly negative ones (sentiment below -0.8)
drowned it in polite complaints."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from conftest import history_settings
from databases import fresh_db

from ticketminer.app import App
from ticketminer.domain.anomalies import (
    FIRST_RESPONSE_TIME,
    NEGATIVE_SHARE,
    VOLUME,
    AnomalyKind,
    AnomalyQuery,
)


@pytest.fixture(scope="module")
def found(default_history):
    db, result = default_history
    app = App.open(history_settings(db))
    try:
        anomalies = app.anomalies.list(AnomalyQuery("default", page_size=500)).anomalies
    finally:
        app.close()
    return {inc.id: inc for inc in result.truth}, anomalies


def _main_issue(default_history, incident_id: str) -> int:
    """The issue most of an incident's tickets were clustered into."""
    db, result = default_history
    incident = next(inc for inc in result.truth if inc.id == incident_id)
    app = App.open(history_settings(db))
    try:
        issues = [app.tickets.get("default", e).issue for e in incident.external_ids]
    finally:
        app.close()
    votes = Counter(i.issue_id for i in issues if i is not None)
    return votes.most_common(1)[0][0]


@pytest.fixture(scope="module")
def coupon_issue(default_history) -> int:
    """The issue most of the coupon surge's angry tickets were clustered into."""
    return _main_issue(default_history, "coupon-anger")


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


@pytest.mark.parametrize(
    "incident_id",
    [
        "shipping-storm",
        pytest.param(
            "login-loop",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known miss: the loop's tickets join the login issue as a new "
                "sub-issue, ramping over ten days; neither the issue nor a slice alarms",
            ),
        ),
    ],
)
def test_volume_incidents_are_found_with_their_root_cause(
    found, default_history, incident_id
) -> None:
    truth, anomalies = found
    incident = truth[incident_id]
    issue = _main_issue(default_history, incident_id)
    # On the issue its tickets joined (or spanning it): another incident at the same
    # time (the payment bug shares the loop's app version) does not count.
    hits = [
        a
        for a in _during(anomalies, incident, VOLUME)
        if a.issue_id == issue or issue in a.issue_ids
    ]
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
    """The storm raised its issue's volume and its carrier's and region's slices: one
    incident, reported once."""
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


def test_coupon_anger_is_a_sentiment_surge_of_the_coupon_issue(found, coupon_issue) -> None:
    truth, anomalies = found
    hits = [
        a
        for a in _during(anomalies, truth["coupon-anger"], NEGATIVE_SHARE)
        if a.kind == AnomalyKind.SENTIMENT_SURGE
        and (a.issue_id == coupon_issue or coupon_issue in a.issue_ids)
    ]
    assert hits, [a.summary for a in anomalies]
    assert all(a.observed > a.expected for a in hits)


def test_no_other_sentiment_surge_in_the_default_history(found, coupon_issue) -> None:
    """Polite complaints (the storm's shipping delays, the payment bug) are not anger."""
    _truth, anomalies = found
    others = [
        a
        for a in anomalies
        if a.kind == AnomalyKind.SENTIMENT_SURGE
        and a.issue_id != coupon_issue
        and coupon_issue not in a.issue_ids
    ]
    assert others == [], [a.summary for a in others]


def test_the_same_history_without_incidents_raises_no_sentiment_surge(tmp_path) -> None:
    """Preset "none": the default history's topics, volumes and base anger, no incident."""
    from ticketminer.synth import generate, preset

    app = App.open(history_settings(fresh_db(tmp_path, "none")))
    try:
        result = generate(preset("none", tickets_per_day=150))
        assert app.tickets.ingest_bulk(iter(result.tickets)).rejected == 0
        app.issues.recluster("default")
        app.anomalies.scan("default")
        anomalies = app.anomalies.list(AnomalyQuery("default", page_size=500)).anomalies
    finally:
        app.close()
    surges = [a for a in anomalies if a.kind == AnomalyKind.SENTIMENT_SURGE]
    assert surges == [], [a.summary for a in surges]
