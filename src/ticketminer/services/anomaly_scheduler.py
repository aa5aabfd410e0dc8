"""Scans tenants for anomalies as tickets arrive: in one background thread, so
detection never sits on the request path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from ticketminer.services.anomalies import AnomalyService

log = logging.getLogger(__name__)


class AnomalyScheduler:
    def __init__(
        self,
        anomalies: AnomalyService,
        tenants: Callable[[], Iterable[str]],
        interval_seconds: float,
    ) -> None:
        self._anomalies = anomalies
        self._tenants = tenants
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="anomaly-scan", daemon=True)

    def start(self) -> AnomalyScheduler:
        if self._interval > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> list[str]:
        """Scan every tenant with tickets newer than its last scan; returns their ids."""
        ran = []
        for tenant in list(self._tenants()):
            if self._stop.is_set():
                break
            try:
                if self._anomalies.due(tenant):
                    self._anomalies.scan(tenant)
                    ran.append(tenant)
            except Exception:
                log.exception("anomaly scan failed for tenant %s", tenant)
        return ran

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()
