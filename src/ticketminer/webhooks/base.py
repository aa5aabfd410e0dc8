"""The one interface every helpdesk webhook source implements, and the refusals a
source may raise while checking a delivery."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from ticketminer.domain.model import Ticket
from ticketminer.domain.ticket_events import TicketEvent

# What a delivery says: a change to apply to the stored ticket, or (the generic
# source) the ticket's full state.
Update = TicketEvent | Ticket


class SignatureRejected(Exception):
    """The delivery is not proven to come from the helpdesk (HTTP 401)."""


class WebhookSource(Protocol):
    name: str

    def verify(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
        secret: str,
        now: datetime,
    ) -> str | None:
        """Raise SignatureRejected unless the delivery carries proof of `secret`.
        Returns the replay key of a signed delivery (a hash of what the signature
        covers), or None when the scheme has no per-delivery signature. `headers`
        have lower-case names."""
        ...

    def update(self, body: bytes, now: datetime) -> Update | None:
        """What the delivery changes; None for an event that concerns no ticket.
        InvalidArgument (with field violations) for a body it cannot read."""
        ...
