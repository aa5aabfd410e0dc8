"""A full re-cluster of one tenant: fit on the stored tokens, keep the ids of issues
that did not really change, record lineage, publish.

It runs off the request path. Ingest goes on meanwhile with the previous model;
tickets written during the fit are re-assigned with the new model when it is
published, so none is left on a stale id.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import Engine, select

from ticketminer.domain.cancellation import raise_if_cancelled, shielded
from ticketminer.domain.issues import (
    UNASSIGNED,
    IssueRecord,
    IssueStatus,
    LineageEvent,
    LineageKind,
    ReclusterReport,
)
from ticketminer.domain.timeutil import from_us, to_us, utc_now
from ticketminer.issues.clustering import LEFT_OUT, NEW_DOC, IssueClusterer
from ticketminer.issues.labels import IssueDescription, PhraseEmbedder, describe_issues
from ticketminer.issues.lineage import IdMapping, map_clusters
from ticketminer.issues.stored_tokens import all_tokens
from ticketminer.services.issue_models import LoadedModel, build_loaded
from ticketminer.store.assignments_repo import (
    NewAssignment,
    insert_assignments,
    load_assignment_changes,
    load_sub_issues,
    load_tokens,
    load_tokens_after,
    write_assignments,
)
from ticketminer.store.issues_repo import (
    StoredModel,
    add_lineage,
    issue_records,
    latest_model_version,
    replace_issue_records,
    save_model,
)
from ticketminer.store.schema import TICKET_VERSION, counters
from ticketminer.store.tickets_repo import pks_changed_after, reserve_versions, ticket_samples
from ticketminer.store.vectors_repo import StoredVectors
from ticketminer.text import mask_pii, normalize
from ticketminer.text.pipeline import strip_subject_prefix

log = logging.getLogger(__name__)

# Assignments are published in transactions of this many rows, so ingest never
# waits long for the write lock.
PUBLISH_CHUNK = 20_000
# Labels and medoids are computed on at most this many tickets per issue.
DESCRIBE_PER_ISSUE = 2_000


class NothingToCluster(Exception):
    pass


@dataclass(frozen=True, slots=True)
class VectorSpace:
    """The semantic vectors a fit reads: the embedder's model id and dimension."""

    model: str
    dim: int


@dataclass(frozen=True, slots=True)
class ReclusterParams:
    n_issues: int | None = None
    random_state: int = 0
    # Start from scratch instead of from the current issues (k is chosen anew).
    full_rebuild: bool = False
    vectors: VectorSpace | None = None
    # Labels: picks the phrase that best describes an issue (see issues.labels).
    phrase_embedder: PhraseEmbedder | None = None
    # How close sub-issues must be to join one issue (the tenant's granularity).
    merge_threshold: float = 0.95


@dataclass(frozen=True, slots=True)
class _Snapshot:
    version: int  # ticket change number when the tokens were read
    pks: np.ndarray
    docs: list[list[str]]
    old_issue: np.ndarray  # current issue of each ticket (UNASSIGNED if none)
    old_sub: np.ndarray  # current sub-issue of each ticket (0 if none)
    has_row: np.ndarray  # whether the ticket has an assignment row yet
    records: list[IssueRecord]
    model_version: int
    semantic: StoredVectors | None  # read a slice at a time; all-zero rows where none yet


