"""ISO 8601 weeks in a tenant's time zone.

A digest week runs from Monday 00:00 to the next Monday 00:00 *local* time, so a
week with a daylight-saving change is 167 or 169 hours long, and ISO week-numbering
years have 52 or 53 weeks (2026 has a W53).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
# The weeks of the supported time range (domain.timeutil); their 8-week history and
# following Monday are ordinary dates.
MIN_YEAR, MAX_YEAR = 1970, 2199


@dataclass(frozen=True, slots=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """ "2026-W46" -> IsoWeek(2026, 46); ValueError with a readable reason."""
        match = _WEEK.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not an ISO week like 2026-W46: {text!r}")
        year, week = int(match.group(1)), int(match.group(2))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}, not {year}")
        if not 1 <= week <= weeks_in_year(year):
            raise ValueError(f"{year} has weeks W01 to W{weeks_in_year(year):02d}, not W{week:02d}")
        return cls(year, week)

    @classmethod
    def containing(cls, moment: datetime, time_zone: str) -> IsoWeek:
        year, week, _ = moment.astimezone(ZoneInfo(time_zone)).isocalendar()
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def shifted(self, weeks: int) -> IsoWeek:
        year, week, _ = (self.monday + timedelta(weeks=weeks)).isocalendar()
        return IsoWeek(year, week)

    def window(self, time_zone: str) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants of the local Mondays."""
        tz = ZoneInfo(time_zone)
        start, end = self.monday, self.monday + timedelta(days=7)
        return (
            datetime(start.year, start.month, start.day, tzinfo=tz).astimezone(UTC),
            datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC),
        )


def weeks_in_year(year: int) -> int:
    """52 or 53: the ISO year has W53 when 28 December falls in it as week 53."""
    return date(year, 12, 28).isocalendar()[1]
