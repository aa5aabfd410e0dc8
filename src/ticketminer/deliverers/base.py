"""The one interface every delivery backend implements, and what it is given.

A backend sends one rendered digest and returns, or raises DeliveryError saying
whether trying again later could help (a timeout, HTTP 5xx, SMTP 4xx, a vendor's
rate limit) or not (a revoked webhook, a refused mailbox, a bad signature).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

TRUNCATED = "\n\n… (shortened to fit this channel; GetWeeklyDigest has the full digest)"


@dataclass(frozen=True, slots=True)
class DigestMessage:
    tenant_id: str
    schedule_id: str
    iso_week: str
    time_zone: str
    subject: str
    markdown: str
    html: str
    # The WeeklyDigest message in its canonical (proto3) JSON form.
    digest: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A failed send. The message is what the delivery log shows: never a secret
    (no webhook URL, no SMTP password)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Deliverer(Protocol):
    def send(self, message: DigestMessage) -> None: ...


def fit_bytes(text: str, limit: int, note: str = TRUNCATED) -> str:
    """`text` if its UTF-8 fits in `limit` bytes, else its longest run of whole lines
    that fits with `note` after it."""
    if len(text.encode()) <= limit:
        return text
    budget = limit - len(note.encode())
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode()) + 1
        if used + size > budget:
            break
        kept.append(line)
        used += size
    if not kept:  # one huge first line: cut it on a character boundary
        return text.encode()[: max(budget, 0)].decode(errors="ignore") + note
    return "\n".join(kept).rstrip() + note


def fit_chars(text: str, limit: int, note: str = TRUNCATED) -> str:
    """As fit_bytes, counting characters (Slack's limits are in characters)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - len(note))
    cut = cut if cut > 0 else limit - len(note)
    return text[:cut].rstrip() + note
