"""Issue use cases: assign incoming tickets, re-cluster, list and open issues."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Engine

from ticketminer.domain.anomalies import Anomaly
from ticketminer.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from ticketminer.domain.filters import Granularity, GroupBy, MetricsQuery, TicketFilter
from ticketminer.domain.issues import (
    UNASSIGNED,
    IssueAssignment,
    IssueDetail,
    IssueListing,
    IssueRecord,
    IssueStatus,
    IssueSummary,
    ReclusterReport,
    RepresentativeTicket,
    SubIssueSummary,
)
from ticketminer.domain.metrics import VolumeTrend
from ticketminer.domain.model import Ticket
from ticketminer.domain.tenant_settings import IssueGranularity, SettingsOf, no_settings
from ticketminer.domain.tenure import TenureOf, default_tenure
from ticketminer.domain.timeutil import from_us, to_us, utc_now
from ticketminer.issues.embedders.base import Embedder, EmbedderUnavailable
from ticketminer.issues.stored_tokens import all_tokens
from ticketminer.issues.ticket_text import ticket_token_parts
from ticketminer.metrics.aggregate import empty_metric_set
from ticketminer.metrics.facts_table import Categorical, FactsTable
from ticketminer.metrics.selection import select
from ticketminer.metrics.tenure import tenure_column
from ticketminer.metrics.trends import tenant_volume_7d, volume_trends
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.issue_models import IssueModelCache, LoadedModel
from ticketminer.services.metrics import MetricsService
from ticketminer.services.recluster import (
    NothingToCluster,
    ReclusterParams,
    VectorSpace,
    recluster,
)
from ticketminer.services.tenant_locks import TenantJobs
from ticketminer.services.ticket_writes import PreparedTicket
from ticketminer.store.assignments_repo import NewAssignment, tokens_of, write_assignments
from ticketminer.store.issues_repo import external_ids, lineage_of, ticket_texts
from ticketminer.store.job_locks import JobLocks
from ticketminer.store.tickets_repo import reserve_versions
from ticketminer.store.vectors_repo import vector_dim
from ticketminer.text.snippet import masked_snippet

SAMPLE_TICKETS = 5


@dataclass(frozen=True, slots=True)
class FitStatus:
    has_model: bool
    new_tickets: int
    model_age_seconds: float


log = logging.getLogger(__name__)

MAX_ISSUES_PER_PAGE = 500
# Relative semantic similarity at which sub-issues join one issue (issues.granularity),
# per tenant granularity; measured at STANDARD (BENCHMARKS.md).
MERGE_THRESHOLDS = {
    IssueGranularity.DEFAULT: 0.95,
    IssueGranularity.COARSE: 0.85,
    IssueGranularity.STANDARD: 0.95,
    IssueGranularity.FINE: 1.05,
    IssueGranularity.VARIANTS: float("inf"),
}
HOURLY_SPAN = timedelta(days=7)
DEFAULT_DAILY_SPAN_US = 366 * 86_400 * 1_000_000  # GetIssue with no window

# (tenant, issue id, window start, window end) -> the issue's anomalies in the window.
AnomaliesOf = Callable[[str, int, datetime | None, datetime | None], list[Anomaly]]


class IssueService:
    def __init__(
        self,
        engine: Engine,
        facts: FactsCache,
        columns: IssueColumns,
        models: IssueModelCache,
        metrics: MetricsService,
        random_state: int = 0,
        anomalies_of: AnomaliesOf = lambda _tenant, _issue, _start, _end: [],
        tenure: TenureOf = default_tenure,
        embedder: Embedder | None = None,
        embed_pending: Callable[[str], int] | None = None,
        settings: SettingsOf = no_settings,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._embed_pending = embed_pending
        self._tenure = tenure
        self._anomalies_of = anomalies_of
        self._engine = engine
        self._facts = facts
        self._columns = columns
        self._models = models
        self._metrics = metrics
        self._random_state = random_state
        self._jobs = TenantJobs("recluster", JobLocks(engine))

    # -- ingest path -------------------------------------------------------------

    def prepare(self, tickets: Sequence[Ticket]) -> list[PreparedTicket]:
        """Tokenise and assign each ticket with its tenant's current model."""
        parts = [ticket_token_parts(t) for t in tickets]
        tokens = [opening + follow_ups for opening, follow_ups in parts]
        by_tenant: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(tickets):
            by_tenant[t.tenant_id].append(i)
        issues: list[IssueAssignment | None] = [None] * len(tickets)
        for tenant, members in by_tenant.items():
            assigned = self._models.current(tenant).assign([tokens[i] for i in members])
            for i, a in zip(members, assigned, strict=True):
                issues[i] = a
        return [
            PreparedTicket(t, tok, a, len(p[0]))  # type: ignore[arg-type]
            for t, tok, a, p in zip(tickets, tokens, issues, parts, strict=True)
        ]

    # -- batch -------------------------------------------------------------------

    def recluster(
        self, tenant_id: str, n_issues: int | None = None, full_rebuild: bool = False
    ) -> ReclusterReport:
        """Rebuild the tenant's issues from its stored tokens, warm-started from the
        current issues unless `full_rebuild` or `n_issues` is given. One run per
        tenant at a time across all replicas (this waits for a running one); ingest
        is never blocked (it keeps the previous model)."""
        report = self._recluster(tenant_id, n_issues, full_rebuild, wait=True)
        if report is None:  # wait=True holds the lock before it returns
            raise RuntimeError("re-cluster lock not taken")
        return report

    def recluster_when_free(self, tenant_id: str) -> ReclusterReport | None:
        """A background re-cluster: None, at once, when another run (in this process
        or another replica) holds the tenant."""
        return self._recluster(tenant_id, None, False, wait=False)

    def _recluster(
        self, tenant_id: str, n_issues: int | None, full_rebuild: bool, wait: bool
    ) -> ReclusterReport | None:
        if n_issues is not None and not 1 <= n_issues <= 10_000:
            raise InvalidArgument([FieldViolation("n_issues", "must be between 1 and 10000")])
        if len(self._facts.table(tenant_id)) == 0:  # before any job lock is taken
            raise FailedPrecondition(f"tenant {tenant_id!r} has no tickets to cluster")
        with self._jobs.run(tenant_id, wait) as mine:
            if not mine:
                return None
            self._catch_up_vectors(tenant_id)
            params = ReclusterParams(
                n_issues,
                self._random_state,
                full_rebuild,
                vectors=self._vector_space(),
                phrase_embedder=self._embedder.embed if self._embedder else None,
                merge_threshold=MERGE_THRESHOLDS[self._settings(tenant_id).issue_granularity],
            )
            try:
                report, loaded = recluster(
                    self._engine, tenant_id, params, self._models.current(tenant_id)
                )
            except NothingToCluster as exc:
                raise FailedPrecondition(f"tenant {tenant_id!r} has no tickets to cluster") from exc
            self._models.publish(tenant_id, loaded)
            return report

    def _catch_up_vectors(self, tenant_id: str) -> None:
        """Embed the tenant's few missing vectors before a fit; with the backend down,
        the fit goes on with the vectors there are."""
        if self._embed_pending is None:
            return
        try:
            self._embed_pending(tenant_id)
        except EmbedderUnavailable as exc:
            log.warning(
                {"event": "embedder_unavailable", "tenant_id": tenant_id, "error": str(exc)}
            )

    def _vector_space(self) -> VectorSpace | None:
        """The stored vectors a fit reads: the embedder's, with the dimension they were
        stored at (no call to the model, which may be remote and down)."""
        if self._embedder is None:
            return None
        model = self._embedder.model_id
        with self._engine.connect() as conn:
            dim = vector_dim(conn, model)
        return VectorSpace(model, dim) if dim else None

    def assign_embedded(self, tenant_id: str, pks: np.ndarray, vectors: np.ndarray) -> int:
        """Re-assign tickets whose semantic vector was just computed (the embedding
        queue calls this): the model placed them by their words alone until now. The
        number of tickets whose issue or sub-issue changed."""
        model = self._models.current(tenant_id)
        clusterer = model.clusterer
        if clusterer is None or clusterer.semantic_dim_ != vectors.shape[1]:
            return 0  # no model yet, or a lexical one: the next fit will use them
        with self._engine.connect() as conn:
            texts = tokens_of(conn, [int(p) for p in pks])
        keep = [i for i, pk in enumerate(pks.tolist()) if pk in texts]
        docs = [all_tokens(texts[int(pks[i])]) for i in keep]
        found = model.assign(docs, semantic=vectors[keep])
        rows = [
            NewAssignment(int(pks[i]), a.issue_id, a.confidence, model.version, a.sub_issue_id)
            for i, a in zip(keep, found, strict=True)
        ]
        with self._engine.begin() as conn:
            first = reserve_versions(conn, len(rows))
            return write_assignments(conn, tenant_id, rows, first, to_us(utc_now()))

    def fit_status(self, tenant_id: str) -> FitStatus:
        """What the re-cluster policy decides on: tickets written after the current
        model's snapshot, and the model's age."""
        model = self._models.current(tenant_id)
        facts = self._facts.table(tenant_id)
        new = int(np.sum(facts.version > model.snapshot_version))
        age = (utc_now() - model.created_at).total_seconds() if model.created_at else 0.0
        return FitStatus(model.version > 0, new, age)

    # -- reads -------------------------------------------------------------------

    def model(self, tenant_id: str) -> LoadedModel:
        """The model incoming tickets of the tenant are assigned with."""
        return self._models.current(tenant_id)

    def list_issues(
        self,
        tenant_id: str,
        start: datetime | None,
        end: datetime | None,
        include_inactive: bool = False,
        limit: int = 100,
        tenure_buckets: tuple[str, ...] = (),
    ) -> IssueListing:
        """Active issues by volume in the window (all time if unset), largest first;
        with tenure buckets, counting only the tickets of customers in them."""
        if not 0 <= limit <= MAX_ISSUES_PER_PAGE:
            raise InvalidArgument(
                [FieldViolation("page_size", f"must be between 1 and {MAX_ISSUES_PER_PAGE}")]
            )
        self._tenure(tenant_id).check(tenure_buckets, "tenure_buckets")
        model = self._models.current(tenant_id)
        facts = self._facts.table(tenant_id)
        column = self._columns.column(tenant_id, facts)
        window = self._mask(
            tenant_id, facts, TicketFilter(start, end, tenure_buckets=tenure_buckets)
        )
        in_window = int(window.sum())
        volumes = np.bincount(column[window], minlength=1)
        records = [
            r for r in model.records.values() if include_inactive or r.status == IssueStatus.ACTIVE
        ]
        records.sort(key=lambda r: (-_volume(volumes, r.issue_id), r.issue_id))
        total_issues = len(records)
        records = records[: limit or 100]
        summaries = self._summaries(
            tenant_id, facts, column, records, start, end, window, tenure_buckets
        )
        last = max((r.updated_at for r in model.records.values()), default=None)
        return IssueListing(
            issues=summaries,
            model_version=model.version,
            unassigned_tickets=int(volumes[UNASSIGNED]) if len(volumes) else 0,
            total_tickets=in_window,
            total_issues=total_issues,
            reclustered_at=last if model.version else None,
            window_start=start,
            window_end=end,
            definitions=self._metrics.definitions(tenant_id),
        )

    def _mask(self, tenant_id: str, facts: FactsTable, flt: TicketFilter) -> np.ndarray:
        """Rows in the filter's window and tenure buckets (it holds nothing else)."""
        buckets = self._tenure(tenant_id)
        return select(facts, flt, _no_attributes, tenure=lambda: tenure_column(facts, buckets))

    def get_issue(
        self,
        tenant_id: str,
        issue_id: int,
        start: datetime | None,
        end: datetime | None,
        time_zone: str = "",
    ) -> IssueDetail:
        """The issue with its daily and hourly series in `time_zone` ("" = the tenant's)."""
        record = self._models.current(tenant_id).records.get(issue_id)
        if record is None:
            raise NotFound(f"issue {issue_id} not found in tenant {tenant_id!r}")
        facts = self._facts.table(tenant_id)
        column = self._columns.column(tenant_id, facts)
        window = self._mask(tenant_id, facts, TicketFilter(start, end))
        summary = self._summaries(tenant_id, facts, column, [record], start, end, window)[0]
        flt = TicketFilter(start_time=start, end_time=end, issue_ids=(issue_id,))
        if start is None:
            # With no window the daily series covers the issue's last year of tickets:
            # one stray ticket from years ago must not make it thousands of days long.
            created = facts.created_us[column == issue_id]
            if len(created):
                last_us = to_us(end) if end else int(created.max()) + 1
                first_us = max(int(created.min()), last_us - DEFAULT_DAILY_SPAN_US)
                flt = replace(flt, start_time=from_us(first_us))
        days = self._metrics.get_metrics(
            MetricsQuery(tenant_id, flt, granularity=Granularity.DAY, time_zone=time_zone)
        )
        time_zone = days.time_zone
        hourly = []
        last = end or (from_us(int(facts.created_us.max()) + 1) if len(facts) else None)
        if last is not None:
            first = max(start, last - HOURLY_SPAN) if start else last - HOURLY_SPAN
            recent = TicketFilter(start_time=first, end_time=last, issue_ids=(issue_id,))
            hourly = self._metrics.get_metrics(
                MetricsQuery(tenant_id, recent, granularity=Granularity.HOUR, time_zone=time_zone)
            ).series
        with self._engine.connect() as conn:
            lineage = lineage_of(conn, tenant_id, issue_id)
        anomalies = self._anomalies_of(tenant_id, issue_id, start, end)
        return IssueDetail(
            summary, days.series, lineage, hourly, anomalies, time_zone, days.definitions
        )

    def _summaries(
        self,
        tenant_id: str,
        facts: FactsTable,
        column: np.ndarray,
        records: list[IssueRecord],
        start: datetime | None,
        end: datetime | None,
        window: np.ndarray,
        tenure_buckets: tuple[str, ...] = (),
    ) -> list[IssueSummary]:
        if not records:
            return []
        ids = [r.issue_id for r in records]
        flt = TicketFilter(
            start_time=start, end_time=end, issue_ids=tuple(ids), tenure_buckets=tenure_buckets
        )
        report = self._metrics.get_metrics(MetricsQuery(tenant_id, flt, group_by=_BY_ISSUE))
        sets = {int(g.value): g.metrics for g in report.groups if g.value}
        in_window = int(window.sum())
        trend_end = end or (from_us(int(facts.created_us.max()) + 1) if len(facts) else None)
        # Trends look back from the window's end over the same customers.
        customers = self._mask(tenant_id, facts, TicketFilter(tenure_buckets=tenure_buckets))
        trends = _trends(facts, np.where(customers, column, -1), trend_end)
        samples = _newest_per_issue(facts, column, window, ids)
        wanted = [pk for pks in samples.values() for pk in pks]
        model = self._models.current(tenant_id)
        subs = {r.issue_id: model.sub_issues_of(r.issue_id) for r in records}
        shown = [*records, *(s for found in subs.values() for s in found)]
        reps = [r.representative_pk for r in shown if r.representative_pk is not None]
        with self._engine.connect() as conn:
            ext = external_ids(conn, wanted)
            texts = ticket_texts(conn, reps)
        out = []
        for r in records:
            metrics = sets.get(r.issue_id, empty_metric_set(report.business_hours))
            variants = tuple(
                SubIssueSummary(
                    sub,
                    sub.size / r.size if r.size else 0.0,
                    _representative(texts.get(sub.representative_pk or -1)),
                )
                for sub in subs[r.issue_id]
            )
            out.append(
                IssueSummary(
                    record=r,
                    metrics=metrics,
                    share=metrics.volume / in_window if in_window else 0.0,
                    trend=trends(r.issue_id),
                    representative=_representative(texts.get(r.representative_pk or -1)),
                    sample_ticket_ids=tuple(ext[pk] for pk in samples[r.issue_id] if pk in ext),
                    sub_issues=variants,
                )
            )
        return out


