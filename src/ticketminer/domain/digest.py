"""The weekly digest as plain values: one ISO week beside the week before it.

Renderers (Markdown, HTML) and the API converter read only these types, so every
format shows the same numbers, and every number carries the filter that lists its
tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ticketminer.domain.anomalies import Anomaly
from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.lifecycle import CustomerInsights
from ticketminer.domain.metrics import MetricDefinition, MetricSet

SPARKLINE_WEEKS = 8
# A move counts as an improvement or a regression only when it is sure: |z| of its
# week-over-week test at least SURE_Z, or, where no test applies (quantiles), a
# relative change of at least SMALL_CHANGE.
SURE_Z = 2.0
SMALL_CHANGE = 0.05


class Better(StrEnum):
    """Which way a KPI improves, so a delta can be called a regression or not."""

    UP = "up"
    DOWN = "down"
    NEITHER = "neither"  # volume: more tickets is neither good nor bad by itself


@dataclass(frozen=True, slots=True)
class Kpi:
    """One headline number of the week and of the week before."""

    name: str  # volume, fcr, first_response_p50, first_response_p90, resolution_p50, ...
    current: float | None
    previous: float | None
    unit: str  # "tickets", "ratio", "seconds", "score"
    better: Better
    n: int  # tickets the current value is computed over
    drill_down: TicketFilter
    score: float | None = None  # |z| of the week-over-week test; None: no test applies

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change(self) -> float | None:
        """Relative change; None when there is nothing to compare with."""
        if self.delta is None or not self.previous:
            return None
        return self.delta / self.previous

    @property
    def improved(self) -> bool | None:
        """None when unchanged, not a quality (volume), or not surely moved."""
        if self.delta is None or self.delta == 0 or self.better == Better.NEITHER:
            return None
        if self.score is not None and self.score < SURE_Z:
            return None
        if self.score is None and (self.change is None or abs(self.change) < SMALL_CHANGE):
            return None
        return (self.delta > 0) == (self.better == Better.UP)


@dataclass(frozen=True, slots=True)
class DayVolume:
    day: date  # local date in the digest's time zone
    volume: int
    previous_volume: int  # the same weekday of the week before
    drill_down: TicketFilter


@dataclass(frozen=True, slots=True)
class DigestIssue:
    """An issue's week: volume and its change, 8 weekly volumes, and its metrics."""

    issue_id: int
    label: str
    terms: tuple[str, ...]
    volume: int
    previous_volume: int
    share: float  # of the week's tickets
    weekly_volumes: tuple[int, ...]  # SPARKLINE_WEEKS weeks, oldest first; last = this week
    metrics: MetricSet  # this week
    previous_metrics: MetricSet
    drill_down: TicketFilter
    first_seen: datetime | None = None  # the issue's oldest ticket

    @property
    def change(self) -> float | None:
        if self.previous_volume == 0:
            return None
        return (self.volume - self.previous_volume) / self.previous_volume


class ChangeKind(StrEnum):
    NEW = "new"  # first ticket this week
    EMERGING = "emerging"  # an emerging-issue anomaly was open this week
    SPLIT = "split"  # split off another issue by a re-cluster this week
    MERGED = "merged"  # folded into another issue this week
    RETIRED = "retired"  # left the model this week


@dataclass(frozen=True, slots=True)
class IssueChange:
    kind: ChangeKind
    issue_id: int
    label: str
    at: datetime  # first ticket (new), anomaly start (emerging), re-cluster time (others)
    tickets: int  # this week's tickets (new, emerging) or the lineage event's count
    drill_down: TicketFilter
    related_issue_id: int | None = None  # merged into / split from
    related_label: str = ""


@dataclass(frozen=True, slots=True)
class Mover:
    """A value whose number moved most between the two weeks."""

    dimension: str  # "issue", "channel" or "attributes.<key>"
    value: str
    label: str  # the issue label, else the value
    metric: str  # volume, fcr, first_response_p50, csat
    current: float | None
    previous: float | None
    n: int  # tickets this week behind `current`
    previous_n: int
    score: float  # |z|-like strength used to rank; larger moved more surely
    improved: bool | None  # None for volume
    drill_down: TicketFilter
    # Two-sided p of the test behind `score`, and its Benjamini-Hochberg q over every
    # test of the week (see digest.movers); None on a mover not yet tested together.
    p_value: float | None = None
    q_value: float | None = None

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True, slots=True)
class SampleTicket:
    external_id: str
    created_at: datetime
    channel: str
    snippet: str  # normalised and PII-masked


@dataclass(frozen=True, slots=True)
class Highlight:
    """Why an issue stands out this week, with a few of its tickets to read."""

    issue_id: int
    label: str
    reason: str  # "top", "anomaly", "new"
    tickets: tuple[SampleTicket, ...]
    drill_down: TicketFilter


@dataclass(frozen=True, slots=True)
class WeeklyDigest:
    tenant_id: str
    iso_week: str
    previous_iso_week: str
    time_zone: str
    start: datetime  # UTC instant of the local Monday 00:00
    end: datetime
    generated_at: datetime
    current: MetricSet
    previous: MetricSet
    kpis: tuple[Kpi, ...]
    days: tuple[DayVolume, ...]
    top_issues: tuple[DigestIssue, ...]
    active_issues: int  # issues with at least one ticket this week
    unassigned: int  # this week's tickets in no issue
    changes: tuple[IssueChange, ...]
    anomalies: tuple[Anomaly, ...]
    movers: tuple[Mover, ...]
    highlights: tuple[Highlight, ...]
    drill_down: TicketFilter  # the whole week
    model_version: int
    definitions: tuple[MetricDefinition, ...] = field(default_factory=tuple)
    sparkline_weeks: tuple[str, ...] = ()  # ISO week labels of weekly_volumes
    # New customers, praise and minefields of the week (None: not computed).
    customers: CustomerInsights | None = None

    @property
    def empty(self) -> bool:
        return self.current.volume == 0
