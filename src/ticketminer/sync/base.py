"""The interface every helpdesk source implements, and its configuration errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ticketminer.importers.records import ImportItem


class MissingCredentials(Exception):
    """The environment lacks what a source needs; the message names the variables."""


@dataclass(slots=True)
class SyncPage:
    """Items of one vendor page and the cursor that resumes after them.

    The cursor is stored only after the items are, so a crash in between re-reads
    the page (its tickets come back UNCHANGED) and never skips one."""

    items: list[ImportItem]
    cursor: str


class HelpdeskSource(Protocol):
    name: str  # the `source` key of sync_cursors: "zendesk", "freshdesk"

    def pages(self, cursor: str | None) -> Iterator[SyncPage]:
        """Pages changed since `cursor` (None: since the configured start), oldest first."""
        ...
