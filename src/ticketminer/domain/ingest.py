"""Outcomes of bulk ingest, shared by the streaming RPC and the file importer."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketminer.domain import limits
from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.model import IngestOutcome, Ticket


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """A bulk item that was not stored, named by position and id so callers can fix it."""

    index: int
    external_id: str
    violations: list[FieldViolation]
    reason: str = "invalid ticket"


# What a bulk source yields per item: a ticket to store or an item already rejected.
BulkItem = Ticket | RejectedItem

# The report is one response message: 1,000 items of up to 10 violations each stay far
# below the 16 MiB send limit (a field path is at most a few hundred bytes).
MAX_REPORTED_ERRORS = limits.MAX_REPORTED_ERRORS
MAX_ITEM_VIOLATIONS = limits.MAX_ITEM_VIOLATIONS


@dataclass(slots=True)
class BulkIngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0
    errors: list[RejectedItem] = field(default_factory=list)
    # Whether `errors` leaves out items or violations (`rejected` has the full count).
    errors_truncated: bool = False

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged + self.stale

    def count(self, outcome: IngestOutcome) -> None:
        name = outcome.name.lower()
        setattr(self, name, getattr(self, name) + 1)

    def reject(self, item: RejectedItem) -> None:
        self.rejected += 1
        if len(self.errors) >= MAX_REPORTED_ERRORS:
            self.errors_truncated = True
            return
        if len(item.violations) > MAX_ITEM_VIOLATIONS:
            self.errors_truncated = True
            more = len(item.violations) - MAX_ITEM_VIOLATIONS + 1
            kept = [*item.violations[: MAX_ITEM_VIOLATIONS - 1]]
            kept.append(FieldViolation("", f"and {more} more violations"))
            item = RejectedItem(item.index, item.external_id, kept, item.reason)
        self.errors.append(item)
