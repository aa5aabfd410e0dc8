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
from dataclasses import dataclass, field
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
    ids: np.ndarray  # issue id of each issue row of the model
    records: dict[int, IssueRecord]  # the issues (not their sub-issues)
    snapshot_version: int  # ticket change number the fit saw
    created_at: datetime | None = None
    sub_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sub_records: dict[int, IssueRecord] = field(default_factory=dict)

    def label(self, issue_id: int) -> str:
        record = self.records.get(issue_id) or self.sub_records.get(issue_id)
        return record.label if record else ""

    def sub_issues_of(self, issue_id: int) -> list[IssueRecord]:
        """The issue's active sub-issues, largest first."""
        found = [
            r
            for r in self.sub_records.values()
            if r.parent_id == issue_id and r.status == IssueStatus.ACTIVE
        ]
        return sorted(found, key=lambda r: (-r.size, r.issue_id))

    def assign(
        self, docs: Sequence[Sequence[str]], semantic: np.ndarray | None = None
    ) -> list[IssueAssignment]:
        """The issue and sub-issue of each doc; `semantic` (rows match, all-zero for
        none) when the docs' vectors are known, else the lexical part decides."""
        if self.clusterer is None or not len(self.ids):
            return [IssueAssignment(UNASSIGNED, "", 0.0, self.version) for _ in docs]
        subs, confidence = self.clusterer.predict_sub_issues(docs, semantic)
        parent = self.clusterer.parent_
        out = []
        for sub, conf in zip(subs.tolist(), confidence.tolist(), strict=True):
            issue = int(self.ids[parent[sub]]) if sub >= 0 else UNASSIGNED
            sub_id = int(self.sub_ids[sub]) if 0 <= sub < len(self.sub_ids) else 0
            out.append(
                IssueAssignment(
                    issue,
                    self.label(issue),
                    float(conf),
                    self.version,
                    sub_issue_id=sub_id,
                    sub_issue_label=self.label(sub_id) if sub_id else "",
                )
            )
        return out


EMPTY_MODEL = LoadedModel(0, None, np.zeros(0, dtype=np.int64), {}, 0)


def _index(records: Sequence[IssueRecord]) -> np.ndarray:
    """Id of each model row, from the active records' cluster_index."""
    active = [r for r in records if r.status == IssueStatus.ACTIVE and r.cluster_index >= 0]
    ids = np.zeros(max((r.cluster_index for r in active), default=-1) + 1, dtype=np.int64)
    for r in active:
        ids[r.cluster_index] = r.issue_id
    return ids


def build_loaded(
    version: int,
    clusterer: IssueClusterer | None,
    records: Sequence[IssueRecord],
    snapshot_version: int,
    created_at: datetime | None = None,
) -> LoadedModel:
    issues = [r for r in records if r.parent_id is None]
    subs = [r for r in records if r.parent_id is not None]
    return LoadedModel(
        version,
        clusterer,
        _index(issues),
        {r.issue_id: r for r in issues},
        snapshot_version,
        created_at,
        _index(subs),
        {r.issue_id: r for r in subs},
    )


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
        """Label of every issue and sub-issue id."""
        model = self.current(tenant_id)
        return {i: r.label for i, r in (*model.records.items(), *model.sub_records.items())}

    def publish(self, tenant_id: str, model: LoadedModel, at: float | None = None) -> None:
        """Make `model` current (a fit in this process need not wait for a refresh)."""
        stamp = time.monotonic() if at is None else at
        with self._lock:
            cached = self._models.get(tenant_id)
            if cached is None or cached[0].version <= model.version:
                self._models[tenant_id] = (model, stamp)
