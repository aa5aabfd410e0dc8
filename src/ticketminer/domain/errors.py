"""Domain exceptions; the gRPC edge maps each to one status code in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str

    def prefixed(self, prefix: str) -> FieldViolation:
        return FieldViolation(f"{prefix}.{self.field}" if prefix else self.field, self.description)


class TicketminerError(Exception):
    """Base class: anything else escaping a handler is an INTERNAL error."""


class InvalidArgument(TicketminerError):
    def __init__(self, violations: list[FieldViolation], message: str | None = None) -> None:
        self.violations = list(violations)
        if message is None:
            message = "; ".join(f"{v.field}: {v.description}" for v in self.violations[:5])
            if len(self.violations) > 5:
                message += f"; and {len(self.violations) - 5} more"
        super().__init__(message or "invalid argument")


class NotFound(TicketminerError):
    """`resource_type` and `resource_name`, when set, travel as a google.rpc.ResourceInfo."""

    def __init__(self, message: str, resource_type: str = "", resource_name: str = "") -> None:
        self.resource_type = resource_type
        self.resource_name = resource_name
        super().__init__(message)


class UnknownTenant(NotFound):
    """A read named a tenant with no stored tickets and no settings: most often a typo,
    which would otherwise answer zeros."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"tenant {tenant_id[:64]!r} has no tickets and no settings; "
            "ListTenants names the known tenants",
            resource_type="ticketminer.v1.Tenant",
            resource_name=tenant_id,
        )
        self.tenant_id = tenant_id


class FailedPrecondition(TicketminerError):
    """The request is fine but the system is not in a state to serve it yet."""


class Unavailable(TicketminerError):
    """The store cannot be reached; the caller may retry."""


class Cancelled(TicketminerError):
    """The caller gave up (it cancelled, or its deadline passed), so the work stopped."""

    def __init__(self, message: str | None = None, *, deadline_exceeded: bool = False) -> None:
        self.deadline_exceeded = deadline_exceeded
        if message is None:
            message = (
                "the deadline passed; the work was stopped"
                if deadline_exceeded
                else "the call was cancelled; the work was stopped"
            )
        super().__init__(message)
