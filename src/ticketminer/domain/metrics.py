"""Metric results as plain values; the API layer turns them into messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ticketminer.domain.filters import Granularity, TicketFilter


@dataclass(frozen=True, slots=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class DurationStats:
    n: int
    mean_seconds: float | None = None
    p50_seconds: float | None = None
    p90_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class CsatStats:
    n: int
    mean: float | None
    satisfied_share: float | None  # share of ratings 4 or 5
    counts: tuple[int, int, int, int, int]  # ratings 1..5


@dataclass(frozen=True, slots=True)
class MetricSet:
    volume: int
    solved: int
    fcr: Ratio
    first_response_time: DurationStats
    resolution_time: DurationStats
    full_resolution_time: DurationStats
    reopen_rate: Ratio
    csat: CsatStats
    # The three times above in business hours; None when the tenant has no calendar.
    business_first_response_time: DurationStats | None = None
    business_resolution_time: DurationStats | None = None
    business_full_resolution_time: DurationStats | None = None
    # Sentiment over the tickets with a stored score (sentiment_scored of them); None
    # when none has one. negative_share: the share scoring below the scorer's
    # NEGATIVE_THRESHOLD.
    sentiment_scored: int = 0
    sentiment_mean: float | None = None
    negative_share: float | None = None


@dataclass(frozen=True, slots=True)
class MetricDefinition:
    name: str
    variant: str
    definition: str


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start_time: datetime
    label: str
    metrics: MetricSet
    drill_down: TicketFilter


@dataclass(frozen=True, slots=True)
class VolumeTrend:
    """Volume at the end of a window: week over week, the 4-week slope and the share."""

    last_7d: int = 0
    previous_7d: int = 0
    last_28d: int = 0
    slope_4w: float = 0.0  # tickets/day gained per week, least squares over 28 days
    share_7d: float = 0.0  # of all the tenant's tickets in the same 7 days

    @property
    def change(self) -> float | None:
        if self.previous_7d == 0:
            return None
        return (self.last_7d - self.previous_7d) / self.previous_7d


@dataclass(frozen=True, slots=True)
class MetricsGroup:
    key: str
    value: str
    metrics: MetricSet
    drill_down: TicketFilter
    series: list[SeriesPoint] = field(default_factory=list)
    label: str = ""  # the label when grouped by issue
    trend: VolumeTrend = field(default_factory=VolumeTrend)


@dataclass(frozen=True, slots=True)
class MetricsReport:
    start_time: datetime | None
    end_time: datetime | None
    time_zone: str
    granularity: Granularity
    group_by: str
    overall: MetricSet
    drill_down: TicketFilter
    definitions: list[MetricDefinition]
    series: list[SeriesPoint] = field(default_factory=list)
    groups: list[MetricsGroup] = field(default_factory=list)
    total_groups: int = 0  # groups present; `groups` keeps the largest ones
    trend: VolumeTrend = field(default_factory=VolumeTrend)
    business_hours: bool = False  # whether metric sets carry business-hours values
