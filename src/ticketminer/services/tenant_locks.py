"""One lock per tenant, created on first use: batch work (a re-cluster, a scan, a
cache catch-up) runs once per tenant at a time while other tenants go on."""

from __future__ import annotations

import threading
from collections import defaultdict


class TenantLocks:
    def __init__(self) -> None:
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def __call__(self, tenant_id: str) -> threading.Lock:
        with self._guard:
            return self._locks[tenant_id]
