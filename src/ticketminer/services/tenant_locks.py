"""One lock per tenant: batch work (a re-cluster, a scan, a cache catch-up) runs once
per tenant at a time while other tenants go on.

A tenant's lock exists only while someone holds it or waits for it, so calls naming
made-up tenants leave nothing behind: the table never holds more entries than there
are threads inside it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.store.job_locks import POLL_SECONDS, JobLocks


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0  # holders and waiters


def _blocking(lock: threading.Lock) -> bool:
    return lock.acquire()


class TenantLocks:
    def __init__(self) -> None:
        self._locks: dict[str, _Entry] = {}
        self._guard = threading.Lock()

    def __call__(self, tenant_id: str) -> contextlib.AbstractContextManager[bool]:
        """`with locks(tenant):` holds the tenant's lock (waiting for it)."""
        return self.hold(tenant_id)

    @contextlib.contextmanager
    def hold(
        self, tenant_id: str, acquire: Callable[[threading.Lock], bool] = _blocking
    ) -> Iterator[bool]:
        """Yields whether `acquire` (a blocking acquire by default) took the lock."""
        with self._guard:
            entry = self._locks.get(tenant_id)
            if entry is None:
                entry = self._locks[tenant_id] = _Entry()
            entry.users += 1
        try:
            got = acquire(entry.lock)
            try:
                yield got
            finally:
                if got:
                    entry.lock.release()
        finally:
            with self._guard:
                entry.users -= 1
                if not entry.users:
                    del self._locks[tenant_id]

    def __len__(self) -> int:
        """Tenants whose lock is held or awaited now."""
        with self._guard:
            return len(self._locks)


class TenantJobs:
    """One run of a batch job per tenant at a time: among this process's threads,
    and across replicas through a database lock (`store.job_locks`)."""

    def __init__(self, job: str, locks: JobLocks) -> None:
        self._job = job
        self._db = locks
        self._threads = TenantLocks()

    @contextlib.contextmanager
    def run(self, tenant_id: str, wait: bool = True) -> Iterator[bool]:
        """Yields whether this caller holds the job; without `wait`, a busy tenant
        yields False at once (a background loop skips it: someone is on it)."""
        acquire = _waiting if wait else _at_once
        with self._threads.hold(tenant_id, acquire) as mine:
            if not mine:
                yield False
                return
            with self._db.hold(self._job, tenant_id, wait=wait) as got:
                yield got


def _at_once(lock: threading.Lock) -> bool:
    return lock.acquire(blocking=False)


def _waiting(lock: threading.Lock) -> bool:
    """Like lock.acquire, but a waiting caller that gave up stops waiting."""
    while not lock.acquire(timeout=POLL_SECONDS):
        raise_if_cancelled()
    return True
