"""Anomaly use cases: scan a tenant, list and read anomalies, and the active ones
an ingested ticket should hear about.

Scans run in batch (the scheduler, or ScanAnomalies); the ingest path only reads a
small in-memory list of the tenant's active anomalies.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from ticketminer.anomalies.dimensions import DimensionStats, choose_dimensions
from ticketminer.anomalies.hourly import HOUR_US, grid_for
from ticketminer.anomalies.issue_groups import issue_centroids, neighbour_groups
from ticketminer.anomalies.lifecycle import next_status, reconcile, severity
from ticketminer.anomalies.rootcause import DEFAULT_MAX_CELLS
from ticketminer.anomalies.slices import SliceColumn
from ticketminer.anomalies.summary import summarize
from ticketminer.domain import limits
from ticketminer.domain.anomalies import (
    ActiveAnomaly,
    Anomaly,
    AnomalyPage,
    AnomalyQuery,
    AnomalyStatus,
    Detection,
    RootCauseCandidate,
    ScanReport,
)
from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.domain.errors import FieldViolation, InvalidArgument, NotFound
from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.issues import IssueAssignment
from ticketminer.domain.model import Ticket
from ticketminer.domain.tenant_settings import SettingsOf, no_settings
from ticketminer.domain.timeutil import from_us, utc_now
from ticketminer.issues import fusion
from ticketminer.issues.ticket_text import ticket_scores
from ticketminer.metrics.definitions import effective_variant
from ticketminer.metrics.selection import fcr_column
from ticketminer.services.anomaly_explain import Explainer, Explanation, build_cube
from ticketminer.services.anomaly_scan import Finding, Scan, ScanInput
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.issue_models import IssueModelCache
from ticketminer.services.tenant_locks import TenantJobs
from ticketminer.services.ttl_cache import TtlCache
from ticketminer.store.anomalies_repo import (
    active_anomalies,
    get_anomaly,
    insert_anomaly,
    last_scan,
    mark_scanned,
    query_anomalies,
    recent_anomalies,
    update_anomaly,
)
from ticketminer.store.assignments_repo import tokens_of
from ticketminer.store.facts_repo import attribute_key_stats
from ticketminer.store.issues_repo import external_ids
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.sentiment_repo import forget_sentiment, load_scores, write_sentiment
from ticketminer.store.tickets_repo import get_tickets_by_pk
from ticketminer.text.anger import ANGRY_THRESHOLD

MAX_PAGE_SIZE = 500
ACTIVE_REFRESH_SECONDS = 5.0
# Tenants whose active anomalies are cached at once (least recently used go first).
ACTIVE_CACHE_TENANTS = 10_000
MAX_DISTINCT_SHARE = 0.5
MAX_ROOT_CAUSE_ATTRIBUTES = limits.ROOTCAUSE_MAX_ATTRIBUTES
RESCAN_WINDOW = timedelta(days=14)
SENTIMENT_CHUNK = 2000
# Complaints read negative by nature (a review-trained score puts 15-30 % of polite
# problem reports below -0.8), so a sentiment surge is about angry tickets: those whose
# anger score (text/anger.py: insults, accusations, threats, exasperation) reaches this.
ANGRY_AT = ANGRY_THRESHOLD


class AnomalyService:
    def __init__(
        self,
        engine: Engine,
        facts: FactsCache,
        columns: IssueColumns,
        models: IssueModelCache,
        *,
        time_zone: str = "UTC",
        history_days: int = 120,
        trailing_days: int = 28,
        angry_at: float = ANGRY_AT,
        settings: SettingsOf = no_settings,
        max_dimensions: int = MAX_ROOT_CAUSE_ATTRIBUTES,
        max_cells: int = DEFAULT_MAX_CELLS,
    ) -> None:
        self._max_dimensions = max_dimensions
        self._max_cells = max_cells
        self._settings = settings
        self._engine = engine
        self._facts = facts
        self._columns = columns
        self._models = models
        self._time_zone = time_zone
        self._history_days = history_days
        self._trailing_days = trailing_days
        self._angry_at = angry_at
        self._jobs = TenantJobs("anomaly-scan", JobLocks(engine))
        self._active: TtlCache[str, list[Anomaly]] = TtlCache(
            ACTIVE_REFRESH_SECONDS, ACTIVE_CACHE_TENANTS
        )

    # -- scanning ------------------------------------------------------------

    def due(self, tenant_id: str) -> bool:
        """Whether tickets changed since the tenant's last scan."""
        facts = self._facts.table(tenant_id)
        if len(facts) == 0:
            return False
        with self._engine.connect() as conn:
            last = last_scan(conn, tenant_id)
        return last is None or int(facts.version.max()) > last[1]

    def scan(self, tenant_id: str) -> ScanReport:
        """Detect over the tenant's recent history and bring stored anomalies up to date.
        One scan per tenant at a time across all replicas (this waits for a running one)."""
        report = self._scan(tenant_id, wait=True)
        if report is None:  # wait=True holds the lock before it returns
            raise RuntimeError("anomaly scan lock not taken")
        return report

    def scan_when_free(self, tenant_id: str) -> ScanReport | None:
        """A background scan: None, at once, when another scan holds the tenant."""
        return self._scan(tenant_id, wait=False)

    def _scan(self, tenant_id: str, wait: bool) -> ScanReport | None:
        if len(self._facts.table(tenant_id)) == 0:
            # Nothing to scan, and no job lock (a lock file on SQLite) for a made-up tenant.
            return ScanReport()
        with self._jobs.run(tenant_id, wait) as mine:
            if not mine:
                return None
            started = time.perf_counter()
            facts = self._facts.table(tenant_id)
            if len(facts) == 0:
                return ScanReport(seconds=time.perf_counter() - started)
            data = self._input(tenant_id, facts)
            findings = Scan(data, trailing_days=self._trailing_days).run()
            report = self._store(tenant_id, data, findings)
            self._active.forget(tenant_id)
            return replace(report, seconds=time.perf_counter() - started)

    def _days(self, tenant_id: str) -> int:
        """History a scan reads: all of `history_days` the first time (or after a long
        pause), then only the baselines plus the recent weeks; older incidents are
        stored already and stay as they were."""
        with self._engine.connect() as conn:
            last = last_scan(conn, tenant_id)
        if last is not None and utc_now() - last[0] < RESCAN_WINDOW:
            return min(self._history_days, self._trailing_days + RESCAN_WINDOW.days)
        return self._history_days

    def _input(self, tenant_id: str, facts) -> ScanInput:
        created = facts.created_us
        end_us = int(created.max()) + 1
        end_us += -end_us % HOUR_US  # the newest ticket's hour, whole
        days = self._days(tenant_id)
        # The tenant's own time zone and FCR variant, else the server's.
        tenant = self._settings(tenant_id)
        grid = grid_for(int(created.min()), end_us, days, tenant.time_zone or self._time_zone)
        pks, anger = self._anger(tenant_id, facts, grid.start_us)
        negative = np.full(len(facts), -1, dtype=np.int8)
        pos = np.searchsorted(facts.pk, pks)
        found = pos < len(facts.pk)
        found[found] = facts.pk[pos[found]] == pks[found]
        negative[pos[found]] = (anger[found] >= self._angry_at).astype(np.int8)
        column = self._columns.column(tenant_id, facts)
        fcr = fcr_column(facts, effective_variant(tenant.fcr_variant))
        slices = self._slice_columns(tenant_id, facts)
        groups = tuple(self._issue_groups(tenant_id))
        return ScanInput(facts, column, negative, grid, fcr, slices, groups)

    def _issue_groups(self, tenant_id: str) -> list[tuple[int, ...]]:
        """Neighbouring issues of the current model, on their meaning when it has it."""
        model = self._models.current(tenant_id)
        c = model.clusterer
        if c is None or not len(model.ids) or not len(c.centroids_):
            return []
        sub = c.centroids_
        if c.semantic_dim_:
            sub = fusion.semantic_block(sub, c.lex_dim_)
        centroids = issue_centroids(sub, c.parent_, len(model.ids))
        return neighbour_groups(centroids, model.ids)

    def _anger(self, tenant_id: str, facts, since_us: int) -> tuple[np.ndarray, np.ndarray]:
        """(pks, anger) of the window's tickets, scoring (and storing) those that have no
        score: new tickets, updated ones whose old score was dropped at ingest, and rows
        stored before anger was scored (scored again whole)."""
        with self._engine.connect() as conn:
            pks, _, anger = load_scores(conn, tenant_id, since_us)
        wanted = facts.pk[facts.created_us >= since_us]
        stale = pks[np.isnan(anger)]
        missing = np.union1d(np.setdiff1d(wanted, pks, assume_unique=True), stale)
        for start in range(0, len(missing), SENTIMENT_CHUNK):
            raise_if_cancelled()
            chunk = [int(p) for p in missing[start : start + SENTIMENT_CHUNK]]
            with self._engine.connect() as conn:
                found = get_tickets_by_pk(conn, chunk, include_messages=True)
            rows = [(t.pk, *ticket_scores(t.ticket)) for t in found]
            with self._engine.begin() as conn:
                forget_sentiment(conn, [int(p) for p in np.intersect1d(chunk, stale)])
                write_sentiment(conn, tenant_id, rows)
        if len(missing):
            with self._engine.connect() as conn:
                pks, _, anger = load_scores(conn, tenant_id, since_us)
        return pks, anger

    def _store(self, tenant_id: str, data: ScanInput, findings: list[Finding]) -> ScanReport:
        now = utc_now()
        with self._engine.connect() as conn:
            stored = recent_anomalies(conn, tenant_id, data.grid.start_us)
        plan = reconcile([f.detection for f in findings], stored)
        by_detection = {id(f.detection): f for f in findings}
        changed = [(None, d) for d in plan.new] + [
            (a, d) for a, d in plan.continued if _moved(a, d)
        ]
        explainer = self._explainer(tenant_id, data) if changed else None
        labels = self._models.labels(tenant_id)
        # Explaining takes seconds; it runs before the write transaction so ingest
        # never waits on it for the database's write lock.
        built: list[tuple[Anomaly | None, Anomaly]] = []
        with self._engine.connect() as conn:
            for previous, d in changed:
                raise_if_cancelled()  # explaining is the slow part; the write is below
                finding = by_detection[id(d)]
                explanation = explainer.explain(finding)  # type: ignore[union-attr]
                anomaly = self._anomaly(
                    conn, tenant_id, previous, finding, explanation, labels, now
                )
                built.append((previous, anomaly))
        seen_to = from_us(data.grid.end_us)
        opened = updated = resolved = 0
        with self._engine.begin() as conn:
            for previous, anomaly in built:
                if previous is None:
                    insert_anomaly(conn, anomaly)
                    opened += 1
                else:
                    update_anomaly(conn, anomaly)
                    updated += 1
                resolved += anomaly.status == AnomalyStatus.RESOLVED and (
                    previous is None or previous.status.active
                )
            for a in plan.ended:
                # Not seen any more: over by the end of what this scan read.
                ended = replace(a, status=AnomalyStatus.RESOLVED, end=seen_to, updated_at=now)
                update_anomaly(conn, ended)
                resolved += 1
            mark_scanned(conn, tenant_id, int(now.timestamp() * 1e6), int(data.facts.version.max()))
            active = active_anomalies(conn, tenant_id)
        return ScanReport(
            opened=opened,
            updated=updated,
            resolved=resolved,
            series=len(set(data.issue_column.tolist())) + 1,
            hours=data.grid.n_steps,
            active=_by_severity(active),
        )

    def _dimension_keys(self, tenant_id: str, facts) -> list[str]:
        """The attributes a root cause may name and whose slices a scan watches."""
        with self._engine.connect() as conn:
            found = attribute_key_stats(conn, tenant_id)
        # An attribute with more distinct values than half the tickets (an order id)
        # names no root cause; of the rest, only the most informative become columns.
        stats = [DimensionStats(key, n, distinct) for key, n, distinct in found]
        limit = MAX_DISTINCT_SHARE * len(facts)
        return choose_dimensions(stats, self._max_dimensions, limit)

    def _slice_columns(self, tenant_id: str, facts) -> tuple[SliceColumn, ...]:
        columns = [SliceColumn("channel", facts.channel.codes, facts.channel.values)]
        for key in self._dimension_keys(tenant_id, facts):
            cat = self._facts.attribute(tenant_id, facts, key)
            columns.append(SliceColumn(key, cat.codes, cat.values))
        return tuple(columns)

    def _explainer(self, tenant_id: str, data: ScanInput) -> Explainer:
        def attribute(key: str):
            return self._facts.attribute(tenant_id, data.facts, key)

        def tokens(pks: list[int]) -> dict[int, str]:
            with self._engine.connect() as conn:
                return tokens_of(conn, pks)

        # The scan's input chose them already (its slice columns: channel, then these).
        keys = [c.name for c in data.slice_columns[1:]]
        cube = build_cube(data, keys, attribute)
        return Explainer(data, cube, tokens, self._trailing_days, self._max_cells)

    def _anomaly(
        self,
        conn,
        tenant_id: str,
        previous: Anomaly | None,
        finding: Finding,
        explanation: Explanation,
        labels: Mapping[int, str],
        now: datetime,
    ) -> Anomaly:
        d = finding.detection
        wanted = {p for pks in explanation.candidate_pks for p in pks}
        wanted |= set(explanation.evidence_pks)
        ids = external_ids(conn, sorted(wanted))
        causes = tuple(
            RootCauseCandidate(
                dims=tuple(c.dims),
                observed=float(c.observed),
                expected=float(c.expected),
                explained_share=float(c.explained_share),
                lift=float(c.lift),
                support=float(c.support),
                pvalue=float(c.pvalue),
                score=float(c.score),
                evidence_ticket_ids=tuple(ids[p] for p in pks if p in ids),
            )
            for c, pks in zip(explanation.root_causes, explanation.candidate_pks, strict=True)
        )
        label = labels.get(d.issue_id, "") if d.issue_id is not None else ""
        scope = f"of '{label}'" if label else ("tenant-wide" if d.issue_id is None else "")
        scope = finding.scope or scope
        start = d.start if previous is None else min(previous.start, d.start)
        return Anomaly(
            anomaly_id=0 if previous is None else previous.anomaly_id,
            tenant_id=tenant_id,
            kind=d.kind,
            metric=d.metric,
            issue_id=d.issue_id,
            status=next_status(None if previous is None else previous.status, d),
            severity=severity(d.kind, d.metric, d.observed, d.expected),
            start=start,
            detected_at=d.detected_at if previous is None else previous.detected_at,
            end=d.end,
            updated_at=now,
            observed=d.observed,
            expected=d.expected,
            pvalue=d.pvalue,
            score=d.score,
            tickets=d.tickets,
            root_causes=causes,
            terms=explanation.terms,
            evidence_ticket_ids=tuple(ids[p] for p in explanation.evidence_pks if p in ids),
            summary=summarize(
                d.kind,
                d.metric,
                scope,
                start,
                d.observed,
                d.expected,
                causes,
                explanation.terms,
                # The tenant's own zone if it set one; UTC otherwise (the server's
                # seasonal zone is an analysis setting, not the reader's clock).
                self._settings(tenant_id).time_zone or "UTC",
                _also(finding),
            ),
            issue_ids=finding.issue_ids,
            series=d.series,
            issue_label=label,
        )

    # -- reading -------------------------------------------------------------

    def list(self, query: AnomalyQuery) -> AnomalyPage:
        if not 0 <= query.page_size <= MAX_PAGE_SIZE:
            raise InvalidArgument(
                [FieldViolation("page_size", f"must be between 1 and {MAX_PAGE_SIZE}")]
            )
        query = replace(query, page_size=query.page_size or 50)
        with self._engine.connect() as conn:
            found, total = query_anomalies(conn, query)
            last = last_scan(conn, query.tenant_id)
        labels = self._models.labels(query.tenant_id)
        page = [_labelled(a, labels) for a in found]
        nxt = query.offset + len(page)
        return AnomalyPage(page, total, nxt if nxt < total else None, last[0] if last else None)

    def get(self, tenant_id: str, anomaly_id: int) -> Anomaly:
        with self._engine.connect() as conn:
            found = get_anomaly(conn, tenant_id, anomaly_id)
        if found is None:
            raise NotFound(f"anomaly {anomaly_id} not found in tenant {tenant_id!r}")
        return _labelled(found, self._models.labels(tenant_id))

    def tickets_filter(self, tenant_id: str, flt: TicketFilter) -> TicketFilter:
        """`flt` narrowed to its anomaly's issue and window (an empty window when the
        rest of the filter excludes the anomaly's tickets)."""
        if flt.anomaly_id is None:
            return flt
        a = self.get(tenant_id, flt.anomaly_id)
        start = a.start if flt.start_time is None else max(a.start, flt.start_time)
        end = a.end if flt.end_time is None else min(a.end or flt.end_time, flt.end_time)
        issues = flt.issue_ids
        if a.issue_id is not None:
            spanned = tuple(dict.fromkeys((a.issue_id, *a.issue_ids)))  # led by, spanning
            issues = spanned if not issues else tuple(i for i in issues if i in spanned)
            if not issues or (end is not None and end <= start):
                end = start
        narrowed = replace(flt, start_time=start, end_time=end, anomaly_id=None)
        return replace(narrowed, issue_ids=issues)

    def forget_active(self, tenant_id: str) -> None:
        """Drop the cached active anomalies (their evidence may name deleted tickets)."""
        self._active.forget(tenant_id)

    def active(self, tenant_id: str) -> list[Anomaly]:
        """The tenant's open and ongoing anomalies, cached for the ingest path."""
        return self._active.get(tenant_id, lambda: self._load_active(tenant_id))

    def _load_active(self, tenant_id: str) -> list[Anomaly]:
        with self._engine.connect() as conn:
            return _by_severity(active_anomalies(conn, tenant_id))

    def of_issue(
        self, tenant_id: str, issue_id: int, start: datetime | None, end: datetime | None
    ) -> list[Anomaly]:
        """The issue's anomalies overlapping a window, newest first (at most 500)."""
        query = AnomalyQuery(tenant_id, start, end, issue_ids=(issue_id,), page_size=MAX_PAGE_SIZE)
        return self.list(query).anomalies

    def for_ingested(self, ticket: Ticket, issue: IssueAssignment | None) -> list[ActiveAnomaly]:
        """Active anomalies of the ticket's issue (led by it or spanning it) and of the
        whole tenant, with whether the ticket matches each one's top root cause."""
        issue_id = issue.issue_id if issue is not None and issue.issue_id else None
        values = dict(ticket.attributes)
        values["channel"] = ticket.channel
        if issue_id:
            values["issue"] = str(issue_id)
        out = []
        for a in self.active(ticket.tenant_id):
            # An incident led by one issue also spans the issues it lists.
            if a.issue_id is not None and issue_id != a.issue_id and issue_id not in a.issue_ids:
                continue
            top = a.root_causes[0].dims if a.root_causes else ()
            matches = bool(top) and all(values.get(k) == v for k, v in top)
            out.append(ActiveAnomaly(a, matches, top if matches else ()))
        return out


def _also(finding: Finding) -> list[tuple[str, float, float]]:
    """Other metrics the incident moved (its folded detections), once each."""
    seen = {finding.detection.metric}
    out = []
    for d in finding.related:
        if d.metric not in seen:
            seen.add(d.metric)
            out.append((d.metric, d.observed, d.expected))
    return out


def _moved(a: Anomaly, d: Detection) -> bool:
    """Whether a continued anomaly needs rewriting (an unchanged, ended one does not)."""
    return a.status.active or d.end != a.end or d.start < a.start


def _labelled(a: Anomaly, labels: Mapping[int, str]) -> Anomaly:
    if a.issue_id is None:
        return a
    return replace(a, issue_label=labels.get(a.issue_id, a.issue_label))


def _by_severity(found: list[Anomaly]) -> list[Anomaly]:
    return sorted(found, key=lambda a: (-int(a.severity), -a.score, a.anomaly_id))
