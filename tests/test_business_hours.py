"""Business-hours durations: seconds worked out by hand for known calendars (a lunch
break and a holiday in Shanghai, a DST weekend in New York), the same values side by
side with calendar values through GetMetrics, and properties of the vectorised
arithmetic against a minute-by-minute reference loop."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import numpy as np
import pytest
from builders import agent, customer, ticket
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from issue_corpus import TOPICS, topic_tickets

from ticketminer.domain.business_hours import BusinessCalendar, OpeningHours
from ticketminer.domain.filters import FcrVariant
from ticketminer.domain.model import Ticket, TicketStatus
from ticketminer.domain.tenant_settings import TenantSettings
from ticketminer.domain.timeutil import from_us, to_us
from ticketminer.metrics.business_hours import business_seconds
from ticketminer.metrics.definitions import definitions
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

SH, NY = "Asia/Shanghai", "America/New_York"
WEEKDAYS = (1, 2, 3, 4, 5)
HOLIDAY = date(2026, 3, 4)  # a Wednesday
# Mon-Fri 09:00-12:00 and 13:00-18:00 (lunch 12-13), closed on HOLIDAY.
SHANGHAI = BusinessCalendar(
    (OpeningHours(WEEKDAYS, 9 * 60, 12 * 60), OpeningHours(WEEKDAYS, 13 * 60, 18 * 60)),
    (HOLIDAY,),
)
NY_OFFICE = BusinessCalendar((OpeningHours(WEEKDAYS, 9 * 60, 17 * 60),))
ALWAYS = BusinessCalendar((OpeningHours((1, 2, 3, 4, 5, 6, 7), 0, 24 * 60),))
H, MIN = 3600.0, 60.0


def local_us(zone: str, *fields: int) -> int:
    return to_us(datetime(*fields, tzinfo=ZoneInfo(zone)))  # type: ignore[misc]


def business(calendar: BusinessCalendar, zone: str, start: tuple, end: tuple) -> float:
    starts = np.array([local_us(zone, *start)], dtype=np.int64)
    ends = np.array([local_us(zone, *end)], dtype=np.int64)
    return float(business_seconds(calendar, zone, starts, ends)[0])


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Friday 17:00 to Monday 10:00: Fri 17-18 and Mon 9-10.
        ((2026, 3, 6, 17), (2026, 3, 9, 10), 2 * H),
        # Saturday to Monday 09:30: only Monday's first half hour.
        ((2026, 3, 7, 10), (2026, 3, 9, 9, 30), 30 * MIN),
        # Tuesday 17:00 to Thursday 10:00 across the Wednesday holiday.
        ((2026, 3, 3, 17), (2026, 3, 5, 10), 2 * H),
        # Created and answered inside the lunch break.
        ((2026, 3, 3, 12, 10), (2026, 3, 3, 12, 50), 0.0),
        # Across the lunch break: 11:30-12:00 and 13:00-13:30.
        ((2026, 3, 3, 11, 30), (2026, 3, 3, 13, 30), 1 * H),
        # A whole working week with the holiday: 4 days of 8 hours.
        ((2026, 3, 2, 0), (2026, 3, 9, 0), 32 * H),
        # Before opening to after closing on one day: all 8 hours.
        ((2026, 3, 5, 7), (2026, 3, 5, 20), 8 * H),
    ],
)
def test_shanghai_calendar_by_hand(start, end, expected) -> None:
    assert business(SHANGHAI, SH, start, end) == expected


def test_a_dst_weekend_in_new_york() -> None:
    # Fri 2026-03-06 16:00 EST to Mon 2026-03-09 10:00 EDT: 65 calendar hours (the
    # clocks sprang forward on Sunday), 2 business hours.
    start, end = (2026, 3, 6, 16), (2026, 3, 9, 10)
    assert (local_us(NY, *end) - local_us(NY, *start)) / 1e6 == 65 * H
    assert business(NY_OFFICE, NY, start, end) == 2 * H
    # Open around the clock, business time is calendar time: 23 h on the day that
    # springs forward, 25 h on the day that falls back.
    assert business(ALWAYS, NY, (2026, 3, 8, 0), (2026, 3, 9, 0)) == 23 * H
    assert business(ALWAYS, NY, (2026, 11, 1, 0), (2026, 11, 2, 0)) == 25 * H
    # An hour that happens twice is open twice; a skipped hour never.
    night = BusinessCalendar((OpeningHours((7,), 60, 150),))  # Sundays 01:00-02:30
    assert business(night, NY, (2026, 11, 1, 0), (2026, 11, 2, 0)) == 2.5 * H
    assert business(night, NY, (2026, 3, 8, 0), (2026, 3, 9, 0)) == 1 * H


def test_definitions_name_the_calendar_and_zone() -> None:
    plain = {d.name: d for d in definitions(FcrVariant.DEFAULT)}
    assert plain["calendar"].variant == "calendar_time" and "business_resolution_time" not in plain
    named = {d.name: d for d in definitions(FcrVariant.DEFAULT, SHANGHAI, SH)}
    assert named["calendar"].variant == "calendar_and_business_hours"
    assert SH in named["calendar"].definition
    assert "Mon-Fri 09:00-12:00, Mon-Fri 13:00-18:00; 1 holiday(s)" in named["calendar"].definition
    for name in ("first_response_time", "resolution_time", "full_resolution_time"):
        assert named[f"business_{name}"].variant == "business_hours"


# --- GetMetrics ----------------------------------------------------------------

# builders.T0 is Mon 2026-03-02 09:00Z = 17:00 in Shanghai; times are minutes after it.
TUE_0930 = 16 * 60 + 30
SAT_1000 = 113 * 60
S = TicketStatus.SOLVED


def tickets(tenant: str) -> list[Ticket]:
    """Minutes of calendar time -> of business time, worked out by hand."""
    return [
        # a: answered Mon 17:30 (30 -> 30), solved Tue 10:00 (1020 -> Mon 17-18, Tue 9-10 = 120).
        ticket("a", 0, agent(30), status=S, solved=17 * 60, channel="email", tenant_id=tenant),
        # b: created Mon 20:00, answered Tue 09:30 (810 -> 30), solved Thu 09:30 (3690 ->
        # Tue 9-12 and 13-18 = 480, Wednesday a holiday, Thu 9-9:30 = 30: 510).
        ticket("b", 180, customer(180), agent(TUE_0930), status=S,
               solved=TUE_0930 + 2 * 24 * 60, channel="email", tenant_id=tenant),
        # c: created Tue 12:10 and answered 12:50, inside the lunch break (40 -> 0).
        ticket("c", 19 * 60 + 10, agent(19 * 60 + 50), channel="chat", tenant_id=tenant),
        # d: created Sat 10:00, answered Mon 09:30 (2850 -> 30).
        ticket("d", SAT_1000, agent(SAT_1000 + 2850), channel="chat", tenant_id=tenant),
        # e: created Tue 07:00 in Shanghai (still Monday in UTC), never answered.
        ticket("e", 14 * 60, channel="chat", tenant_id=tenant),
    ]  # fmt: skip


@pytest.fixture
def served(settings):
    srv = Server(settings).start()
    for tenant in ("sh", "plain"):
        for t in tickets(tenant):
            srv.app.tickets.ingest(t)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield pb_grpc.TicketMinerStub(channel)
    finally:
        srv.stop(grace=1)


def _calendar_proto() -> pb.BusinessHours:
    days = [pb.WEEKDAY_MONDAY + i for i in range(5)]
    return pb.BusinessHours(
        hours=[
            pb.OpeningHours(weekdays=days, open="09:00", close="12:00"),
            pb.OpeningHours(weekdays=days, open="13:00", close="18:00"),
        ],
        holidays=[HOLIDAY.isoformat()],
    )


def _set_calendar(stub, tenant: str) -> None:
    settings = pb.TenantSettings(tenant_id=tenant, time_zone=SH, business_hours=_calendar_proto())
    request = pb.UpdateTenantSettingsRequest(settings=settings)
    request.update_mask.paths.extend(["time_zone", "business_hours"])
    stub.UpdateTenantSettings(request, timeout=10)


def _stats(d: pb.DurationStats) -> tuple:
    return (d.n, d.mean_seconds / MIN, d.p50_seconds / MIN, d.p90_seconds / MIN)


def test_get_metrics_gives_calendar_and_business_values_side_by_side(served) -> None:
    stub = served
    _set_calendar(stub, "sh")
    request = pb.GetMetricsRequest(
        tenant_id="sh", granularity=pb.GRANULARITY_DAY, group_by="channel"
    )
    report = stub.GetMetrics(request, timeout=10)
    m = report.overall
    # First response, minutes: calendar a 30, b 810, c 40, d 2850; in hours 30, 30, 0, 30.
    assert _stats(m.first_response_time) == pytest.approx((4, 932.5, 425, 2238))
    assert _stats(m.business_first_response_time) == pytest.approx((4, 22.5, 30, 30))
    # Resolution, minutes: calendar a 1020, b 3690; in hours a 120, b 510.
    assert _stats(m.resolution_time) == pytest.approx((2, 2355, 2355, 3423))
    assert _stats(m.business_resolution_time) == pytest.approx((2, 315, 315, 471))
    assert _stats(m.business_full_resolution_time) == pytest.approx((2, 315, 315, 471))

    # The tenant's zone buckets the days: e is Tuesday in Shanghai (Monday in UTC).
    assert report.time_zone == SH
    days = {p.label: p.metrics for p in report.series if p.metrics.volume}
    assert {k: v.volume for k, v in days.items()} == {
        "2026-03-02": 2,
        "2026-03-03": 2,
        "2026-03-07": 1,
    }
    monday = days["2026-03-02"].business_first_response_time
    assert (monday.n, monday.p50_seconds) == (2, 30 * MIN)
    email = next(g for g in report.groups if g.value == "email")
    assert _stats(email.metrics.business_resolution_time) == pytest.approx((2, 315, 315, 471))
    assert email.series[0].metrics.HasField("business_first_response_time")
    # An empty bucket under a calendar still says "no tickets" in business hours.
    empty = next(p for p in report.series if p.metrics.volume == 0)
    assert empty.metrics.HasField("business_resolution_time")
    assert empty.metrics.business_resolution_time.n == 0

    names = {d.name: d.variant for d in report.definitions}
    assert names["calendar"] == "calendar_and_business_hours"
    assert names["business_first_response_time"] == "business_hours"


def test_no_calendar_no_business_values(served) -> None:
    stub = served
    _set_calendar(stub, "sh")
    request = pb.GetMetricsRequest(tenant_id="plain", granularity=pb.GRANULARITY_DAY)
    report = stub.GetMetrics(request, timeout=10)
    sets = [report.overall] + [p.metrics for p in report.series]
    for name in ("first_response_time", "resolution_time", "full_resolution_time"):
        assert not any(s.HasField(f"business_{name}") for s in sets)
    assert report.overall.first_response_time.n == 4
    assert report.time_zone == "UTC"
    assert {d.name: d.variant for d in report.definitions}["calendar"] == "calendar_time"


# --- properties ------------------------------------------------------------------

ZONES = ("UTC", SH, NY, "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata")
START = to_us(datetime(2026, 1, 1, tzinfo=UTC))
SPAN_MINUTES = 2 * 366 * 24 * 60


@st.composite
def calendars(draw) -> BusinessCalendar:
    """1-4 opening intervals on random weekdays, none overlapping on a weekday."""
    hours: list[OpeningHours] = []
    for _ in range(draw(st.integers(1, 4))):
        days = tuple(sorted(draw(st.sets(st.integers(1, 7), min_size=1, max_size=7))))
        lo = draw(st.integers(0, 1439))
        hi = draw(st.integers(lo + 1, 1440))
        clash = any(
            set(days) & set(h.weekdays) and lo < h.close_minute and h.open_minute < hi
            for h in hours
        )
        if not clash:
            hours.append(OpeningHours(days, lo, hi))
    first = date(2026, 1, 1)
    holidays = draw(st.sets(st.integers(0, 800), max_size=30))
    return BusinessCalendar(
        tuple(hours), tuple(sorted(first + timedelta(days=d) for d in holidays))
    )


# UTC days with a DST change in one of ZONES: starts near them put most examples of
# a few days' length across a transition.
DST_DAYS = ("2026-03-08", "2026-03-29", "2026-04-05", "2026-10-04", "2026-10-25", "2026-11-01")


def _dst_near() -> st.SearchStrategy:
    days = [(date.fromisoformat(d) - date(2026, 1, 1)).days * 1440 for d in DST_DAYS]
    return st.builds(lambda d, back: max(d - back, 0), st.sampled_from(days), st.integers(0, 2880))


def _start() -> st.SearchStrategy:
    return st.one_of(st.integers(0, SPAN_MINUTES), _dst_near())


def _minutes(n: int) -> st.SearchStrategy:
    return st.lists(_start(), min_size=n, max_size=n).map(sorted)


PROPERTY = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendar=calendars(), zone=st.sampled_from(ZONES), points=_minutes(3))
def test_business_is_within_calendar_and_additive(calendar, zone, points) -> None:
    a, b, c = (np.array([START + p * 60_000_000], dtype=np.int64) for p in points)
    ab, bc, ac = (business_seconds(calendar, zone, x, y)[0] for x, y in ((a, b), (b, c), (a, c)))
    assert 0 <= ab <= (b - a)[0] / 1e6
    assert ac == pytest.approx(ab + bc, abs=1e-6)


def _reference(calendar: BusinessCalendar, zone: str, start_us: int, end_us: int) -> float:
    """Minute by minute: is the local wall clock inside an opening on a working day?"""
    tz = ZoneInfo(zone)
    open_minutes = 0
    for t in range(start_us, end_us, 60_000_000):
        local = from_us(t).astimezone(tz)
        minute = local.hour * 60 + local.minute
        open_minutes += local.date() not in calendar.holidays and any(
            local.isoweekday() in h.weekdays and h.open_minute <= minute < h.close_minute
            for h in calendar.hours
        )
    return open_minutes * 60.0


@PROPERTY
@given(
    calendar=calendars(),
    zone=st.sampled_from(ZONES),
    starts=st.lists(_start(), min_size=1, max_size=3),
    lengths=st.lists(st.integers(0, 3 * 24 * 60), min_size=3, max_size=3),
)
def test_vectorised_equals_a_slow_reference_loop(calendar, zone, starts, lengths) -> None:
    start = np.array([START + s * 60_000_000 for s in starts], dtype=np.int64)
    end = start + np.array(lengths[: len(starts)], dtype=np.int64) * 60_000_000
    got = business_seconds(calendar, zone, start, end)
    want = [_reference(calendar, zone, int(s), int(e)) for s, e in zip(start, end, strict=True)]
    assert got.tolist() == want


@PROPERTY
@given(zone=st.sampled_from(ZONES), points=_minutes(2))
def test_open_around_the_clock_is_calendar_time(zone, points) -> None:
    a, b = (np.array([START + p * 60_000_000], dtype=np.int64) for p in points)
    assert business_seconds(ALWAYS, zone, a, b)[0] == (b - a)[0] / 1e6


def test_issues_follow_the_tenants_zone_and_calendar(app) -> None:
    tickets, _ = topic_tickets(dict(list(TOPICS.items())[:3]), per_topic=30)
    assert app.tickets.ingest_bulk(tickets).rejected == 0
    app.issues.recluster("default")
    app.tenants.update(
        TenantSettings("default", time_zone=SH, business_hours=SHANGHAI),
        ("time_zone", "business_hours"),
    )
    listing = app.issues.list_issues("default", None, None)
    assert "business_first_response_time" in {d.name for d in listing.definitions}
    top = listing.issues[0]
    assert top.metrics.business_first_response_time is not None
    detail = app.issues.get_issue("default", top.record.issue_id, None, None)
    assert detail.time_zone == SH
    assert detail.daily[0].start_time.utcoffset() == timedelta(hours=8)
    assert all(p.metrics.business_resolution_time is not None for p in detail.daily)
    asked = app.issues.get_issue("default", top.record.issue_id, None, None, "UTC")
    assert asked.time_zone == "UTC"
