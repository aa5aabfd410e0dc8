"""What an importer yields: a ticket ready for the service, or the reason a record
could not even be turned into one. Keeping bad records in the stream (rather than
raising) lets a bulk import report every broken row in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.model import Ticket


@dataclass(frozen=True, slots=True)
class RowError:
    """A record that failed wire/format checks; `index` is its 0-based position
    among the records of the file, so the caller can point at it."""

    index: int
    external_id: str
    violations: list[FieldViolation]


ImportItem: TypeAlias = Ticket | RowError
