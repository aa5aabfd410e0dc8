"""The issue model each tenant's incoming tickets are assigned with.

Loaded from the database and re-checked about once a second, so a model fitted by
another process (or replica) takes over without a restart. At most CACHED_TENANTS
tenants' models stay loaded (least recently used go first), and a tenant not asked
about for IDLE_SECONDS is dropped; either reloads on its next call. So calls naming
made-up tenants neither grow memory without bound nor leave entries for ever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from cachetools import TTLCache
from sqlalchemy import Engine

from ticketminer.domain.issues import UNASSIGNED, IssueAssignment, IssueRecord, IssueStatus
from ticketminer.domain.timeutil import from_us
from ticketminer.issues.clustering import IssueClusterer
from ticketminer.store.issues_repo import issue_records, latest_model_version, load_model

REFRESH_SECONDS = 1.0
CACHED_TENANTS = 10_000
IDLE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class LoadedModel:
    version: int
    clusterer: IssueClusterer | None  # None until the tenant's first fit
    ids: np.ndarray  # issue id of each cluster row
    records: dict[int, IssueRecord]
    snapshot_version: int  # ticket change number the fit saw
    created_at: datetime | None = None

    def label(self, issue_id: int) -> str:
        record = self.records.get(issue_id)
        return record.label if record else ""

    def assign(self, docs: Sequence[Sequence[str]]) -> list[IssueAssignment]:
        if self.clusterer is None or not len(self.ids):
            return [IssueAssignment(UNASSIGNED, "", 0.0, self.version) for _ in docs]
        clusters, confidence = self.clusterer.predict(docs)
        out = []
        for cluster, conf in zip(clusters.tolist(), confidence.tolist(), strict=True):
            issue = int(self.ids[cluster]) if cluster >= 0 else UNASSIGNED
            out.append(IssueAssignment(issue, self.label(issue), float(conf), self.version))
        return out


EMPTY_MODEL = LoadedModel(0, None, np.zeros(0, dtype=np.int64), {}, 0)


def build_loaded(
    version: int,
    clusterer: IssueClusterer | None,
    records: Sequence[IssueRecord],
    snapshot_version: int,
    created_at: datetime | None = None,
) -> LoadedModel:
    active = [r for r in records if r.status == IssueStatus.ACTIVE and r.cluster_index >= 0]
    ids = np.zeros(max((r.cluster_index for r in active), default=-1) + 1, dtype=np.int64)
    for r in active:
        ids[r.cluster_index] = r.issue_id
    by_id = {r.issue_id: r for r in records}
    return LoadedModel(version, clusterer, ids, by_id, snapshot_version, created_at)


class IssueModelCache:
    def __init__(
        self,
        engine: Engine,
        refresh_seconds: float = REFRESH_SECONDS,
        max_tenants: int = CACHED_TENANTS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._engine = engine
        self._refresh = refresh_seconds
        # Guarded by self._lock; each refresh re-inserts, so only idle tenants expire.
        self._models: TTLCache[str, tuple[LoadedModel, float]] = TTLCache(max_tenants, idle_seconds)
        self._lock = threading.Lock()

    def current(self, tenant_id: str) -> LoadedModel:
        now = time.monotonic()
        with self._lock:
            cached = self._models.get(tenant_id)
        if cached is not None and now - cached[1] < self._refresh:
            return cached[0]
        with self._engine.connect() as conn:
            version = latest_model_version(conn, tenant_id)
            if cached is not None and cached[0].version == version:
                model = cached[0]
            elif version == 0:
                model = EMPTY_MODEL
            else:
                stored = load_model(conn, tenant_id, version)
                records = issue_records(conn, tenant_id)
                if stored is None:  # pruned between the two reads; keep what we have
                    model = cached[0] if cached else EMPTY_MODEL
                else:
                    model = build_loaded(
                        version,
                        IssueClusterer.from_state(stored.state),
                        records,
                        int(stored.params.get("snapshot_version", 0)),
                        from_us(stored.created_us),
                    )
        self.publish(tenant_id, model, now)
        return model

    def labels(self, tenant_id: str) -> dict[int, str]:
        return {i: r.label for i, r in self.current(tenant_id).records.items()}

    def publish(self, tenant_id: str, model: LoadedModel, at: float | None = None) -> None:
        """Make `model` current (a fit in this process need not wait for a refresh)."""
        stamp = time.monotonic() if at is None else at
        with self._lock:
            cached = self._models.get(tenant_id)
            if cached is None or cached[0].version <= model.version:
                self._models[tenant_id] = (model, stamp)
