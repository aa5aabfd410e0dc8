"""A background thread that visits every tenant on a period and runs a job for the
ones that are due: the shape both re-clustering and anomaly scans need, so batch
work never sits on the request path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)


class TenantLoop:
    def __init__(
        self,
        name: str,
        tenants: Callable[[], Iterable[str]],
        due: Callable[[str], bool],
        job: Callable[[str], object],
        period_seconds: float,
        enabled: bool = True,
    ) -> None:
        self._name = name
        self._tenants = tenants
        self._due = due
        self._job = job
        self._period = period_seconds
        self._enabled = enabled and period_seconds > 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> TenantLoop:
        if self._enabled:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> list[str]:
        """Run the job for every tenant that is due; returns the ids it ran for."""
        ran: list[str] = []
        try:
            tenants = list(self._tenants())
        except Exception:  # e.g. the database is down: try again next period
            log.exception("%s could not list the tenants", self._name)
            return ran
        for tenant in tenants:
            if self._stop.is_set():
                break
            try:
                # A job returns None when it skipped: another replica holds the tenant.
                if self._due(tenant) and self._job(tenant) is not None:
                    ran.append(tenant)
            except Exception:
                log.exception("%s failed for tenant %s", self._name, tenant)
        return ran

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self.run_once()
