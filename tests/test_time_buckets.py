"""Local-calendar buckets, including days that are not 24 hours long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from ticketminer.domain.errors import InvalidArgument
from ticketminer.domain.filters import Granularity
from ticketminer.metrics.time_buckets import bucket_starts, label


def test_days_follow_local_midnight_across_dst():
    # Europe/Berlin springs forward on 2026-03-29: that day has 23 hours.
    start = datetime(2026, 3, 28, 12, tzinfo=UTC)
    edges = bucket_starts(start, start + timedelta(days=2), Granularity.DAY, "Europe/Berlin")
    utc = [e.astimezone(UTC) for e in edges]
    lengths = [(b - a).total_seconds() / 3600 for a, b in pairwise(utc)]
    assert [label(e, Granularity.DAY) for e in edges[:3]] == [
        "2026-03-28",
        "2026-03-29",
        "2026-03-30",
    ]
    assert lengths[:2] == [24, 23]


def test_weeks_start_on_monday_and_are_iso_labelled():
    start = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday, ISO week 1 of 2026
    edges = bucket_starts(start, start + timedelta(days=8), Granularity.WEEK, "UTC")
    assert edges[0] == datetime(2025, 12, 29, tzinfo=UTC)
    assert label(edges[0], Granularity.WEEK) == "2026-W01"


def test_hours_in_a_half_hour_zone():
    start = datetime(2026, 3, 2, 0, 10, tzinfo=UTC)  # 05:40 in Kolkata
    edges = bucket_starts(start, start + timedelta(hours=2), Granularity.HOUR, "Asia/Kolkata")
    assert edges[0] == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert label(edges[0], Granularity.HOUR) == "2026-03-02T05:00+05:30"


def test_too_many_buckets_is_rejected():
    start = datetime(2000, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidArgument):
        bucket_starts(start, start + timedelta(days=3650), Granularity.HOUR, "UTC")
