"""When to re-cluster: after N new tickets, on a schedule, or the first time a tenant
has enough tickets. Runs in one background thread, so it never delays a request."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ticketminer.services.issues import IssueService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReclusterPolicy:
    after_tickets: int = 5000  # 0 disables the count trigger
    interval_seconds: float = 3600.0  # 0 disables the schedule
    min_tickets: int = 200  # a tenant's first fit waits for this many tickets
    poll_seconds: float = 10.0

    def due(self, has_model: bool, new_tickets: int, model_age: float) -> bool:
        if not has_model:
            return new_tickets >= self.min_tickets
        if self.after_tickets and new_tickets >= self.after_tickets:
            return True
        return (
            bool(self.interval_seconds) and new_tickets > 0 and model_age >= self.interval_seconds
        )


class ReclusterScheduler:
    def __init__(self, issues: IssueService, tenants, policy: ReclusterPolicy) -> None:
        self._issues = issues
        self._tenants = tenants  # () -> iterable of tenant ids
        self._policy = policy
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recluster", daemon=True)

    def start(self) -> ReclusterScheduler:
        if self._policy.after_tickets or self._policy.interval_seconds:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> list[str]:
        """Re-cluster every tenant that is due; returns their ids."""
        ran = []
        for tenant in list(self._tenants()):
            if self._stop.is_set():
                break
            status = self._issues.fit_status(tenant)
            if self._policy.due(status.has_model, status.new_tickets, status.model_age_seconds):
                try:
                    self._issues.recluster(tenant)
                    ran.append(tenant)
                except Exception:
                    log.exception("scheduled re-cluster failed for tenant %s", tenant)
        return ran

    def _run(self) -> None:
        while not self._stop.wait(self._policy.poll_seconds):
            try:
                self.run_once()
            except Exception:
                log.exception("re-cluster scheduler round failed")
