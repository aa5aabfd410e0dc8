"""Calendar buckets (hour, day, ISO week) in the caller's time zone.

Days and weeks start at local midnight, so a day bucket across a DST change is 23
or 25 hours long; hours are absolute hours aligned to the local clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import Granularity

MAX_BUCKETS = 20_000


def _floor_local(moment: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    if granularity == Granularity.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    if granularity == Granularity.WEEK:
        day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _next(start_local: datetime, granularity: Granularity, tz: ZoneInfo) -> datetime:
    if granularity == Granularity.HOUR:
        return (start_local + timedelta(hours=1)).astimezone(tz)
    step = 7 if granularity == Granularity.WEEK else 1
    day = start_local.date() + timedelta(days=step)
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def label(start_local: datetime, granularity: Granularity) -> str:
    if granularity == Granularity.HOUR:
        return start_local.isoformat(timespec="minutes")
    if granularity == Granularity.WEEK:
        year, week, _ = start_local.isocalendar()
        return f"{year}-W{week:02d}"
    return start_local.date().isoformat()


def bucket_starts(
    start: datetime, end: datetime, granularity: Granularity, time_zone: str
) -> list[datetime]:
    """Local-time bucket starts covering [start, end), plus the final edge."""
    tz = ZoneInfo(time_zone)
    edges = [_floor_local(start, granularity, tz)]
    while edges[-1] < end:
        if len(edges) > MAX_BUCKETS:
            raise InvalidArgument(
                [
                    FieldViolation(
                        "granularity",
                        f"the window holds more than {MAX_BUCKETS} buckets; "
                        "narrow the window or use a coarser granularity",
                    )
                ]
            )
        edges.append(_next(edges[-1], granularity, tz))
    return edges
