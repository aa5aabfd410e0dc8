"""ISO weeks in the tenant's time zone: boundaries, DST, 53-week years, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketminer.digest.weeks import IsoWeek, weeks_in_year


def test_week_window_is_local_monday_to_monday() -> None:
    start, end = IsoWeek.parse("2026-W46").window("Asia/Shanghai")
    assert start == datetime(2026, 11, 8, 16, 0, tzinfo=UTC)  # Mon 9 Nov 00:00 +08:00
    assert end - start == timedelta(days=7)
    assert IsoWeek.parse("2026-W46").window("UTC")[0] == datetime(2026, 11, 9, tzinfo=UTC)


def test_week_with_a_dst_change_is_not_168_hours() -> None:
    start, end = IsoWeek.parse("2026-W10").window("America/New_York")  # DST starts 8 March
    assert end - start == timedelta(hours=167)
    start, end = IsoWeek.parse("2026-W44").window("America/New_York")  # ends 1 November
    assert end - start == timedelta(hours=169)


def test_year_boundaries_and_53_week_years() -> None:
    assert weeks_in_year(2026) == 53 and weeks_in_year(2027) == 52
    assert str(IsoWeek.parse("2026-W53").shifted(1)) == "2027-W01"
    assert str(IsoWeek.parse("2027-W01").shifted(-1)) == "2026-W53"
    # 1 January 2027 is a Friday of 2026-W53 in local time.
    assert IsoWeek.containing(datetime(2027, 1, 1, 12, tzinfo=UTC), "UTC") == IsoWeek(2026, 53)
    # Sunday 23:30 in Shanghai (15:30 UTC) belongs to the local week that ends then.
    sunday_night = datetime(2026, 11, 15, 15, 30, tzinfo=UTC)  # 23:30 +08:00 Sunday
    assert str(IsoWeek.containing(sunday_night, "Asia/Shanghai")) == "2026-W46"


@pytest.mark.parametrize("text", ["2026-46", "2026-W54", "2027-W53", "2026-W00", "W46", ""])
def test_bad_weeks_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


@given(st.dates(min_value=datetime(1990, 1, 1).date(), max_value=datetime(2090, 1, 1).date()))
def test_every_day_lies_in_its_week_window(day) -> None:
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    week = IsoWeek.containing(moment, "UTC")
    start, end = IsoWeek.parse(str(week)).window("UTC")
    assert start <= moment < end
