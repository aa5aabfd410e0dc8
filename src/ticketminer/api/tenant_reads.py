"""The RPCs that read a tenant's data, or run work over it, and so need a tenant that
exists: the one list, so a typo in a tenant id is NOT_FOUND on every one of them.

Left out on purpose: ingest (it creates tenants), Get/UpdateTenantSettings (a tenant
may be configured before its first ticket) and ListTenants (it names no tenant).
"""

from __future__ import annotations

from typing import Any

from ticketminer.api.convert import tenant_of
from ticketminer.v1 import ticketminer_pb2 as pb

TENANT_READS = frozenset(
    (
        "GetTicket",
        "ListTickets",
        "GetMetrics",
        "ListIssues",
        "GetIssue",
        "ReclusterIssues",
        "ListAnomalies",
        "GetAnomaly",
        "ScanAnomalies",
        "GetWeeklyDigest",
        "GetCustomerInsights",
    )
)
_METHODS = pb.DESCRIPTOR.services_by_name["TicketMiner"].methods_by_name
# Each of these methods has a request type of its own, so the type tells the method.
_INPUTS = frozenset(_METHODS[name].input_type.full_name for name in TENANT_READS)


def tenant_read(request: Any) -> str | None:
    """The tenant a request of one of TENANT_READS reads; None for any other request."""
    if request.DESCRIPTOR.full_name not in _INPUTS:
        return None
    return tenant_of(request.tenant_id)
