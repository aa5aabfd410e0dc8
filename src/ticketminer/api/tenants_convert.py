"""ListTenants: the page of tenant summaries on the wire."""

from __future__ import annotations

from ticketminer.api.convert import set_time
from ticketminer.domain.tenants import TenantPage
from ticketminer.v1 import ticketminer_pb2 as pb


def tenant_page_to_proto(page: TenantPage) -> pb.ListTenantsResponse:
    out = pb.ListTenantsResponse(next_page_token=page.next_page_token)
    for summary in page.tenants:
        item = out.tenants.add(tenant_id=summary.tenant_id, ticket_count=summary.ticket_count)
        set_time(item, "first_ticket_at", summary.first_ticket_at)
        set_time(item, "last_ticket_at", summary.last_ticket_at)
    return out
