"""Issues as the domain sees them: recurring problems with ids that outlive re-clustering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ticketminer.domain.anomalies import Anomaly
from ticketminer.domain.metrics import MetricDefinition, MetricSet, SeriesPoint, VolumeTrend

UNASSIGNED = 0  # issue id of tickets far from every issue: the candidate pool


class IssueStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"
    RETIRED = "retired"


class LineageKind(StrEnum):
    BORN = "born"
    MERGED = "merged"  # issue_id was folded into related_issue_id
    SPLIT = "split"  # issue_id was split off related_issue_id
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class IssueAssignment:
    """The issue of one ticket; issue_id UNASSIGNED puts it in the candidate pool."""

    issue_id: int
    label: str
    confidence: float
    model_version: int
    assigned_at: datetime | None = None
    # The variant of the issue the ticket is closest to (0: none, or not known yet).
    sub_issue_id: int = 0
    sub_issue_label: str = ""


@dataclass(frozen=True, slots=True)
class LineageEvent:
    kind: LineageKind
    issue_id: int
    model_version: int
    at: datetime
    tickets: int  # tickets of the issue (born, split) or moved (merged, retired)
    related_issue_id: int | None = None


@dataclass(frozen=True, slots=True)
class RepresentativeTicket:
    external_id: str
    snippet: str  # normalised and PII-masked


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """An issue as stored by the last re-cluster that touched it."""

    issue_id: int
    status: IssueStatus
    label: str
    terms: tuple[str, ...]
    languages: tuple[str, ...]
    size: int
    representative_pk: int | None
    cluster_index: int
    born_model_version: int
    model_version: int
    born_at: datetime
    updated_at: datetime
    merged_into: int | None = None
    # Set for a sub-issue: the issue it is a variant of.
    parent_id: int | None = None


@dataclass(frozen=True, slots=True)
class SubIssueSummary:
    """A variant of an issue (a phrasing, a language, a narrower case), as fitted."""

    record: IssueRecord
    share: float  # of the issue's tickets at the fit
    representative: RepresentativeTicket | None


@dataclass(frozen=True, slots=True)
class IssueSummary:
    record: IssueRecord
    metrics: MetricSet
    share: float  # of the window's tickets
    trend: VolumeTrend
    representative: RepresentativeTicket | None
    sample_ticket_ids: tuple[str, ...]
    sub_issues: tuple[SubIssueSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class IssueDetail:
    summary: IssueSummary
    daily: list[SeriesPoint]
    lineage: list[LineageEvent]
    hourly: list[SeriesPoint] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    time_zone: str = "UTC"  # of the daily and hourly buckets
    definitions: list[MetricDefinition] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IssueListing:
    issues: list[IssueSummary]
    model_version: int
    unassigned_tickets: int
    total_tickets: int
    total_issues: int
    reclustered_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    definitions: list[MetricDefinition] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReclusterReport:
    model_version: int
    n_tickets: int
    n_issues: int
    unclustered: int
    events: list[LineageEvent] = field(default_factory=list)
    kept: int = 0  # issues that kept their id
    seconds: float = 0.0
