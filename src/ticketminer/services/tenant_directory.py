"""Tenants as known things: a tenant exists once it has a stored ticket or stored
settings, whichever replica wrote them.

Reads of an unknown tenant are refused (UnknownTenant) instead of answering zeros.
The in-process cache holds positives only: a tenant once seen stays seen (also
after its tickets were deleted: reads then answer zeros, not NOT_FOUND), while a
miss re-asks the database (one index probe), so a tenant created through another
replica is found on its first read here. Made-up names leave nothing behind.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import Engine

from ticketminer.domain.api_keys import ALL_TENANTS
from ticketminer.domain.errors import UnknownTenant
from ticketminer.domain.tenants import TenantPage
from ticketminer.services.page_tokens import (
    decode_name_token,
    encode_name_token,
    page_size_of,
    query_fingerprint,
)
from ticketminer.store.tenants_repo import tenant_exists, tenant_summaries

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class TenantDirectory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def exists(self, tenant_id: str) -> bool:
        if tenant_id in self._known:
            return True
        with self._engine.connect() as conn:
            found = tenant_exists(conn, tenant_id)
        if found:
            with self._lock:
                self._known.add(tenant_id)
        return found

    def require(self, tenant_id: str) -> None:
        """Raise UnknownTenant unless the tenant has tickets or settings."""
        if not self.exists(tenant_id):
            raise UnknownTenant(tenant_id)

    def page(
        self,
        page_size: int = 0,
        page_token: str = "",
        readable: Sequence[str] | None = None,
    ) -> TenantPage:
        """Known tenants in tenant_id order with their ticket counts; only those in
        `readable` when given (an API key's tenants; None or "*" for all)."""
        page_size = page_size_of(page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        only = None if readable is None or ALL_TENANTS in readable else sorted(set(readable))
        bound = query_fingerprint("tenants", only)
        after = decode_name_token(page_token, bound) if page_token else ""
        with self._engine.connect() as conn:
            found = tenant_summaries(conn, after, page_size + 1, only)
        shown = found[:page_size]
        with self._lock:
            self._known.update(t.tenant_id for t in shown)
        more = len(found) > page_size
        token = encode_name_token(shown[-1].tenant_id, bound) if more else ""
        return TenantPage(shown, token)