def _read_snapshot(engine: Engine, tenant_id: str, space: VectorSpace | None) -> _Snapshot:
    with engine.connect() as conn:
        version = int(
            conn.execute(
                select(counters.c.value).where(counters.c.name == TICKET_VERSION)
            ).scalar_one()
        )
        pks, texts = load_tokens(conn, tenant_id)
        assigned_pks, assigned, _ = load_assignment_changes(conn, tenant_id, 0)
        sub_pks, subs = load_sub_issues(conn, tenant_id)
        records = issue_records(conn, tenant_id)
        model_version = latest_model_version(conn, tenant_id)
    semantic = StoredVectors(engine, tenant_id, space.model, pks, space.dim) if space else None
    old_issue = np.full(len(pks), UNASSIGNED, dtype=np.int64)
    old_sub = np.zeros(len(pks), dtype=np.int64)
    has_row = np.zeros(len(pks), dtype=bool)
    rows, ok = _positions(pks, assigned_pks)
    old_issue[rows[ok]] = assigned[ok]
    has_row[rows[ok]] = True
    rows, ok = _positions(pks, sub_pks)
    old_sub[rows[ok]] = subs[ok]
    # One str object per distinct token: a million tickets repeat the same few
    # thousand words tens of millions of times, and separate copies cost ~0.5 GB.
    shared: dict[str, str] = {}
    same = shared.setdefault
    docs = [[same(t, t) for t in all_tokens(text)] for text in texts]
    del texts
    return _Snapshot(
        version, pks, docs, old_issue, old_sub, has_row, records, model_version, semantic
    )


