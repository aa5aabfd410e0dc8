"""Customer-lifecycle rankings as plain values: the issues that concentrate among new
customers, and the issues and words that go with praise or with trouble."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.metrics import MetricSet

# What counts as praise and as trouble, per ticket.
# A sentiment at or above this, with no complaint signal, is praise like a CSAT of 5 (a polite
# complaint scores at most -0.3: text/support_signals.py).
POSITIVE_SENTIMENT = 0.9
PRAISE_CSAT = 5
LOW_CSAT = (1, 2)  # with a reopen, the marks of a minefield
# What a ranked issue or word needs: tickets behind it, of them with the outcome, and
# a one-sided exact binomial p, adjusted for the number of items tested
# (Benjamini-Hochberg), below ALPHA.
MIN_SUPPORT = 10
MIN_POSITIVES = 5
ALPHA = 0.01


@dataclass(frozen=True, slots=True)
class NewCustomerIssue:
    """An issue's weight among new customers' tickets against everyone else's."""

    issue_id: int
    label: str
    new_tickets: int  # tickets of new customers in the issue
    other_tickets: int  # tickets of other customers (with a known tenure) in the issue
    share_new: float  # of all new customers' tickets
    share_other: float  # of all other customers' tickets
    lift: float  # share_new / share_other
    zscore: float
    pvalue: float
    qvalue: float  # pvalue adjusted for the issues tested (Benjamini-Hochberg)
    metrics_new: MetricSet  # the issue's metrics over new customers' tickets
    evidence_ticket_ids: tuple[str, ...]
    drill_down: TicketFilter  # the issue's new-customer tickets in the window


@dataclass(frozen=True, slots=True)
class OutcomeDriver:
    """An issue or a word that goes with an outcome (praise, or trouble)."""

    kind: str  # "issue" or "term"
    issue_id: int | None
    term: str
    label: str  # the issue's label, or the term
    tickets: int  # tickets with the issue or word
    with_outcome: int  # of those, tickets with the outcome
    rate: float  # with_outcome / tickets
    lift: float  # rate / the window's outcome rate
    zscore: float
    pvalue: float
    qvalue: float  # pvalue adjusted for the items tested (Benjamini-Hochberg)
    evidence_ticket_ids: tuple[str, ...]
    drill_down: TicketFilter | None  # issues: the issue's tickets in the window


@dataclass(frozen=True, slots=True)
class CustomerInsights:
    tenant_id: str
    start: datetime | None
    end: datetime | None
    tickets: int
    new_bucket: str  # the tenure bucket that counts as new customers
    with_tenure: int  # tickets with customer_since
    new_customer_tickets: int
    new_customer_issues: tuple[NewCustomerIssue, ...]
    praise_tickets: int
    praise: tuple[OutcomeDriver, ...]
    trouble_tickets: int
    minefields: tuple[OutcomeDriver, ...]
