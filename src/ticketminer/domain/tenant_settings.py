"""What a platform configures per tenant, as a plain value.

Settings are optional one by one: an unset setting follows the server's default,
so a tenant that never called UpdateTenantSettings behaves like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.tenure import TenureBuckets

MAX_TENANT_BYTES = 256  # as ticket ids (validation.Limits.max_id_bytes)
MAX_TENURE_EDGES = 12
MAX_TENURE_DAYS = 36_500  # a century of customer relationship
FIELDS = ("tenure_edges_days",)


@dataclass(frozen=True, slots=True)
class TenantSettings:
    tenant_id: str
    tenure_edges_days: tuple[int, ...] = ()  # () = the server's default buckets
    updated_at: datetime | None = None  # None = never set

    def tenure(self, default: TenureBuckets) -> TenureBuckets:
        return TenureBuckets(self.tenure_edges_days) if self.tenure_edges_days else default

    def document(self) -> dict[str, Any]:
        """The stored form: only what is set, so defaults can change under it."""
        return {"tenure_edges_days": list(self.tenure_edges_days)} if self.tenure_edges_days else {}

    @classmethod
    def from_document(
        cls, tenant_id: str, document: dict[str, Any], updated_at: datetime | None
    ) -> TenantSettings:
        edges = tuple(int(e) for e in document.get("tenure_edges_days", ()))
        return cls(tenant_id, edges, updated_at)


def check_settings(settings: TenantSettings, prefix: str = "settings") -> None:
    """InvalidArgument naming each bad setting."""
    violations = []
    tenant = settings.tenant_id
    if len(tenant.encode("utf-8", "surrogatepass")) > MAX_TENANT_BYTES or "\x00" in tenant:
        violations.append(
            FieldViolation(
                f"{prefix}.tenant_id", f"must be at most {MAX_TENANT_BYTES} bytes, no NUL"
            )
        )
    edges = settings.tenure_edges_days
    field = f"{prefix}.tenure_edges_days"
    if len(edges) > MAX_TENURE_EDGES:
        violations.append(FieldViolation(field, f"at most {MAX_TENURE_EDGES} edges"))
    elif any(not 0 < e <= MAX_TENURE_DAYS for e in edges):
        violations.append(FieldViolation(field, f"each edge must be 1 to {MAX_TENURE_DAYS} days"))
    elif list(edges) != sorted(set(edges)):
        violations.append(FieldViolation(field, "edges must be strictly increasing"))
    if violations:
        raise InvalidArgument(violations)


def check_mask(paths: tuple[str, ...], prefix: str = "update_mask.paths") -> None:
    bad = [
        FieldViolation(f"{prefix}[{i}]", f"unknown setting {p!r}; use one of {', '.join(FIELDS)}")
        for i, p in enumerate(paths)
        if p not in FIELDS
    ]
    if bad:
        raise InvalidArgument(bad)
