"""The weekly digest over the default synthetic history: its numbers are GetMetrics'
numbers for the same windows, the incident weeks show their anomalies with the
injected root causes, an empty week is a valid digest, and bad weeks or zones are
INVALID_ARGUMENT with the field named."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import history_settings
from databases import fresh_db

from ticketminer.app import App
from ticketminer.digest.weeks import IsoWeek
from ticketminer.domain.anomalies import VOLUME
from ticketminer.domain.errors import InvalidArgument
from ticketminer.domain.filters import Granularity, GroupBy, MetricsQuery, TicketFilter
from ticketminer.services.digest import DigestFormat

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def history(default_history):
    db, result = default_history
    app = App.open(history_settings(db))
    yield app, {inc.id: inc for inc in result.truth}
    app.close()


def _week_of(incident) -> str:
    return str(IsoWeek.containing(incident.start + timedelta(hours=12), TZ))


def test_numbers_match_get_metrics_for_the_same_windows(history) -> None:
    app, truth = history
    d = app.digest.weekly("default", _week_of(truth["shipping-storm"]), TZ)

    def metrics(start, end, **kwargs):
        flt = TicketFilter(start_time=start, end_time=end)
        return app.metrics.get_metrics(MetricsQuery("default", flt, time_zone=TZ, **kwargs))

    previous_start = d.start - timedelta(days=7)
    assert d.current == metrics(d.start, d.end).overall
    assert d.previous == metrics(previous_start, d.start).overall
    assert d.current.volume > 500
    kpis = {k.name: k for k in d.kpis}
    assert kpis["volume"].current == d.current.volume
    assert kpis["fcr"].current == d.current.fcr.value
    assert kpis["first_response_p90"].previous == d.previous.first_response_time.p90_seconds
    assert kpis["csat"].current == d.current.csat.mean
    # The KPI's drill-down selects exactly the tickets behind its value.
    solved = metrics(d.start, d.end).overall.fcr.denominator
    fcr_rows = app.metrics.get_metrics(MetricsQuery("default", kpis["fcr"].drill_down))
    assert fcr_rows.overall.volume == solved == kpis["fcr"].n

    days = metrics(d.start, d.end, granularity=Granularity.DAY).series
    assert [x.volume for x in d.days] == [p.metrics.volume for p in days]
    assert sum(x.volume for x in d.days) == d.current.volume
    assert [x.day.weekday() for x in d.days] == list(range(7))

    by_issue = {
        g.value: g.metrics for g in metrics(d.start, d.end, group_by=GroupBy("issue")).groups
    }
    before = {
        g.value: g.metrics
        for g in metrics(previous_start, d.start, group_by=GroupBy("issue")).groups
    }
    assert len(d.top_issues) == 10
    assert [i.volume for i in d.top_issues] == sorted(
        (i.volume for i in d.top_issues), reverse=True
    )
    for issue in d.top_issues:
        assert issue.metrics == by_issue[str(issue.issue_id)]
        previous = before.get(str(issue.issue_id))
        assert issue.previous_volume == (previous.volume if previous else 0)
        assert issue.weekly_volumes[-1] == issue.volume
        assert issue.weekly_volumes[-2] == issue.previous_volume
        # The sparkline: the issue's volume in each of the 8 weeks, as GetMetrics counts it.
        weeks = metrics(
            d.start - timedelta(weeks=7),
            d.end,
            granularity=Granularity.WEEK,
            group_by=GroupBy("issue"),
        )
        series = next(g.series for g in weeks.groups if g.value == str(issue.issue_id))
        by_week = {p.start_time: p.metrics.volume for p in series}
        expected = [by_week.get(d.start - timedelta(weeks=k), 0) for k in range(7, -1, -1)]
        assert list(issue.weekly_volumes) == expected
        listed = app.tickets.list("default", issue.drill_down, page_size=1)
        assert listed.total_size == issue.volume
    assert d.active_issues == len([v for v in by_issue if v])
    assert d.unassigned == (by_issue[""].volume if "" in by_issue else 0)


def test_the_storm_week_shows_the_storm_with_its_root_cause(history) -> None:
    app, truth = history
    storm = truth["shipping-storm"]
    d = app.digest.weekly("default", _week_of(storm), TZ)
    surges = [a for a in d.anomalies if a.metric == VOLUME]
    assert surges
    top = max(surges, key=lambda a: a.observed - a.expected)
    assert top.root_causes[0].dims == storm.dims
    assert top.start < storm.end and (top.end is None or top.end > storm.start)
    # The storm is a surge of the shipping-delay issue (one issue in both languages,
    # not a storm-worded fragment of its own), which leads the week's issues.
    assert top.issue_id is not None
    assert top.issue_id in {row.issue_id for row in d.top_issues[:3]}
    # Anomalous issues are highlighted with their evidence tickets.
    quoted = [h for h in d.highlights if h.reason == "anomaly"]
    assert quoted and all(1 <= len(h.tickets) <= 3 for h in quoted)
    evidence = next(a for a in d.anomalies if a.issue_id == quoted[0].issue_id).evidence_ticket_ids
    assert {t.external_id for t in quoted[0].tickets} <= set(evidence)
    # Volume rose at the storm's carrier and region, and the movers say so.
    moved = {(m.dimension, m.value) for m in d.movers if m.metric == "volume"}
    assert {("attributes.carrier", "SF"), ("attributes.region", "华南")} <= moved


def test_the_email_week_lists_slow_replies_and_its_cause(history) -> None:
    app, truth = history
    incident = truth["email-frt-regression"]
    d = app.digest.weekly("default", _week_of(incident), TZ)
    slow = [a for a in d.anomalies if a.metric == "first_response_time" and a.issue_id is None]
    assert slow and slow[0].root_causes[0].dims == (("channel", "email"),)


def test_an_empty_week_is_a_valid_digest_that_says_so(history) -> None:
    app, _ = history
    rendered = app.digest.rendered("default", "2020-W10", TZ)
    d = rendered.digest
    assert d.empty and d.current.volume == 0 and d.top_issues == ()
    assert d.anomalies == () and len(d.days) == 7
    assert "No tickets" in rendered.markdown and "No tickets" in rendered.html
    assert app.digest.weekly("nobody", "2026-W46", TZ).empty


def test_default_week_is_the_last_complete_one(history) -> None:
    app, _ = history
    d = app.digest.rendered("default", fmt=DigestFormat.DATA)
    assert d.markdown == d.html == ""
    assert d.digest.end <= app.digest._clock()
    assert d.digest.end > app.digest._clock() - timedelta(days=7)


@pytest.mark.parametrize(
    ("week", "zone", "field"),
    [
        ("2026-46", "UTC", "iso_week"),
        ("2026-W54", "UTC", "iso_week"),
        ("2025-W53", "UTC", "iso_week"),
        ("2026-W46", "Mars/Olympus", "time_zone"),
    ],
)
def test_bad_weeks_and_zones_name_the_field(history, week, zone, field) -> None:
    app, _ = history
    with pytest.raises(InvalidArgument) as err:
        app.digest.weekly("default", week, zone)
    assert [v.field for v in err.value.violations] == [field]


def test_a_week_in_another_zone_has_other_boundaries(history) -> None:
    app, truth = history
    week = _week_of(truth["shipping-storm"])
    shanghai = app.digest.weekly("default", week, TZ)
    utc = app.digest.weekly("default", week, "UTC")
    assert utc.start - shanghai.start == timedelta(hours=8)
    flt = TicketFilter(start_time=utc.start, end_time=utc.end)
    assert utc.current == app.metrics.get_metrics(MetricsQuery("default", flt)).overall


def test_a_built_digest_is_reused_until_its_inputs_change(tmp_path, history) -> None:
    app, truth = history
    week = _week_of(truth["shipping-storm"])
    first = app.digest.weekly("default", week, TZ)
    assert app.digest.weekly("default", week, TZ) is first
    # Another database, so the shared history stays untouched.
    other = App.open(history_settings(fresh_db(tmp_path, "copy")))
    try:
        ticket = one_ticket(app, first)
        other.tickets.ingest(ticket)
        before = other.digest.weekly("default", week, TZ)
        other.tickets.ingest(replace(ticket, external_id=ticket.external_id + "-again"))
        after = other.digest.weekly("default", week, TZ)
        assert after is not before and after.current.volume == before.current.volume + 1
    finally:
        other.close()


def one_ticket(app: App, d):
    """One stored ticket of the digest's week, to ingest elsewhere."""
    page = app.tickets.list("default", d.drill_down, page_size=1, include_messages=True)
    return page.tickets[0].ticket


def test_the_cache_keeps_no_facts_table_alive(history) -> None:
    """Each ingest makes a new facts table (hundreds of MB at a million tickets); a
    cache of digests for many weeks must not pin the old ones."""
    import numpy as np

    from ticketminer.metrics.facts_table import FactsTable

    app, truth = history
    app.digest.weekly("default", _week_of(truth["shipping-storm"]), TZ)
    for stamp, _ in app.digest._cache.values():
        assert not any(isinstance(part, FactsTable | np.ndarray) for part in stamp)
