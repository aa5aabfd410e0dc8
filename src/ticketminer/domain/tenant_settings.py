"""What a platform configures per tenant, as a plain value.

Settings are optional one by one: an unset setting follows the server's default,
so a tenant that never called UpdateTenantSettings behaves like every other.
Requests that leave a time zone or FCR variant open take the tenant's
(`time_zone_for`, `variant_for`), so every RPC resolves them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import IntEnum
from typing import Any

from ticketminer.domain.business_hours import BusinessCalendar, check_calendar
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import FcrVariant, TicketFilter
from ticketminer.domain.tenure import TenureBuckets
from ticketminer.domain.timeutil import zone_or_none
from ticketminer.domain.validation import tenant_violations

MAX_TENURE_EDGES = 12
MAX_TENURE_DAYS = 36_500  # a century of customer relationship
DEFAULT_TIME_ZONE = "UTC"
MAX_RETENTION_DAYS = 36_500
FIELDS = (
    "tenure_edges_days",
    "time_zone",
    "fcr_variant",
    "business_hours",
    "issue_granularity",
    "retention_days",
)


class IssueGranularity(IntEnum):
    """How broadly sub-issues join into issues (numbers as on the wire)."""

    DEFAULT = 0  # = STANDARD
    COARSE = 1
    STANDARD = 2
    FINE = 3
    VARIANTS = 4


@dataclass(frozen=True, slots=True)
class TenantSettings:
    tenant_id: str
    tenure_edges_days: tuple[int, ...] = ()  # () = the server's default buckets
    updated_at: datetime | None = None  # None = never set
    time_zone: str = ""  # "" = DEFAULT_TIME_ZONE
    fcr_variant: FcrVariant = FcrVariant.DEFAULT  # DEFAULT = one_touch
    business_hours: BusinessCalendar | None = None  # None = calendar time only
    issue_granularity: IssueGranularity = IssueGranularity.DEFAULT
    retention_days: int = 0  # 0 = keep tickets forever

    def tenure(self, default: TenureBuckets) -> TenureBuckets:
        return TenureBuckets(self.tenure_edges_days) if self.tenure_edges_days else default

    @property
    def zone(self) -> str:
        """The tenant's own time zone: where its business hours are read."""
        return self.time_zone or DEFAULT_TIME_ZONE

    def time_zone_for(self, requested: str) -> str:
        """A request's time zone: its own, else the tenant's, else UTC."""
        return requested or self.zone

    def variant_for(self, requested: FcrVariant) -> FcrVariant:
        """A request's FCR variant: its own, else the tenant's (DEFAULT = one_touch)."""
        return requested if requested != FcrVariant.DEFAULT else self.fcr_variant

    def filter_for(self, flt: TicketFilter) -> TicketFilter:
        """The filter with the tenant's FCR variant behind its FCR cohorts."""
        variant = self.variant_for(flt.fcr_variant)
        return flt if variant == flt.fcr_variant else replace(flt, fcr_variant=variant)

    def document(self) -> dict[str, Any]:
        """The stored form: only what is set, so defaults can change under it."""
        doc: dict[str, Any] = {}
        if self.tenure_edges_days:
            doc["tenure_edges_days"] = list(self.tenure_edges_days)
        if self.time_zone:
            doc["time_zone"] = self.time_zone
        if self.fcr_variant != FcrVariant.DEFAULT:
            doc["fcr_variant"] = self.fcr_variant.name.lower()
        if self.business_hours is not None:
            doc["business_hours"] = self.business_hours.document()
        if self.issue_granularity != IssueGranularity.DEFAULT:
            doc["issue_granularity"] = self.issue_granularity.name.lower()
        if self.retention_days:
            doc["retention_days"] = self.retention_days
        return doc

    @classmethod
    def from_document(
        cls, tenant_id: str, document: dict[str, Any], updated_at: datetime | None
    ) -> TenantSettings:
        calendar = document.get("business_hours")
        return cls(
            tenant_id,
            tuple(int(e) for e in document.get("tenure_edges_days", ())),
            updated_at,
            document.get("time_zone", ""),
            FcrVariant[document.get("fcr_variant", "default").upper()],
            None if calendar is None else BusinessCalendar.from_document(calendar),
            IssueGranularity[document.get("issue_granularity", "default").upper()],
            int(document.get("retention_days", 0)),
        )


# The settings of a tenant, as services read them (through a short-lived cache).
SettingsOf = Callable[[str], TenantSettings]


def no_settings(tenant_id: str) -> TenantSettings:
    """Every tenant on the server's defaults (services built without settings)."""
    return TenantSettings(tenant_id)


def check_settings(settings: TenantSettings, prefix: str = "settings") -> None:
    """InvalidArgument naming each bad setting."""
    violations = []
    tenant = settings.tenant_id
    violations += tenant_violations(tenant, f"{prefix}.tenant_id")
    edges = settings.tenure_edges_days
    field = f"{prefix}.tenure_edges_days"
    if len(edges) > MAX_TENURE_EDGES:
        violations.append(FieldViolation(field, f"at most {MAX_TENURE_EDGES} edges"))
    elif any(not 0 < e <= MAX_TENURE_DAYS for e in edges):
        violations.append(FieldViolation(field, f"each edge must be 1 to {MAX_TENURE_DAYS} days"))
    elif list(edges) != sorted(set(edges)):
        violations.append(FieldViolation(field, "edges must be strictly increasing"))
    if settings.time_zone and zone_or_none(settings.time_zone) is None:
        violations.append(
            FieldViolation(f"{prefix}.time_zone", f"unknown IANA time zone {settings.time_zone!r}")
        )
    if not 0 <= settings.retention_days <= MAX_RETENTION_DAYS:
        violations.append(
            FieldViolation(
                f"{prefix}.retention_days", f"must be 0 (keep forever) to {MAX_RETENTION_DAYS}"
            )
        )
    if settings.business_hours is not None:
        violations += check_calendar(settings.business_hours, f"{prefix}.business_hours")
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
