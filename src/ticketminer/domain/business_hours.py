"""A tenant's business-hours calendar as a plain value: when its desk is open.

Kept apart from gRPC and numpy: the API layer parses the wire form into it, the
tenant settings store it, and `metrics.business_hours` turns it into open
intervals in UTC. Times are minutes after local midnight, read in the tenant's
time zone; 1440 ("24:00") closes at the end of the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ticketminer.domain.errors import FieldViolation

MINUTES_PER_DAY = 1440
MAX_OPENING_HOURS = 64
MAX_HOLIDAYS = 1000
WEEKDAYS = range(1, 8)  # ISO 8601: 1 = Monday ... 7 = Sunday
_CLOCK = re.compile(r"(\d\d):(\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def parse_clock(text: str) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" is the end of the day)."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f'must be "HH:MM", got {text!r}')
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"not a time of day: {text!r}")
    return hours * 60 + minutes


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_date(text: str) -> date:
    """A strict "YYYY-MM-DD" (date.fromisoformat alone also takes "20261001")."""
    if _DATE.fullmatch(text) is None:
        raise ValueError(f'must be a date "YYYY-MM-DD", got {text!r}')
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r}") from exc


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """[open_minute, close_minute) local time on each of `weekdays`."""

    weekdays: tuple[int, ...]
    open_minute: int
    close_minute: int

    def describe(self) -> str:
        """E.g. "Mon-Fri 09:00-12:00"."""
        hours = f"{format_clock(self.open_minute)}-{format_clock(self.close_minute)}"
        return f"{_day_ranges(self.weekdays)} {hours}"


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Weekly opening hours and closed local dates (hashable, so caches can key on it)."""

    hours: tuple[OpeningHours, ...]
    holidays: tuple[date, ...] = ()  # sorted, no repeats

    def intervals(self) -> tuple[tuple[int, int, int], ...]:
        """(ISO weekday, open minute, close minute) of every opening, sorted."""
        return tuple(
            sorted({(d, h.open_minute, h.close_minute) for h in self.hours for d in h.weekdays})
        )

    def describe(self) -> str:
        """Short human text, e.g. "Mon-Fri 09:00-12:00, Mon-Fri 13:00-18:00; 2 holiday(s)"."""
        text = ", ".join(h.describe() for h in self.hours)
        return f"{text}; {len(self.holidays)} holiday(s)" if self.holidays else text

    def document(self) -> dict[str, Any]:
        return {
            "hours": [
                {
                    "weekdays": list(h.weekdays),
                    "open": format_clock(h.open_minute),
                    "close": format_clock(h.close_minute),
                }
                for h in self.hours
            ],
            "holidays": [d.isoformat() for d in self.holidays],
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> BusinessCalendar:
        hours = tuple(
            OpeningHours(
                tuple(int(d) for d in h["weekdays"]),
                parse_clock(h["open"]),
                parse_clock(h["close"]),
            )
            for h in doc.get("hours", ())
        )
        return cls(hours, tuple(sorted({parse_date(d) for d in doc.get("holidays", ())})))


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day_ranges(days: tuple[int, ...]) -> str:
    """(1, 2, 3, 4, 5, 7) -> "Mon-Fri/Sun"."""
    runs: list[list[int]] = []
    for d in sorted(set(days)):
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [
        _DAY_NAMES[r[0] - 1] + (f"-{_DAY_NAMES[r[-1] - 1]}" if len(r) > 1 else "") for r in runs
    ]
    return "/".join(names)


def check_calendar(calendar: BusinessCalendar, path: str) -> list[FieldViolation]:
    """Every semantic problem of the calendar (the wire form is parsed already)."""
    out = []
    if not calendar.hours:
        out.append(FieldViolation(f"{path}.hours", "needs at least one opening interval"))
    if len(calendar.hours) > MAX_OPENING_HOURS:
        out.append(FieldViolation(f"{path}.hours", f"at most {MAX_OPENING_HOURS} intervals"))
    if len(calendar.holidays) > MAX_HOLIDAYS:
        out.append(FieldViolation(f"{path}.holidays", f"at most {MAX_HOLIDAYS} dates"))
    for i, h in enumerate(calendar.hours):
        where = f"{path}.hours[{i}]"
        if not h.weekdays:
            out.append(FieldViolation(f"{where}.weekdays", "needs at least one weekday"))
        elif any(d not in WEEKDAYS for d in h.weekdays):
            out.append(FieldViolation(f"{where}.weekdays", "weekdays are MONDAY to SUNDAY"))
        if not 0 <= h.open_minute < MINUTES_PER_DAY:
            out.append(FieldViolation(f"{where}.open", "must be 00:00 to 23:59"))
        if not h.open_minute < h.close_minute <= MINUTES_PER_DAY:
            out.append(FieldViolation(f"{where}.close", "must be after open, at most 24:00"))
    if not out:
        out += _overlaps(calendar, path)
    return out


def _overlaps(calendar: BusinessCalendar, path: str) -> list[FieldViolation]:
    """Intervals of one weekday must not overlap (touching is fine)."""
    seen: dict[int, list[tuple[int, int, int]]] = {}
    for i, h in enumerate(calendar.hours):
        for d in h.weekdays:
            for j, lo, hi in seen.get(d, []):
                if h.open_minute < hi and lo < h.close_minute:
                    return [
                        FieldViolation(
                            f"{path}.hours[{i}]",
                            f"overlaps hours[{j}] on {_DAY_NAMES[d - 1]}",
                        )
                    ]
            seen.setdefault(d, []).append((i, h.open_minute, h.close_minute))
    return []
