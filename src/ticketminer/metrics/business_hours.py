"""Business seconds between instants, vectorised over a million tickets.

A calendar becomes the sorted, disjoint open intervals in UTC microseconds over
the span a query needs, with the open time accumulated before each. The business
time elapsed up to an instant t is then one `searchsorted` away:

    business(t) = cum[i] - max(close[i-1] - t, 0),  i = #intervals opening at or before t

and a duration's business seconds are business(end) - business(start). Intervals
are built once per (calendar, zone, span) and cached, so a query pays only for
the lookups.

A second is open when the tenant's wall clock shows an open time on a weekday
that is not a holiday. Each wall interval maps to UTC through the zone's offset
segments, so a day that springs forward loses the skipped hour and one that
falls back counts a repeated open hour twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from ticketminer.domain.business_hours import BusinessCalendar
from ticketminer.metrics.facts_table import DURATIONS, FactsTable

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
# Offsets are sampled this often to find DST transitions (none are closer together).
SAMPLE_US = 12 * HOUR_US
# Spans are widened to whole multiples of this many days, so nearby queries share
# the cached intervals.
SPAN_QUANTUM_DAYS = 64
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday: ISO weekday (days + 3) % 7 + 1
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
LAST_DAY = (date(2200, 1, 1) - date(1970, 1, 1)).days
FAR_PAST = np.array([-(2**62)], dtype=np.int64)  # an empty interval before any instant


@dataclass(frozen=True, slots=True)
class OpenIntervals:
    opens: np.ndarray  # int64 UTC µs, sorted, disjoint; [0] is the sentinel
    closes: np.ndarray
    cum: np.ndarray  # cum[i]: open µs in intervals 0..i-1 (len n + 1)

    def business_us(self, t: np.ndarray) -> np.ndarray:
        """Open microseconds from the span's start up to each instant of `t`. The first
        interval is an empty sentinel in the far past, so every t has one before it."""
        i = np.searchsorted(self.opens, t, side="right")
        return self.cum[i] - np.maximum(self.closes[i - 1] - t, 0)


def intervals_between(
    calendar: BusinessCalendar, zone: str, start_us: int, end_us: int
) -> OpenIntervals:
    """The open intervals covering [start_us, end_us] (widened, and cached). Only
    1970 to 2199 is ever open, so a ticket dated in year 1 costs no more than any."""
    first = (start_us // DAY_US - 2) // SPAN_QUANTUM_DAYS * SPAN_QUANTUM_DAYS
    last = -(-(end_us // DAY_US + 3) // SPAN_QUANTUM_DAYS) * SPAN_QUANTUM_DAYS
    first, last = min(max(first, 0), LAST_DAY), min(max(last, 0), LAST_DAY)
    return _intervals(calendar, zone, int(first), int(last))


@lru_cache(maxsize=32)
def _intervals(
    calendar: BusinessCalendar, zone: str, first_day: int, last_day: int
) -> OpenIntervals:
    wall_open, wall_close = _wall_intervals(calendar, first_day, last_day)
    opens, closes = [], []
    bounds, offsets = _offset_segments(ZoneInfo(zone), first_day * DAY_US, last_day * DAY_US)
    for seg_start, seg_end, offset in zip(bounds, bounds[1:], offsets, strict=False):
        # Wall intervals are at most a day long: only these can meet the segment.
        lo = np.searchsorted(wall_open, seg_start + offset - DAY_US)
        hi = np.searchsorted(wall_open, seg_end + offset)
        o = np.maximum(wall_open[lo:hi] - offset, seg_start)
        c = np.minimum(wall_close[lo:hi] - offset, seg_end)
        keep = c > o
        opens.append(o[keep])
        closes.append(c[keep])
    o, c = np.concatenate([FAR_PAST, *opens]), np.concatenate([FAR_PAST, *closes])
    cum = np.concatenate([[0], np.cumsum(c - o)]).astype(np.int64)
    for array in (o, c, cum):
        array.flags.writeable = False  # shared through the cache
    return OpenIntervals(o, c, cum)


def _wall_intervals(
    calendar: BusinessCalendar, first_day: int, last_day: int
) -> tuple[np.ndarray, np.ndarray]:
    """Open intervals as local wall-clock µs since the local epoch, sorted."""
    days = np.arange(first_day, last_day, dtype=np.int64)
    weekday = (days + EPOCH_WEEKDAY) % 7 + 1
    holidays = np.array([d.toordinal() - EPOCH_ORDINAL for d in calendar.holidays], np.int64)
    working = ~np.isin(days, holidays)
    opens, closes = [], []
    for day_of_week, open_minute, close_minute in calendar.intervals():
        chosen = days[working & (weekday == day_of_week)] * DAY_US
        opens.append(chosen + open_minute * MINUTE_US)
        closes.append(chosen + close_minute * MINUTE_US)
    wall_open = np.concatenate(opens) if opens else np.zeros(0, np.int64)
    wall_close = np.concatenate(closes) if closes else np.zeros(0, np.int64)
    order = np.argsort(wall_open, kind="stable")
    return wall_open[order], wall_close[order]


def _offset_us(tz: ZoneInfo, us: int) -> int:
    offset = datetime.fromtimestamp(us // SECOND_US, UTC).astimezone(tz).utcoffset()
    return round(offset.total_seconds() * SECOND_US) if offset is not None else 0


def _offset_segments(tz: ZoneInfo, start_us: int, end_us: int) -> tuple[list[int], list[int]]:
    """UTC bounds of the zone's constant-offset stretches over [start_us, end_us)
    (len(offsets) + 1 bounds), each transition found to the second."""
    samples = [*range(start_us, end_us, SAMPLE_US), end_us]
    values = [_offset_us(tz, s) for s in samples]
    bounds, offsets = [start_us], [values[0]]
    for a, b, before, after in zip(samples, samples[1:], values, values[1:], strict=False):
        if after != before:
            bounds.append(_transition(tz, a, b, before))
            offsets.append(after)
    bounds.append(end_us)
    return bounds, offsets


def _transition(tz: ZoneInfo, lo_us: int, hi_us: int, before: int) -> int:
    """The first second in (lo, hi] whose offset is no longer `before`."""
    lo, hi = lo_us // SECOND_US, hi_us // SECOND_US
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_us(tz, mid * SECOND_US) == before:
            lo = mid
        else:
            hi = mid
    return hi * SECOND_US


def business_seconds(
    calendar: BusinessCalendar, zone: str, start_us: np.ndarray, end_us: np.ndarray
) -> np.ndarray:
    """Business seconds in [start, end) for each pair (float64)."""
    if len(start_us) == 0:
        return np.zeros(0)
    span = intervals_between(
        calendar, zone, int(min(start_us.min(), end_us.min())), int(end_us.max())
    )
    return (span.business_us(end_us) - span.business_us(start_us)) / SECOND_US


def business_columns(
    facts: FactsTable, rows: np.ndarray, calendar: BusinessCalendar, zone: str
) -> dict[str, np.ndarray]:
    """Each duration column of `rows` in business seconds (NaN where it has no value):
    the same end instant, created_us + the calendar duration, counted in open time."""
    if len(rows) == 0:
        return {name: np.zeros(0) for name in DURATIONS}
    created = facts.created_us[rows]
    seconds = {name: facts.numeric[name][rows] for name in DURATIONS}
    # Whole columns, a missing value ending at creation: cheaper than compressing.
    ends = {
        name: created + np.rint(np.nan_to_num(s, nan=0.0) * SECOND_US).astype(np.int64)
        for name, s in seconds.items()
    }
    last = max(int(e.max()) for e in ends.values())
    span = intervals_between(calendar, zone, int(created.min()), last)
    at_start = span.business_us(created)
    out = {}
    for name, end in ends.items():
        column = (span.business_us(end) - at_start) / SECOND_US
        column[np.isnan(seconds[name])] = np.nan
        out[name] = column
    return out
