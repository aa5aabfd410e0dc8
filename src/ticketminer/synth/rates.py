"""The rate model both generation paths share: expected tickets per UTC hour and
topic, with weekly and daily seasonality in local time and the volume incidents.

A `Stream` is one source of tickets (a topic's baseline, or an incident's extra
tickets) with its expected count per hour cell and the part of each cell its tickets
may fall in, so an incident's tickets never leave its window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from ticketminer.domain.timeutil import to_us
from ticketminer.synth.scenario import Scenario
from ticketminer.synth.topics import TOPIC_INDEX, TOPICS

HOUR_US = 3_600_000_000
# Monday first, mean 1: Mondays carry the weekend's backlog, weekends are quiet.
DAY_OF_WEEK = np.array([1.30, 1.12, 1.05, 1.00, 0.95, 0.75, 0.83])
# Local hour 0..23: low at night, a morning peak, an after-lunch peak, an evening bump.
HOUR_OF_DAY = np.array(
    [
        *(0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.55, 1.00, 1.45, 1.65, 1.60),
        *(1.30, 1.35, 1.55, 1.55, 1.45, 1.30, 1.15, 1.20, 1.35, 1.30, 0.95, 0.55),
    ]
)


@dataclass(frozen=True, slots=True, eq=False)
class Stream:
    topic: int  # index into TOPICS
    incident: int  # index into Scenario.incidents; -1 for the topic's baseline
    expected: np.ndarray  # expected tickets per cell
    lo_us: np.ndarray  # tickets of cell c fall in [lo_us[c], hi_us[c])
    hi_us: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class RateModel:
    scenario: Scenario
    cell_us: np.ndarray  # UTC start of each hour cell
    weekday: np.ndarray  # local weekday of each cell, Monday = 0
    local_hour: np.ndarray
    day: np.ndarray  # local day index (0 = the scenario's first day)
    seasonal: np.ndarray  # share of an average day's tickets falling in each cell
    streams: tuple[Stream, ...]

    def expected(
        self,
        topic: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        incidents: bool = True,
    ) -> float:
        """Expected tickets of `topic` created in [start, end) (default: all), with or
        without the incidents' extra tickets."""
        lo = self.scenario.start_us if start is None else to_us(start)
        hi = self.scenario.end_us if end is None else to_us(end)
        total = 0.0
        for stream in self.streams:
            if stream.topic != TOPIC_INDEX[topic] or (stream.incident >= 0 and not incidents):
                continue
            width = np.maximum(stream.hi_us - stream.lo_us, 1)
            overlap = np.minimum(stream.hi_us, hi) - np.maximum(stream.lo_us, lo)
            total += float(np.sum(stream.expected * np.clip(overlap / width, 0.0, 1.0)))
        return total


@lru_cache(maxsize=64)
def _calendar(first_day: date, days: int, tz: str) -> tuple[np.ndarray, ...]:
    """Hour cells of a calendar with their local weekday, hour and day index; cached
    (read-only) because benchmarks build many scenarios over the same weeks."""
    zone = ZoneInfo(tz)
    start_us = to_us(datetime.combine(first_day, time(), tzinfo=zone))
    end_us = to_us(datetime.combine(first_day + timedelta(days=days), time(), tzinfo=zone))
    cell_us = np.arange(start_us, end_us, HOUR_US, dtype=np.int64)
    local = [datetime.fromtimestamp((us + HOUR_US // 2) / 1e6, zone) for us in cell_us.tolist()]
    weekday = np.array([t.weekday() for t in local], dtype=np.int8)
    local_hour = np.array([t.hour for t in local], dtype=np.int8)
    day = np.array([(t.date() - first_day).days for t in local], dtype=np.int32)
    arrays = (cell_us, weekday, local_hour, day)
    for array in arrays:
        array.flags.writeable = False
    return arrays


def rate_model(scenario: Scenario) -> RateModel:
    """Hour cells from the first local midnight to the last, and every stream."""
    end_us = scenario.end_us
    cell_us, weekday, local_hour, day = _calendar(scenario.first_day, scenario.days, scenario.tz)
    seasonal = DAY_OF_WEEK[weekday] * HOUR_OF_DAY[local_hour] / HOUR_OF_DAY.sum()
    cell_end = np.minimum(cell_us + HOUR_US, end_us)

    streams = []
    baseline = {}
    for k, topic in enumerate(TOPICS):
        volume = scenario.daily_volume(topic.key)
        baseline[k] = volume * seasonal
        if volume > 0:
            streams.append(Stream(k, -1, baseline[k], cell_us, cell_end))
    for i, inc in enumerate(scenario.incidents):
        if inc.kind not in ("volume_surge", "emerging_issue"):
            continue
        lo = np.maximum(cell_us, inc.start_us)
        hi = np.minimum(cell_end, inc.end_us)
        share = np.clip((hi - lo) / HOUR_US, 0.0, None)
        strength = inc.strength(lo + (hi - lo) // 2)
        k = TOPIC_INDEX[inc.topic]
        if inc.kind == "volume_surge":
            per_cell = (inc.multiplier - 1.0) * baseline[k]
        else:
            per_cell = inc.magnitude * seasonal
        streams.append(Stream(k, i, per_cell * share * strength, lo, np.maximum(hi, lo)))
    return RateModel(
        scenario=scenario,
        cell_us=cell_us,
        weekday=weekday,
        local_hour=local_hour,
        day=day,
        seasonal=seasonal,
        streams=tuple(streams),
    )
