"""Pull a tenant's changed tickets from a helpdesk source into the store.

Order per page: store the tickets (`TicketService.ingest_bulk` returns once they
are committed, and is idempotent per tenant and external id), then store the
cursor. A crash between the two re-reads that page on the next run, where its
tickets come back UNCHANGED; a crash before the first loses nothing either. So a
killed sync resumes with every ticket stored exactly once.

One sync per (source, tenant) runs at a time, on any number of machines sharing the
database: a second one finds the job lock held and stops (`SyncBusy`) instead of
storing the same pages twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ticketminer.domain.ingest import BulkIngestReport, BulkItem
from ticketminer.domain.model import Ticket
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.sync_cursors_repo import load_cursor, save_cursor
from ticketminer.sync.base import HelpdeskSource

Ingest = Callable[[Iterable[BulkItem]], BulkIngestReport]
LOCK_JOB = "sync:"


class SyncBusy(Exception):
    """Another process is syncing this source for this tenant."""


@dataclass(slots=True)
class SyncReport:
    pages: int = 0
    cursor: str | None = None
    stored: BulkIngestReport = field(default_factory=BulkIngestReport)

    def add(self, part: BulkIngestReport) -> None:
        total = self.stored
        total.created += part.created
        total.updated += part.updated
        total.unchanged += part.unchanged
        total.stale += part.stale
        for item in part.errors:
            total.reject(item)
        total.rejected += part.rejected - len(part.errors)  # those beyond the listed ones
        total.errors_truncated |= part.errors_truncated


class HelpdeskSync:
    def __init__(self, engine: Engine, ingest: Ingest) -> None:
        self._engine = engine
        self._ingest = ingest
        self._locks = JobLocks(engine)

    def cursor(self, source: str, tenant_id: str) -> str | None:
        with self._engine.connect() as conn:
            return load_cursor(conn, tenant_id, source)

    def run_once(
        self, source: HelpdeskSource, tenant_id: str, stop: threading.Event | None = None
    ) -> SyncReport:
        """Every page changed since the stored cursor; stops early (between pages)
        when `stop` is set. Raises SyncBusy, or the source's errors."""
        with self._locks.hold(LOCK_JOB + source.name, tenant_id, wait=False) as held:
            if not held:
                raise SyncBusy(f"another {source.name} sync of tenant {tenant_id!r} is running")
            report = SyncReport(cursor=self.cursor(source.name, tenant_id))
            for page in source.pages(report.cursor):
                for item in page.items:
                    if isinstance(item, Ticket):
                        item.tenant_id = tenant_id
                report.add(self._ingest(page.items))
                with self._engine.begin() as conn:
                    save_cursor(conn, tenant_id, source.name, page.cursor, to_us(utc_now()))
                report.pages += 1
                report.cursor = page.cursor
                if stop is not None and stop.is_set():
                    break
            return report
