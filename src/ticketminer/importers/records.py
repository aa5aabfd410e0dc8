"""What an importer yields: a ticket ready for the service, or the reason a record
could not even be turned into one. Keeping bad records in the stream (rather than
raising) lets a bulk import report every broken row in one pass."""

from __future__ import annotations

from typing import TypeAlias

from ticketminer.domain.ingest import RejectedItem
from ticketminer.domain.model import Ticket

# A record that failed wire/format checks; `index` is its 0-based position among
# the file's records. The same type the bulk RPC reports, so both share one path.
RowError = RejectedItem

ImportItem: TypeAlias = Ticket | RejectedItem
