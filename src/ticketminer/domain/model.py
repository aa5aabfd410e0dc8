"""Tickets as the domain sees them: plain dataclasses with UTC-aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketminer.domain.anomalies import ActiveAnomaly
    from ticketminer.domain.issues import IssueAssignment

DEFAULT_TENANT = "default"


class AuthorRole(IntEnum):
    """Numbers match the wire enum so conversion is a cast."""

    UNSPECIFIED = 0
    CUSTOMER = 1
    AGENT = 2
    BOT = 3
    SYSTEM = 4


class TicketStatus(IntEnum):
    UNSPECIFIED = 0
    NEW = 1
    OPEN = 2
    PENDING = 3
    ON_HOLD = 4
    SOLVED = 5
    CLOSED = 6

    @property
    def is_solved(self) -> bool:
        return self in (TicketStatus.SOLVED, TicketStatus.CLOSED)


class FactSource(IntEnum):
    """Where a number of the analysis came from; numbers match the wire enum."""

    UNSPECIFIED = 0
    THREAD = 1
    REPORTED = 2


@dataclass(frozen=True, slots=True)
class ReportedFacts:
    """What an export without the thread states (Zendesk's "Replies", "First reply time").

    Used only while the thread holds no public agent reply, so a ticket that later
    arrives with its messages is measured from them."""

    public_agent_replies: int | None = None
    first_response_seconds: float | None = None

    def __bool__(self) -> bool:
        return self.public_agent_replies is not None or self.first_response_seconds is not None


class IngestOutcome(IntEnum):
    UNSPECIFIED = 0
    CREATED = 1
    UPDATED = 2
    UNCHANGED = 3
    STALE = 4


@dataclass(slots=True)
class Message:
    author_role: AuthorRole
    created_at: datetime
    body: str = ""
    public: bool = True
    external_id: str = ""
    author_id: str = ""


@dataclass(slots=True)
class Ticket:
    external_id: str
    created_at: datetime
    tenant_id: str = DEFAULT_TENANT
    updated_at: datetime | None = None
    channel: str = ""
    subject: str = ""
    description: str = ""
    messages: list[Message] = field(default_factory=list)
    status: TicketStatus = TicketStatus.UNSPECIFIED
    solved_at: datetime | None = None
    first_solved_at: datetime | None = None
    reopen_count: int = 0
    customer_id: str = ""
    customer_since: datetime | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    csat: int | None = None
    language: str = ""
    reported: ReportedFacts = field(default_factory=ReportedFacts)


@dataclass(frozen=True, slots=True)
class TicketAnalysis:
    """Per-ticket values that every metric is computed from."""

    first_response_seconds: float | None
    resolution_seconds: float | None
    full_resolution_seconds: float | None
    public_agent_replies: int
    solved: bool
    ever_solved: bool
    reopened: bool
    fcr: bool | None
    fcr_no_followup: bool | None
    first_response_source: FactSource = FactSource.UNSPECIFIED
    public_agent_replies_source: FactSource = FactSource.UNSPECIFIED


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A ticket as read back from storage, with what was derived from it."""

    ticket: Ticket
    analysis: TicketAnalysis
    ingested_at: datetime
    pk: int = 0
    issue: IssueAssignment | None = None
    # Every issue the ticket had, oldest first (filled by GetTicket only).
    issue_history: tuple[IssueAssignment, ...] = ()
    # Whether the newest messages were left out to fit a response (see services.tickets).
    messages_truncated: bool = False


@dataclass(frozen=True, slots=True)
class IngestResult:
    tenant_id: str
    external_id: str
    outcome: IngestOutcome
    analysis: TicketAnalysis
    issue: IssueAssignment | None = None
    # Active anomalies of the ticket's issue and tenant, as of the last scan.
    anomalies: tuple[ActiveAnomaly, ...] = ()
