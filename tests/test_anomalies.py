"""The anomaly service on a small generated history whose shipping surge is still
going on at the end: one open anomaly with its root cause, the tickets behind it,
the ingest answer that names it, the issue view, and the read filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from databases import fresh_db

from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.domain.anomalies import (
    VOLUME,
    Anomaly,
    AnomalyKind,
    AnomalyQuery,
    AnomalyStatus,
    Severity,
)
from ticketminer.domain.errors import InvalidArgument, NotFound
from ticketminer.domain.filters import TicketFilter
from ticketminer.synth import Incident, Scenario, generate

DIMS = (("carrier", "SF"), ("region", "华南"))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    base = Scenario(weeks=5, tickets_per_day=40, seed=5, topic_volume={"shipping_delay": 15})
    surge = Incident(
        id="storm",
        kind="volume_surge",
        topic="shipping_delay",
        start=base.at(base.days - 2, 0),
        end=base.at(base.days, 0),
        multiplier=6.0,
        dims=DIMS,
    )
    result = generate(replace(base, incidents=(surge,)))
    db = fresh_db(tmp_path_factory.mktemp("anomalies"), "a")
    app = App.open(
        Settings(db_url=str(db), recluster_min_tickets=10**9, anomaly_time_zone="Asia/Shanghai")
    )
    assert app.tickets.ingest_bulk(iter(result.tickets)).rejected == 0
    app.issues.recluster("default")
    report = app.anomalies.scan("default")
    yield app, result, report
    app.close()


def _surges(app: App):
    page = app.anomalies.list(AnomalyQuery("default", page_size=500))
    return [a for a in page.anomalies if a.metric == VOLUME]


def test_the_ongoing_surge_is_one_open_anomaly_with_its_cause(loaded) -> None:
    app, result, report = loaded
    assert report.opened >= 1 and report.active
    surges = _surges(app)
    assert surges
    top = max(surges, key=lambda a: a.observed - a.expected)
    assert top.status == AnomalyStatus.OPEN and top.end is None
    assert top.kind in (AnomalyKind.VOLUME_SURGE, AnomalyKind.EMERGING_ISSUE)
    assert top.root_causes[0].dims == DIMS or set(DIMS) <= set(top.root_causes[0].dims)
    assert top.severity >= Severity.MEDIUM and top.summary
    assert top.start >= result.truth[0].start - timedelta(hours=12)
    # A second scan over the same tickets changes nothing and opens nothing.
    again = app.anomalies.scan("default")
    assert again.opened == 0
    ids = {a.anomaly_id for a in _surges(app)}
    assert ids == {a.anomaly_id for a in surges}
    assert all(a.status == AnomalyStatus.ONGOING for a in _surges(app) if a.end is None)


def test_tickets_behind_the_anomaly_and_the_ingest_answer(loaded) -> None:
    app, result, _ = loaded
    top = max(_surges(app), key=lambda a: a.observed - a.expected)
    page = app.tickets.list("default", TicketFilter(anomaly_id=top.anomaly_id), page_size=1000)
    assert page.total_size >= top.observed * 0.9
    assert all(t.ticket.created_at >= top.start for t in page.tickets)
    if top.issue_id is not None:
        assert all(t.issue.issue_id == top.issue_id for t in page.tickets if t.issue)
    # Re-sending an evidence ticket (matching the cause) names the anomaly.
    by_id = {t.external_id: t for t in result.tickets}
    ticket = by_id[top.evidence_ticket_ids[0]]
    ticket.updated_at = (ticket.updated_at or ticket.created_at) + timedelta(minutes=1)
    answer = app.tickets.ingest(ticket)
    named = [f for f in answer.anomalies if f.anomaly.anomaly_id == top.anomaly_id]
    assert named and named[0].matches_root_cause and named[0].matched_dims


def test_issue_view_lists_its_anomalies_and_hourly_series(loaded) -> None:
    app, _, _ = loaded
    top = next(a for a in _surges(app) if a.issue_id is not None)
    detail = app.issues.get_issue("default", top.issue_id, None, None)
    assert top.anomaly_id in {a.anomaly_id for a in detail.anomalies}
    assert 24 * 6 <= len(detail.hourly) <= 24 * 7 + 1
    assert detail.summary.trend.last_28d >= detail.summary.trend.last_7d > 0


def test_filters_and_errors(loaded) -> None:
    app, _, _ = loaded
    everything = app.anomalies.list(AnomalyQuery("default", page_size=500))
    kinds = app.anomalies.list(
        AnomalyQuery("default", kinds=(AnomalyKind.KPI_DEGRADATION,), page_size=500)
    )
    assert all(a.kind == AnomalyKind.KPI_DEGRADATION for a in kinds.anomalies)
    severe = app.anomalies.list(AnomalyQuery("default", min_severity=Severity.HIGH))
    assert all(a.severity >= Severity.HIGH for a in severe.anomalies)
    one = app.anomalies.list(AnomalyQuery("default", page_size=1))
    assert len(one.anomalies) == min(1, everything.total)
    if everything.total > 1:
        assert one.next_offset == 1
    assert app.anomalies.list(AnomalyQuery("other")).total == 0
    with pytest.raises(NotFound):
        app.anomalies.get("default", 10**9)
    with pytest.raises(NotFound):
        app.anomalies.get("other", everything.anomalies[0].anomaly_id)
    with pytest.raises(InvalidArgument):
        app.anomalies.list(AnomalyQuery("default", page_size=501))


def test_background_scans_run_only_when_tickets_changed(loaded) -> None:
    from ticketminer.services.anomaly_scheduler import AnomalyScheduler

    app, result, _ = loaded
    scheduler = AnomalyScheduler(app.anomalies, app.facts.known_tenants, interval_seconds=60)
    scheduler.run_once()  # catches up with whatever earlier tests ingested
    assert scheduler.run_once() == []  # nothing new since
    ticket = result.tickets[0]
    ticket.updated_at = (ticket.updated_at or ticket.created_at) + timedelta(hours=1)
    ticket.subject += " (follow-up)"
    app.tickets.ingest(ticket)
    assert scheduler.run_once() == ["default"]
    assert scheduler.run_once() == []


def test_ingest_answer_on_the_wire_names_the_anomaly_and_the_matched_cause(loaded) -> None:
    from ticketminer.api.convert import ticket_to_proto
    from ticketminer.server import servicer_of
    from ticketminer.v1 import ticketminer_pb2 as pb

    app, result, _ = loaded
    top = max(_surges(app), key=lambda a: a.observed - a.expected)
    servicer = servicer_of(app)
    ticket = {t.external_id: t for t in result.tickets}[top.evidence_ticket_ids[1]]
    ticket.updated_at = (ticket.updated_at or ticket.created_at) + timedelta(minutes=2)
    request = pb.IngestTicketRequest()
    ticket_to_proto(ticket, request.ticket)
    reply = servicer.IngestTicket(request, None)
    refs = {r.anomaly_id: r for r in reply.active_anomalies}
    ref = refs[str(top.anomaly_id)]
    assert ref.status in (pb.ANOMALY_STATUS_OPEN, pb.ANOMALY_STATUS_ONGOING)
    assert ref.ticket_matches_root_cause and ref.summary
    assert {(d.key, d.value) for d in ref.matched_root_cause} == set(top.root_causes[0].dims)


def test_an_incident_spanning_issues_is_named_for_tickets_of_each(loaded, monkeypatch) -> None:
    from ticketminer.domain.issues import IssueAssignment

    app, result, _ = loaded
    top = max(_surges(app), key=lambda a: a.observed - a.expected)
    assert top.issue_id is not None
    spanned, elsewhere = top.issue_id + 1000, top.issue_id + 2000
    spanning = replace(top, status=AnomalyStatus.OPEN, issue_ids=(top.issue_id, spanned))
    monkeypatch.setattr(app.anomalies, "active", lambda _tenant: [spanning])
    ticket = result.tickets[0]

    def named(issue_id: int) -> list[int]:
        issue = IssueAssignment(issue_id, "", 1.0, 1)
        return [a.anomaly.anomaly_id for a in app.anomalies.for_ingested(ticket, issue)]

    assert named(top.issue_id) == [top.anomaly_id]
    assert named(spanned) == [top.anomaly_id]
    assert named(elsewhere) == []


def test_an_issue_lists_the_incidents_that_span_it(tmp_path) -> None:
    """Stored spans: an incident led by one issue shows among another issue's
    anomalies when it spans that issue too, and its drill-down covers both."""
    from ticketminer.store.anomalies_repo import insert_anomaly, update_anomaly

    db = fresh_db(tmp_path, "spans")
    app = App.open(Settings(db_url=db, anomaly_scan_seconds=0))
    try:
        at = datetime(2026, 11, 10, tzinfo=UTC)
        led = Anomaly(
            anomaly_id=0,
            tenant_id="default",
            kind=AnomalyKind.VOLUME_SURGE,
            metric=VOLUME,
            issue_id=1,
            status=AnomalyStatus.OPEN,
            severity=Severity.HIGH,
            start=at,
            detected_at=at,
            end=None,
            updated_at=at,
            observed=40,
            expected=10,
            pvalue=1e-9,
            score=9,
            tickets=40,
            issue_ids=(1, 7),
        )
        with app.engine.begin() as conn:
            anomaly_id = insert_anomaly(conn, led)

        def of(issue: int) -> list[int]:
            found = app.anomalies.list(AnomalyQuery("default", issue_ids=(issue,)))
            return [a.anomaly_id for a in found.anomalies]

        assert of(1) == [anomaly_id] and of(7) == [anomaly_id] and of(8) == []
        drill = app.anomalies.tickets_filter("default", TicketFilter(anomaly_id=anomaly_id))
        assert drill.issue_ids == (1, 7)
        with app.engine.begin() as conn:  # a later scan no longer sees issue 7 in it
            update_anomaly(conn, replace(led, anomaly_id=anomaly_id, issue_ids=(1,)))
        assert of(7) == [] and of(1) == [anomaly_id]
    finally:
        app.close()
