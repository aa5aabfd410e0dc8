"""GetMetrics arithmetic on five hand-built tickets; every expected value below was
worked out by hand from the ticket timelines (minutes after Mon 2026-03-02 09:00Z)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import agent, at, bot, customer, ticket

from ticketminer.domain.filters import (
    Cohort,
    FcrVariant,
    Granularity,
    GroupBy,
    MetricsQuery,
    TicketFilter,
)
from ticketminer.domain.model import TicketStatus

S, C, OPEN = TicketStatus.SOLVED, TicketStatus.CLOSED, TicketStatus.OPEN
DAY = 24 * 60
MIN = 60.0


@pytest.fixture
def loaded(app):
    tickets = [
        # a: one touch, 30 min response, solved after 90 min, CSAT 5.
        ticket("a", 0, agent(30), status=S, solved=90, channel="email", csat=5,
               attributes={"carrier": "SF"}),
        # b: two replies (not one-touch), but no customer message after the first reply.
        ticket("b", 60, customer(60), agent(70), agent(75), status=C, solved=180,
               channel="email", csat=2, attributes={"carrier": "SF"}),
        # c: reopened: first solve at 150, last at 400.
        ticket("c", 120, agent(125), status=S, first_solved=150, solved=400, reopens=1,
               channel="chat", attributes={"carrier": "YTO"}),
        # d: open, untouched, no carrier.
        ticket("d", DAY, status=OPEN, channel="chat"),
        # e: only a bot answered, so no first response.
        ticket("e", DAY + 30, bot(DAY + 31), status=OPEN, channel="chat",
               attributes={"carrier": "SF"}),
    ]  # fmt: skip
    for t in tickets:
        app.tickets.ingest(t)
    return app


def metrics(app, **kwargs):
    return app.metrics.get_metrics(MetricsQuery(tenant_id="default", **kwargs))


def test_overall_metrics_match_hand_computation(loaded):
    m = metrics(loaded).overall
    assert m.volume == 5 and m.solved == 3
    assert (m.fcr.numerator, m.fcr.denominator) == (1, 3)
    frt = m.first_response_time
    assert frt.n == 3  # 5, 10 and 30 minutes
    assert frt.mean_seconds == pytest.approx(15 * MIN)
    assert frt.p50_seconds == pytest.approx(10 * MIN)
    assert frt.p90_seconds == pytest.approx(26 * MIN)  # 10 + 0.8 * (30 - 10)
    res = m.resolution_time  # 30, 90 and 120 minutes to the first solve
    assert (res.n, res.mean_seconds, res.p50_seconds) == (3, 80 * MIN, 90 * MIN)
    assert res.p90_seconds == pytest.approx(114 * MIN)
    full = m.full_resolution_time  # 90, 120 and 280 minutes to the last solve
    assert full.mean_seconds == pytest.approx(490 / 3 * MIN)
    assert full.p50_seconds == pytest.approx(120 * MIN)
    assert full.p90_seconds == pytest.approx(248 * MIN)
    assert (m.reopen_rate.numerator, m.reopen_rate.denominator) == (1, 3)
    assert (m.csat.n, m.csat.mean, m.csat.satisfied_share) == (2, 3.5, 0.5)
    assert m.csat.counts == (0, 1, 0, 0, 1)


def test_no_customer_followup_variant(loaded):
    report = metrics(loaded, fcr_variant=FcrVariant.NO_CUSTOMER_FOLLOWUP)
    assert (report.overall.fcr.numerator, report.overall.fcr.denominator) == (2, 3)
    fcr = next(d for d in report.definitions if d.name == "fcr")
    assert fcr.variant == "no_customer_followup"
    assert next(d for d in metrics(loaded).definitions if d.name == "fcr").variant == "one_touch"


def test_group_by_channel(loaded):
    report = metrics(loaded, group_by=GroupBy("channel"))
    groups = {g.value: g.metrics for g in report.groups}
    assert [g.value for g in report.groups] == ["chat", "email"]  # by volume
    assert groups["email"].volume == 2 and groups["chat"].volume == 3
    assert (groups["email"].fcr.numerator, groups["email"].fcr.denominator) == (1, 2)
    assert (groups["chat"].fcr.numerator, groups["chat"].fcr.denominator) == (0, 1)
    assert groups["chat"].first_response_time.n == 1
    assert report.total_groups == 2


def test_group_by_attribute_includes_tickets_without_it(loaded):
    report = metrics(loaded, group_by=GroupBy("attribute", "carrier"))
    assert [(g.value, g.metrics.volume) for g in report.groups] == [
        ("SF", 3),
        ("", 1),
        ("YTO", 1),
    ]
    assert report.group_by == "attributes.carrier"


def test_daily_series_in_a_far_east_time_zone(loaded):
    # Kiritimati is UTC+14: ticket a (09:00Z) is still 2 March there, b..e fall on 3 March.
    window = TicketFilter(
        start_time=datetime(2026, 3, 2, tzinfo=UTC), end_time=datetime(2026, 3, 4, tzinfo=UTC)
    )
    report = metrics(
        loaded, filter=window, granularity=Granularity.DAY, time_zone="Pacific/Kiritimati"
    )
    assert [(p.label, p.metrics.volume) for p in report.series] == [
        ("2026-03-02", 1),
        ("2026-03-03", 4),
        ("2026-03-04", 0),
    ]
    # Drill-downs are clipped to the requested window.
    assert report.series[0].drill_down.start_time == window.start_time
    assert report.series[-1].drill_down.end_time == window.end_time


def test_hourly_and_weekly_series(loaded):
    hourly = metrics(loaded, granularity=Granularity.HOUR)
    assert [p.metrics.volume for p in hourly.series[:3]] == [1, 1, 1]  # 09:00, 10:00, 11:00
    assert sum(p.metrics.volume for p in hourly.series) == 5
    weekly = metrics(loaded, granularity=Granularity.WEEK)
    assert [(p.label, p.metrics.volume) for p in weekly.series] == [("2026-W10", 5)]


def test_group_series_sum_to_group_totals(loaded):
    report = metrics(loaded, group_by=GroupBy("channel"), granularity=Granularity.DAY)
    for group in report.groups:
        assert sum(p.metrics.volume for p in group.series) == group.metrics.volume
        assert len(group.series) == len(report.series)


def test_every_number_drills_down_to_its_tickets(loaded):
    report = metrics(loaded, group_by=GroupBy("attribute", "carrier"), granularity=Granularity.DAY)
    cells = [(report.overall, report.drill_down)]
    cells += [(g.metrics, g.drill_down) for g in report.groups]
    cells += [(p.metrics, p.drill_down) for g in report.groups for p in g.series]
    for metric_set, drill in cells:
        page = loaded.tickets.list("default", drill, page_size=100)
        assert page.total_size == metric_set.volume
        assert len(page.tickets) == metric_set.volume


def test_cohorts_select_the_tickets_behind_a_ratio(loaded):
    def ids(cohort, variant=FcrVariant.DEFAULT):
        flt = TicketFilter(cohort=cohort, fcr_variant=variant)
        return sorted(s.ticket.external_id for s in loaded.tickets.list("default", flt).tickets)

    assert ids(Cohort.FCR) == ["a"]
    assert ids(Cohort.NOT_FCR) == ["b", "c"]
    assert ids(Cohort.FCR, FcrVariant.NO_CUSTOMER_FOLLOWUP) == ["a", "b"]
    assert ids(Cohort.RESPONDED) == ["a", "b", "c"]
    assert ids(Cohort.UNRESPONDED) == ["d", "e"]
    assert ids(Cohort.REOPENED) == ["c"]
    assert ids(Cohort.RATED) == ["a", "b"]
    assert ids(Cohort.SOLVED) == ["a", "b", "c"]


def test_filters_combine(loaded):
    def volume(**f):
        return metrics(loaded, filter=TicketFilter(**f)).overall.volume

    assert volume(channels=("chat",)) == 3
    assert volume(channels=("chat", "email")) == 5
    assert volume(channels=("phone",)) == 0
    assert volume(attributes=(("carrier", "SF"),)) == 3
    assert volume(attributes=(("carrier", ""),)) == 1
    assert volume(attributes=(("carrier", "SF"),), channels=("email",)) == 2
    assert volume(statuses=(TicketStatus.OPEN,)) == 2
    assert volume(start_time=at(DAY)) == 2


def test_updates_are_seen_by_the_next_query(loaded):
    assert metrics(loaded).overall.solved == 3
    loaded.tickets.ingest(ticket("d", DAY, agent(DAY + 5), status=S, solved=DAY + 10,
                                 channel="chat"))  # fmt: skip
    m = metrics(loaded).overall
    assert (m.volume, m.solved, m.fcr.numerator) == (5, 4, 2)
    by_carrier = metrics(loaded, group_by=GroupBy("attribute", "carrier"))
    loaded.tickets.ingest(
        ticket("d", DAY, status=OPEN, channel="chat", attributes={"carrier": "ZTO"})
    )
    after = metrics(loaded, group_by=GroupBy("attribute", "carrier"))
    assert {g.value for g in by_carrier.groups} == {"SF", "", "YTO"}
    assert {g.value: g.metrics.volume for g in after.groups} == {"SF": 3, "YTO": 1, "ZTO": 1}


def test_empty_tenant_answers_zeroes(app):
    m = metrics(app).overall
    assert m.volume == 0 and m.fcr.value is None and m.first_response_time.n == 0
