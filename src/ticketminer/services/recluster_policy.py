"""When to re-cluster: after N new tickets, on a schedule, or the first time a tenant
has enough tickets. Runs in one background thread, so it never delays a request."""

from __future__ import annotations

from dataclasses import dataclass

from ticketminer.services.issues import IssueService
from ticketminer.services.tenant_loop import TenantLoop


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


class ReclusterScheduler(TenantLoop):
    def __init__(self, issues: IssueService, tenants, policy: ReclusterPolicy) -> None:
        def due(tenant: str) -> bool:
            status = issues.fit_status(tenant)
            return policy.due(status.has_model, status.new_tickets, status.model_age_seconds)

        super().__init__(
            "recluster",
            tenants,
            due,
            issues.recluster_when_free,
            policy.poll_seconds,
            enabled=bool(policy.after_tickets or policy.interval_seconds),
        )
