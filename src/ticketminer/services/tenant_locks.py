"""One lock per tenant, created on first use: batch work (a re-cluster, a scan, a
cache catch-up) runs once per tenant at a time while other tenants go on."""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator

from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.store.job_locks import POLL_SECONDS, JobLocks


class TenantLocks:
    def __init__(self) -> None:
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def __call__(self, tenant_id: str) -> threading.Lock:
        with self._guard:
            return self._locks[tenant_id]


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
        lock = self._threads(tenant_id)
        if not self._acquire(lock, wait):
            yield False
            return
        try:
            with self._db.hold(self._job, tenant_id, wait=wait) as got:
                yield got
        finally:
            lock.release()

    @staticmethod
    def _acquire(lock: threading.Lock, wait: bool) -> bool:
        """Like lock.acquire, but a waiting caller that gave up stops waiting."""
        if not wait:
            return lock.acquire(blocking=False)
        while not lock.acquire(timeout=POLL_SECONDS):
            raise_if_cancelled()
        return True
