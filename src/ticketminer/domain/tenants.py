"""The tenants a server knows: those with stored tickets or stored settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TenantSummary:
    tenant_id: str
    ticket_count: int = 0
    # The first and the latest created_at among its tickets (None without tickets).
    first_ticket_at: datetime | None = None
    last_ticket_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TenantPage:
    tenants: list[TenantSummary]
    next_page_token: str
