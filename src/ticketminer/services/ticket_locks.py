"""One writer per ticket at a time, across replicas.

A webhook event is a read, an apply and a write of the stored ticket; two replicas
doing that at once on one ticket would each write their own event over the other's.
The lock reuses the batch-job locks (`store.job_locks`: a PostgreSQL advisory lock,
or `flock` on a file beside a SQLite database), keyed by a stripe of (tenant,
ticket) rather than the ticket itself: a fixed number of keys, so SQLite never grows
a lock file per ticket, and two tickets seldom share one.

Threads of one replica queue on an in-process lock first, so only one of them polls
the database lock per stripe. On PostgreSQL a holder keeps a pooled connection for
the lock and needs another to read, so a semaphore bounds how many hold at once,
well under the pool (`store.engine`: 8 + 8 overflow).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator

from ticketminer.services.tenant_locks import TenantLocks
from ticketminer.store.job_locks import JobLocks

JOB = "ticket-write"
STRIPES = 1024
MAX_HELD = 4
WAIT_SECONDS = 30.0


def stripe(tenant_id: str, external_id: str) -> str:
    digest = hashlib.blake2b(f"{tenant_id}\x00{external_id}".encode(), digest_size=8).digest()
    return str(int.from_bytes(digest, "big") % STRIPES)


class TicketLocks:
    """`with locks.hold(tenant, ticket) as got:`; `got` is False when another replica
    kept the ticket for `wait_seconds` (the caller answers "busy, retry")."""

    def __init__(
        self, locks: JobLocks, wait_seconds: float = WAIT_SECONDS, max_held: int = MAX_HELD
    ) -> None:
        self._db = locks
        self._threads = TenantLocks()
        self._held = threading.BoundedSemaphore(max_held)
        self._wait_seconds = wait_seconds

    @contextlib.contextmanager
    def hold(self, tenant_id: str, external_id: str) -> Iterator[bool]:
        key = stripe(tenant_id, external_id)
        with (
            self._threads(key),
            self._held,
            self._db.hold(JOB, key, timeout=self._wait_seconds) as got,
        ):
            yield got
