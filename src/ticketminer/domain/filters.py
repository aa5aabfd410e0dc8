"""Ticket selection shared by metrics and drill-down, so both see the same tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from ticketminer.domain.model import TicketStatus


class Cohort(IntEnum):
    """Which tickets behind a metric to select; numbers match the wire enum."""

    ALL = 0
    SOLVED = 1
    FCR = 2
    NOT_FCR = 3
    RESPONDED = 4
    UNRESPONDED = 5
    REOPENED = 6
    RATED = 7
    EVER_SOLVED = 8


class FcrVariant(IntEnum):
    DEFAULT = 0
    ONE_TOUCH = 1
    NO_CUSTOMER_FOLLOWUP = 2


class Granularity(IntEnum):
    NONE = 0
    HOUR = 1
    DAY = 2
    WEEK = 3


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """AND across fields, OR within a tuple; None or empty means no condition."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    channels: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    statuses: tuple[TicketStatus, ...] = ()
    customer_id: str = ""
    # Issue ids; UNASSIGNED (0) selects the tickets in the candidate pool.
    issue_ids: tuple[int, ...] = ()
    cohort: Cohort = Cohort.ALL
    fcr_variant: FcrVariant = FcrVariant.DEFAULT
    # The tickets behind an anomaly; services resolve it to an issue and a window.
    anomaly_id: int | None = None
    # Tenure bucket names at the ticket's creation; "" selects tickets without
    # customer_since.
    tenure_buckets: tuple[str, ...] = ()
    # Ticket tags: ANY of them matches (OR, like every tuple here); "" selects
    # untagged tickets.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupBy:
    """A grouping key: 'channel', 'status', 'issue', 'tenure', 'tag' or an attribute."""

    kind: str  # "none" | "channel" | "status" | "issue" | "tenure" | "tag" | "attribute"
    attribute: str = ""

    @property
    def name(self) -> str:
        if self.kind == "attribute":
            return f"attributes.{self.attribute}"
        return "" if self.kind == "none" else self.kind


NO_GROUPING = GroupBy("none")


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    tenant_id: str
    filter: TicketFilter = field(default_factory=TicketFilter)
    group_by: GroupBy = NO_GROUPING
    granularity: Granularity = Granularity.NONE
    time_zone: str = ""  # "" = the tenant's time zone, else UTC
    fcr_variant: FcrVariant = FcrVariant.DEFAULT  # DEFAULT = the tenant's, else one_touch
    # Volume trends read every ticket of the tenant; callers that show none skip them.
    with_trends: bool = True
