"""The generic source: a body holding the ticket's full current state in the wire
`Ticket` shape (the protobuf JSON mapping, as in a JSONL import file), for a
helpdesk or script that can render it. Parsed by the same reader as ticket files,
so its checks and field names are the same.

Authentication: a shared secret in the X-Webhook-Token header (or `?token=`),
compared in constant time. A repeated delivery leaves the same state (UNCHANGED).
"""

from __future__ import annotations

from datetime import datetime

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.importers.records import RowError
from ticketminer.importers.ticket_files import ticket_from_json
from ticketminer.webhooks.base import Update
from ticketminer.webhooks.signatures import TokenVerified

NAME = "generic"


class GenericSource(TokenVerified):
    name = NAME

    def update(self, body: bytes, now: datetime) -> Update | None:
        item = ticket_from_json(body)
        if isinstance(item, RowError):
            raise InvalidArgument(
                [
                    FieldViolation("body" if v.field == "line" else v.field, v.description)
                    for v in item.violations
                ]
            )
        return item