def _no_attributes(key: str) -> Categorical:
    raise AssertionError(f"a window filter reads no attribute ({key!r})")


def _newest_per_issue(
    facts: FactsTable, column: np.ndarray, window: np.ndarray, ids: list[int]
) -> dict[int, list[int]]:
    """The pks of each issue's newest SAMPLE_TICKETS tickets in the window, from one
    sort of the window's rows by (issue, newest first) rather than a scan per issue."""
    rows = np.flatnonzero(window & np.isin(column, ids))
    order = np.lexsort((-facts.created_us[rows], column[rows]))
    rows = rows[order]
    issues = column[rows]
    out = {}
    for issue_id in ids:
        first = int(np.searchsorted(issues, issue_id, side="left"))
        last = int(np.searchsorted(issues, issue_id, side="right"))
        out[issue_id] = [int(p) for p in facts.pk[rows[first : min(last, first + SAMPLE_TICKETS)]]]
    return out


_BY_ISSUE = GroupBy("issue")


def _volume(volumes: np.ndarray, issue_id: int) -> int:
    return int(volumes[issue_id]) if issue_id < len(volumes) else 0


def _trends(
    facts: FactsTable, column: np.ndarray, end: datetime | None
) -> Callable[[int], VolumeTrend]:
    """Trends of every issue at once (one bincount over issue x day); rows with a
    negative issue are left out, of the tenant's volume too."""
    if end is None:
        return lambda _issue_id: VolumeTrend()
    end_us = to_us(end)
    size = int(column.max()) + 1 if len(column) else 1
    tenant_7d = tenant_volume_7d(facts.created_us[column >= 0], end_us)
    trends = volume_trends(facts.created_us, column.astype(np.int64), size, end_us, tenant_7d)
    return lambda issue_id: trends[issue_id] if issue_id < size else VolumeTrend()


def _representative(row: tuple[str, str, str] | None) -> RepresentativeTicket | None:
    if row is None:
        return None
    external_id, subject, description = row
    # Masked: an issue's face must not show anyone's e-mail or phone.
    return RepresentativeTicket(external_id, masked_snippet(subject, description))
