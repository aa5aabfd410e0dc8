"""What an importer yields: a ticket ready for the service, or the reason a record
could not even be turned into one. Keeping bad records in the stream (rather than
raising) lets a bulk import report every broken row in one pass."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any, TypeAlias

from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer.api.convert import datetime_to_timestamp, ticket_from_proto
from ticketminer.domain.errors import FieldViolation
from ticketminer.domain.ingest import RejectedItem
from ticketminer.domain.model import Ticket
from ticketminer.importers import values
from ticketminer.v1 import ticketminer_pb2 as pb

# A record that failed wire/format checks; `index` is its 0-based position among
# the file's records. The same type the bulk RPC reports, so both share one path.
RowError = RejectedItem

ImportItem: TypeAlias = Ticket | RejectedItem


def from_wire(index: int, msg: pb.Ticket, problems: Iterable[FieldViolation] = ()) -> ImportItem:
    """The domain ticket through the shared wire checks (a file import and an API call
    check the same), or every problem met reading the record and converting it."""
    ticket, violations = ticket_from_proto(msg)
    problems = [*problems, *violations]
    if problems:  # the ticket then holds placeholders and must not be used
        return RowError(index, msg.external_id, problems)
    return ticket


def set_time(
    out: Timestamp, value: Any, zone: tzinfo, field: str, problems: list[FieldViolation]
) -> datetime | None:
    """Read a vendor's JSON time (`values.moment`) into `out`; a bad one becomes a
    violation on `field`."""
    moment = values.take(values.moment(value, zone), field, problems)
    if moment is not None:
        datetime_to_timestamp(moment, out)
    return moment
