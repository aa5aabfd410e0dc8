"""Per-tenant settings: read through a short-lived cache on every query that needs
them, written by UpdateTenantSettings.

The cache lives a few seconds so a replica sees another replica's update soon
without a database read on every call; it holds at most CACHE_TENANTS tenants, so
calls naming made-up tenants cannot grow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine

from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.tenant_settings import FIELDS, TenantSettings, check_mask, check_settings
from ticketminer.domain.tenure import DEFAULT_BUCKETS, TenureBuckets
from ticketminer.domain.timeutil import from_us, to_us, utc_now
from ticketminer.services.ttl_cache import TtlCache
from ticketminer.store.tenant_settings_repo import load_settings, save_settings

CACHE_SECONDS = 5.0
CACHE_TENANTS = 10_000
# (tenant, filter) -> the filter with what the services fill in (e.g. an anomaly's window).
ResolveFilter = Callable[[str, TicketFilter], TicketFilter]


class TenantSettingsService:
    def __init__(
        self,
        engine: Engine,
        default_tenure: TenureBuckets = DEFAULT_BUCKETS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._default_tenure = default_tenure
        self._clock = clock
        self._cache: TtlCache[str, TenantSettings] = TtlCache(CACHE_SECONDS, CACHE_TENANTS)

    def get(self, tenant_id: str) -> TenantSettings:
        return self._cache.get(tenant_id, lambda: self._load(tenant_id))

    def _load(self, tenant_id: str) -> TenantSettings:
        with self._engine.connect() as conn:
            found = load_settings(conn, tenant_id)
        if found is None:
            return TenantSettings(tenant_id)
        return TenantSettings.from_document(tenant_id, found[0], from_us(found[1]))

    def update(self, changed: TenantSettings, paths: tuple[str, ...] = ()) -> TenantSettings:
        """Set the settings named by `paths` (all of them when empty) from `changed`."""
        check_mask(paths)
        check_settings(changed)
        paths = paths or FIELDS
        with self._engine.begin() as conn:
            found = load_settings(conn, changed.tenant_id)
            current = (
                TenantSettings(changed.tenant_id)
                if found is None
                else TenantSettings.from_document(changed.tenant_id, found[0], None)
            )
            merged = replace(
                current,
                **{p: getattr(changed, p) for p in paths},
                updated_at=self._clock(),
            )
            save_settings(conn, merged.tenant_id, merged.document(), to_us(merged.updated_at))
        self._cache.put(merged.tenant_id, merged)
        return merged

    def with_defaults(self, resolve: ResolveFilter) -> ResolveFilter:
        """`resolve`, then the tenant's FCR variant behind FCR cohorts left open."""
        return lambda tenant_id, flt: resolve(tenant_id, self.get(tenant_id).filter_for(flt))

    def tenure(self, tenant_id: str) -> TenureBuckets:
        """The tenant's tenure buckets: its own edges, else the server's."""
        return self.get(tenant_id).tenure(self._default_tenure)

    @property
    def default_tenure(self) -> TenureBuckets:
        return self._default_tenure