def _positions(pks: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `found` in the sorted `pks`, and which of them are there."""
    rows = np.searchsorted(pks, found)
    ok = rows < len(pks)
    ok[ok] = pks[rows[ok]] == found[ok]
    return rows, ok


def _seed_labels(
    engine: Engine,
    tenant_id: str,
    snapshot: _Snapshot,
    current: LoadedModel,
    params: ReclusterParams,
) -> np.ndarray | None:
    """The previous fit's partition, to warm-start from: tickets written since that
    fit (assigned online, or changed) count as unseeded, so a new issue among them
    is found rather than absorbed."""
    if params.full_rebuild or params.n_issues is not None or current.version == 0:
        return None
    # The previous sub-issues where there were some (ids are unique across both kinds).
    previous = np.where(snapshot.old_sub > 0, snapshot.old_sub, snapshot.old_issue)
    seeds = np.where(previous == UNASSIGNED, LEFT_OUT, previous)
    seeds[~snapshot.has_row] = NEW_DOC
    with engine.connect() as conn:
        changed = pks_changed_after(conn, tenant_id, current.snapshot_version)
    if len(changed):
        seeds[np.isin(snapshot.pks, changed)] = NEW_DOC
    return seeds


def _describe_sample(labels: np.ndarray, n_issues: int, seed: int) -> np.ndarray:
    """Indices of at most DESCRIBE_PER_ISSUE tickets per issue, deterministic."""
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for cluster in range(n_issues):
        members = np.flatnonzero(labels == cluster)
        if len(members) > DESCRIBE_PER_ISSUE:
            members = np.sort(rng.choice(members, DESCRIBE_PER_ISSUE, replace=False))
        keep.append(members)
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def _languages(terms: Sequence[str]) -> tuple[str, ...]:
    has_cjk = any("\u4e00" <= ch <= "\u9fff" for t in terms for ch in t)
    has_latin = any(ch.isascii() and ch.isalpha() for t in terms for ch in t)
    return tuple(lang for lang, present in (("en", has_latin), ("zh", has_cjk)) if present)


def _records(
    snapshot: _Snapshot,
    mapping: IdMapping,
    descriptions: list[IssueDescription],
    sizes: np.ndarray,
    medoid_pks: list[int | None],
    model_version: int,
    now_us: int,
    parents: Sequence[int | None] | None = None,
) -> list[IssueRecord]:
    """Every issue (or, with `parents`, every sub-issue) after this fit: the new
    clusters under their ids, plus the old ones that were merged or retired (kept, so
    their ids still resolve)."""
    now = from_us(now_us)
    kind_of = (
        (lambda r: r.parent_id is not None)
        if parents is not None
        else (lambda r: r.parent_id is None)
    )
    previous = {r.issue_id: r for r in snapshot.records if kind_of(r)}
    out: dict[int, IssueRecord] = {}
    for cluster, issue_id in enumerate(mapping.ids):
        d = descriptions[cluster]
        old = previous.get(issue_id)
        out[issue_id] = IssueRecord(
            issue_id=issue_id,
            status=IssueStatus.ACTIVE,
            label=d.label,
            terms=d.terms,
            languages=_languages(d.terms),
            size=int(sizes[cluster]),
            representative_pk=medoid_pks[cluster],
            cluster_index=cluster,
            born_model_version=old.born_model_version if old else model_version,
            model_version=model_version,
            born_at=old.born_at if old else now,
            updated_at=now,
            parent_id=None if parents is None else parents[cluster],
        )
    for event in mapping.events:
        if event.kind not in (LineageKind.MERGED, LineageKind.RETIRED):
            continue
        old = previous[event.issue_id]
        status = IssueStatus.MERGED if event.kind == LineageKind.MERGED else IssueStatus.RETIRED
        out[event.issue_id] = replace(
            old,
            status=status,
            cluster_index=-1,
            size=0,
            merged_into=event.related_issue_id,
            model_version=model_version,
            updated_at=now,
        )
    for issue_id, old in previous.items():
        if issue_id not in out:  # inactive before this fit; keep it as it was
            out[issue_id] = old
    return [out[k] for k in sorted(out)]


def recluster(
    engine: Engine, tenant_id: str, params: ReclusterParams, current: LoadedModel
) -> tuple[ReclusterReport, LoadedModel]:
    """Fit, map ids, publish. `current` is the model ingest uses until this returns."""
    started = time.perf_counter()
    with _gc_paused():
        return _recluster(engine, tenant_id, params, current, started)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of small token lists would trigger full GC passes over a growing
    heap again and again (seconds per million); none of them forms a cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _recluster(
    engine: Engine,
    tenant_id: str,
    params: ReclusterParams,
    current: LoadedModel,
    started: float,
) -> tuple[ReclusterReport, LoadedModel]:
    snapshot = _read_snapshot(engine, tenant_id, params.vectors)
    clusterer = IssueClusterer(
        n_issues=params.n_issues,
        random_state=params.random_state,
        merge_threshold=params.merge_threshold,
    )
    if len(snapshot.docs) == 0:
        raise NothingToCluster(tenant_id)
    raise_if_cancelled()
    seeds = _seed_labels(engine, tenant_id, snapshot, current, params)
    clusterer.fit(snapshot.docs, seeds, semantic=snapshot.semantic)
    raise_if_cancelled()
    labels = np.asarray(clusterer.labels_, dtype=np.int64)
    n_issues = int(clusterer.n_issues_)
    model_version = max(snapshot.model_version, current.version) + 1
    now_us = to_us(utc_now())
    namer = _Namer(engine, tenant_id, snapshot, clusterer, params, model_version, now_us)

    active = [r for r in snapshot.records if r.status == IssueStatus.ACTIVE]
    next_id = max((r.issue_id for r in snapshot.records), default=0) + 1
    issue_ids = [r.issue_id for r in active if r.parent_id is None]
    mapping = map_clusters(snapshot.old_issue, labels, n_issues, issue_ids, next_id)
    records = namer.records(mapping, labels, n_issues)
    ids = np.array(mapping.ids, dtype=np.int64)
    issue_of = np.where(labels >= 0, ids[np.maximum(labels, 0)] if n_issues else 0, UNASSIGNED)

    # Sub-issues: only those of issues with two or more of them are worth naming.
    subs, shown = _shown_sub_issues(clusterer)
    sub_ids = [r.issue_id for r in active if r.parent_id is not None]
    sub_mapping = map_clusters(snapshot.old_sub, subs, len(shown), sub_ids, mapping.next_id)
    parents = [int(ids[clusterer.parent_[s]]) for s in shown]
    records += namer.records(sub_mapping, subs, len(shown), parents, shown)
    sub_id_of = np.array(sub_mapping.ids, dtype=np.int64)
    sub_of = np.where(subs >= 0, sub_id_of[np.maximum(subs, 0)] if len(shown) else 0, 0)

    events = namer.events(mapping)
    confidence = np.asarray(clusterer.confidence_, dtype=np.float64)
    loaded = build_loaded(model_version, clusterer, records, snapshot.version, from_us(now_us))

    # The last point where a caller who gave up stops the fit: publishing takes
    # several transactions, and half a publication would leave tickets on issue ids
    # of a model that was never saved, so it runs to the end.
    raise_if_cancelled()
    with shielded():
        _publish_assignments(
            engine, tenant_id, snapshot, issue_of, sub_of, confidence, model_version
        )
        with engine.begin() as conn:
            # Tickets written while we were fitting: assign them with the new model.
            late_pks, late_texts = load_tokens_after(conn, tenant_id, snapshot.version)
            if len(late_pks):
                late = loaded.assign([all_tokens(t) for t in late_texts])
                _write_assignment_rows(
                    conn,
                    tenant_id,
                    [
                        NewAssignment(
                            int(pk), a.issue_id, a.confidence, model_version, a.sub_issue_id
                        )
                        for pk, a in zip(late_pks, late, strict=True)
                    ],
                    now_us,
                )
            save_model(
                conn,
                tenant_id,
                StoredModel(
                    version=model_version,
                    created_us=now_us,
                    n_tickets=len(snapshot.pks),
                    n_issues=n_issues,
                    unclustered=int(np.sum(labels < 0)),
                    params={
                        "n_issues": params.n_issues,
                        "random_state": params.random_state,
                        "snapshot_version": snapshot.version,
                    },
                    state=clusterer.get_state(),
                ),
            )
            replace_issue_records(conn, tenant_id, records)
            add_lineage(conn, tenant_id, [*events, *namer.events(sub_mapping)])
    report = ReclusterReport(
        model_version=model_version,
        n_tickets=len(snapshot.pks),
        n_issues=n_issues,
        unclustered=int(np.sum(labels < 0)),
        events=events,
        kept=mapping.kept,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "reclustered",
        extra={
            "tenant_id": tenant_id,
            "model_version": model_version,
            "tickets": report.n_tickets,
            "issues": n_issues,
            "events": len(events),
            "seconds": round(report.seconds, 3),
        },
    )
    return report, loaded


def _write_assignment_rows(
    conn, tenant_id: str, rows: Sequence[NewAssignment], now_us: int
) -> None:
    first = reserve_versions(conn, len(rows))
    write_assignments(conn, tenant_id, rows, first, now_us)


def _publish_assignments(
    engine: Engine,
    tenant_id: str,
    snapshot: _Snapshot,
    issue_of: np.ndarray,
    sub_of: np.ndarray,
    confidence: np.ndarray,
    model_version: int,
) -> None:
    """Write only what changed: unchanged tickets keep their row (and history). Every
    ticket of the fit gets a row, the unclustered ones too (issue 0): the next fit then
    knows it saw them, and does not take them for new tickets."""
    now_us = to_us(utc_now())
    moved_or_new = (issue_of != snapshot.old_issue) | (sub_of != snapshot.old_sub)
    changed = np.flatnonzero(moved_or_new | ~snapshot.has_row)
    fresh = changed[~snapshot.has_row[changed]]
    moved = changed[snapshot.has_row[changed]]
    for start in range(0, len(fresh), PUBLISH_CHUNK):
        part = fresh[start : start + PUBLISH_CHUNK]
        with engine.begin() as conn:
            first = reserve_versions(conn, len(part))
            insert_assignments(
                conn,
                tenant_id,
                snapshot.pks[part],
                issue_of[part],
                confidence[part],
                model_version,
                first,
                now_us,
                sub_of[part],
            )
    for start in range(0, len(moved), PUBLISH_CHUNK):
        part = moved[start : start + PUBLISH_CHUNK]
        rows = [
            NewAssignment(pk, issue, conf, model_version, sub)
            for pk, issue, conf, sub in zip(
                snapshot.pks[part].tolist(),
                issue_of[part].tolist(),
                confidence[part].tolist(),
                sub_of[part].tolist(),
                strict=True,
            )
        ]
        with engine.begin() as conn:
            _write_assignment_rows(conn, tenant_id, rows, now_us)


def _shown_sub_issues(clusterer: IssueClusterer) -> tuple[np.ndarray, list[int]]:
    """(per ticket: index among the shown sub-issues or -1, the model's sub-issue index
    of each shown one). Shown: the sub-issues of issues that have two or more."""
    parent = clusterer.parent_
    counts = np.bincount(parent, minlength=int(clusterer.n_issues_)) if len(parent) else parent
    shown = [s for s in range(len(parent)) if counts[parent[s]] >= 2]
    compact = np.full(len(parent) + 1, -1, dtype=np.int64)
    compact[np.asarray(shown, dtype=np.int64)] = np.arange(len(shown))
    return compact[clusterer.sub_labels_], shown


class _Namer:
    """Descriptions, records and lineage events of the issues (or sub-issues) of a fit."""

    def __init__(
        self,
        engine: Engine,
        tenant_id: str,
        snapshot: _Snapshot,
        clusterer: IssueClusterer,
        params: ReclusterParams,
        model_version: int,
        now_us: int,
    ) -> None:
        self._engine = engine
        self._tenant_id = tenant_id
        self._snapshot = snapshot
        self._clusterer = clusterer
        self._params = params
        self._model_version = model_version
        self._now_us = now_us

    def records(
        self,
        mapping: IdMapping,
        labels: np.ndarray,
        n: int,
        parents: Sequence[int] | None = None,
        indices: Sequence[int] | None = None,
    ) -> list[IssueRecord]:
        snapshot = self._snapshot
        sample = _describe_sample(labels, n, self._params.random_state)
        sample_docs = [snapshot.docs[i] for i in sample]
        semantic = (
            np.asarray(snapshot.semantic[sample], dtype=np.float32)
            if snapshot.semantic is not None
            else None
        )
        descriptions = describe_issues(
            sample_docs,
            labels[sample],
            self._clusterer.embed(sample_docs),
            n,
            semantic=semantic,
            phrases=self._params.phrase_embedder,
            subjects=self._subjects(snapshot.pks[sample]),
        )
        sizes = np.bincount(labels[labels >= 0], minlength=n)
        medoid_pks = [
            int(snapshot.pks[sample[d.medoid]]) if d.medoid >= 0 else None for d in descriptions
        ]
        found = _records(
            snapshot,
            mapping,
            descriptions,
            sizes,
            medoid_pks,
            self._model_version,
            self._now_us,
            parents,
        )
        if indices is None:
            return found
        # A sub-issue's row in the model is its index among all sub-issues.
        row_of = {issue_id: indices[j] for j, issue_id in enumerate(mapping.ids)}
        return [
            replace(r, cluster_index=row_of[r.issue_id]) if r.issue_id in row_of else r
            for r in found
        ]

    def _subjects(self, pks: np.ndarray) -> list[str]:
        """Normalised, masked subjects of the sampled tickets (label candidates)."""
        with self._engine.connect() as conn:
            found = {row[0]: row[4] for row in ticket_samples(conn, self._tenant_id, pks.tolist())}
        return [mask_pii(normalize(strip_subject_prefix(found.get(int(pk), "")))) for pk in pks]

    def events(self, mapping: IdMapping) -> list[LineageEvent]:
        at = from_us(self._now_us)
        return [
            LineageEvent(e.kind, e.issue_id, self._model_version, at, e.tickets, e.related_issue_id)
            for e in mapping.events
        ]
