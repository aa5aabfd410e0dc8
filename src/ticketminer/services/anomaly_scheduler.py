"""Scans tenants for anomalies as tickets arrive: in one background thread, so
detection never sits on the request path."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ticketminer.services.anomalies import AnomalyService
from ticketminer.services.tenant_loop import TenantLoop


class AnomalyScheduler(TenantLoop):
    def __init__(
        self,
        anomalies: AnomalyService,
        tenants: Callable[[], Iterable[str]],
        interval_seconds: float,
    ) -> None:
        super().__init__(
            "anomaly-scan", tenants, anomalies.due, anomalies.scan_when_free, interval_seconds
        )
