"""Anomalies as the domain sees them: what was detected, why, and its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

# Metrics an anomaly can be about (the wire carries the same strings).
VOLUME = "volume"
FIRST_RESPONSE_TIME = "first_response_time"
FCR = "fcr"
REOPEN_RATE = "reopen_rate"
LOW_CSAT_SHARE = "low_csat_share"
NEGATIVE_SHARE = "negative_share"


class AnomalyKind(IntEnum):
    """Numbers match the wire enum so conversion is a cast."""

    UNSPECIFIED = 0
    VOLUME_SURGE = 1
    EMERGING_ISSUE = 2
    KPI_DEGRADATION = 3
    SENTIMENT_SURGE = 4


class AnomalyStatus(IntEnum):
    UNSPECIFIED = 0
    OPEN = 1
    ONGOING = 2
    RESOLVED = 3

    @property
    def active(self) -> bool:
        return self in (AnomalyStatus.OPEN, AnomalyStatus.ONGOING)


class Severity(IntEnum):
    UNSPECIFIED = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


Dims = tuple[tuple[str, str], ...]  # sorted (key, value) pairs, AND-ed


# A lift above this reads as a number nobody can use ("lift 154534.1"): the expected
# count inside was near zero.
MAX_SHOWN_LIFT = 100.0
# Explained share from which nothing is left to explain outside the combination.
ALL_INSIDE = 0.995


def lift_text(lift: float, explained_share: float) -> str:
    """How a root cause's lift reads in reports: "only inside" when the whole excess is
    inside and the ratio is off the scale, capped at MAX_SHOWN_LIFT otherwise."""
    if lift >= MAX_SHOWN_LIFT:
        return "only inside" if explained_share >= ALL_INSIDE else f"> {MAX_SHOWN_LIFT:.0f}×"
    return f"{lift:.1f}×"


@dataclass(frozen=True, slots=True)
class RootCauseCandidate:
    dims: Dims
    observed: float
    expected: float
    explained_share: float
    lift: float
    support: float
    pvalue: float
    score: float
    evidence_ticket_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TermLift:
    term: str
    anomaly_tickets: int
    baseline_tickets: int
    lift: float


@dataclass(frozen=True, slots=True)
class AnomalyPoint:
    start: datetime
    observed: float
    expected: float
    n: int


@dataclass(frozen=True, slots=True)
class Detection:
    """One detector event, before it is matched to a stored anomaly."""

    kind: AnomalyKind
    metric: str
    issue_id: int | None  # None: tenant-wide
    start: datetime
    detected_at: datetime
    end: datetime | None  # None while still alarming
    observed: float
    expected: float
    pvalue: float
    score: float
    tickets: int
    series: tuple[AnomalyPoint, ...] = ()

    @property
    def key(self) -> tuple[str, int | None]:
        """What makes two detections the same incident's: the metric and the scope. The
        kind is not part of it: a new issue's surge may be called a surge by one
        detector and emerging by another, or change as its history grows."""
        return (self.metric, self.issue_id)


@dataclass(frozen=True, slots=True)
class Anomaly:
    anomaly_id: int
    tenant_id: str
    kind: AnomalyKind
    metric: str
    issue_id: int | None
    status: AnomalyStatus
    severity: Severity
    start: datetime
    detected_at: datetime
    end: datetime | None
    updated_at: datetime
    observed: float
    expected: float
    pvalue: float
    score: float
    tickets: int
    root_causes: tuple[RootCauseCandidate, ...] = ()
    terms: tuple[TermLift, ...] = ()
    evidence_ticket_ids: tuple[str, ...] = ()
    summary: str = ""
    issue_ids: tuple[int, ...] = ()  # tenant-wide anomalies: the issues most touched
    series: tuple[AnomalyPoint, ...] = ()
    issue_label: str = ""

    @property
    def change(self) -> float:
        return self.observed / self.expected - 1 if self.expected > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class AnomalyQuery:
    tenant_id: str
    start: datetime | None = None
    end: datetime | None = None
    kinds: tuple[AnomalyKind, ...] = ()
    # Issue ids; None selects tenant-wide anomalies.
    issue_ids: tuple[int | None, ...] = ()
    statuses: tuple[AnomalyStatus, ...] = ()
    min_severity: Severity = Severity.UNSPECIFIED
    page_size: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AnomalyPage:
    anomalies: list[Anomaly]
    total: int
    next_offset: int | None
    scanned_at: datetime | None


@dataclass(frozen=True, slots=True)
class ScanReport:
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    series: int = 0
    hours: int = 0
    seconds: float = 0.0
    active: list[Anomaly] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ActiveAnomaly:
    """An open anomaly as returned with an ingested ticket."""

    anomaly: Anomaly
    matches_root_cause: bool
    matched_dims: Dims = ()
