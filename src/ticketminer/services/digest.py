"""GetWeeklyDigest: one ISO week of a tenant beside the week before, with the causes.

Every metric comes from MetricsService over the same facts table, so the digest's
numbers are GetMetrics' numbers for the same window; the digest only adds what
needs the issues, the anomalies and the lineage. A built digest is kept until any
of its inputs changes, so dashboards that poll it cost nothing.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace
from datetime import datetime
from enum import IntEnum

import numpy as np
from sqlalchemy import Engine

from ticketminer.digest.html import render_html
from ticketminer.digest.kpis import kpis
from ticketminer.digest.markdown import render_markdown
from ticketminer.digest.movers import (
    MIN_RATED,
    count_z,
    enough_counts,
    issue_tests,
    quantile_shift_z,
    significant,
)
from ticketminer.digest.weeks import IsoWeek
from ticketminer.domain.anomalies import Anomaly, AnomalyKind, AnomalyQuery, Severity
from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.domain.digest import (
    SPARKLINE_WEEKS,
    ChangeKind,
    DayVolume,
    DigestIssue,
    Highlight,
    IssueChange,
    Mover,
    SampleTicket,
    WeeklyDigest,
)
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import FcrVariant, Granularity, GroupBy, MetricsQuery, TicketFilter
from ticketminer.domain.issues import IssueRecord, LineageKind
from ticketminer.domain.metrics import MetricSet, MetricsGroup, MetricsReport
from ticketminer.domain.tenant_settings import SettingsOf, no_settings
from ticketminer.domain.tenure import TenureOf, default_tenure
from ticketminer.domain.timeutil import from_us, to_us, utc_now, zone_or_none
from ticketminer.metrics.aggregate import empty_metric_set
from ticketminer.metrics.facts_table import FactsTable
from ticketminer.services.anomalies import MAX_PAGE_SIZE, AnomalyService
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.issue_models import IssueModelCache
from ticketminer.services.lifecycle import LifecycleService
from ticketminer.services.metrics import MetricsService
from ticketminer.store.facts_repo import attribute_counts
from ticketminer.store.issues_repo import lineage_between
from ticketminer.store.tickets_repo import ticket_samples
from ticketminer.text.snippet import masked_snippet

TOP_ISSUES = 10
MAX_ANOMALIES = 20
MAX_MOVERS = 5  # of each: regressions, improvements, volume
HIGHLIGHT_TICKETS = 3
MAX_HIGHLIGHTS = 6
CUSTOMER_ITEMS = 5  # per customer-lifecycle ranking
CACHED_DIGESTS = 64
_LINEAGE_CHANGES = {
    LineageKind.MERGED: ChangeKind.MERGED,
    LineageKind.RETIRED: ChangeKind.RETIRED,
    LineageKind.SPLIT: ChangeKind.SPLIT,
}


class DigestFormat(IntEnum):
    """Renderings to return beside the data; numbers match the wire enum."""

    BOTH = 0
    MARKDOWN = 1
    HTML = 2
    DATA = 3


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    digest: WeeklyDigest
    markdown: str = ""
    html: str = ""


@dataclass(frozen=True, slots=True)
class _Week:
    """The week's windows and the request it answers."""

    tenant_id: str
    week: IsoWeek
    time_zone: str
    variant: FcrVariant
    start: datetime
    end: datetime
    previous_start: datetime

    def filter(self, start: datetime | None = None, end: datetime | None = None) -> TicketFilter:
        return TicketFilter(
            start_time=start or self.start, end_time=end or self.end, fcr_variant=self.variant
        )


@dataclass(frozen=True, slots=True)
class _Reports:
    days: MetricsReport
    previous_days: MetricsReport
    issues: dict[int, MetricsGroup]
    previous_issues: dict[int, MetricsGroup]
    issue_order: list[int]  # this week's issues, largest first
    unassigned: int
    channels: MetricsReport
    previous_channels: MetricsReport


def parse_week(iso_week: str, time_zone: str, now: datetime) -> tuple[IsoWeek, str]:
    """The requested week (default: the last complete one) and a valid time zone."""
    violations = []
    zone = time_zone or "UTC"
    if zone_or_none(zone) is None:
        violations.append(FieldViolation("time_zone", f"unknown IANA time zone {zone!r}"))
        zone = "UTC"
    week = None
    if iso_week:
        try:
            week = IsoWeek.parse(iso_week)
        except ValueError as exc:
            violations.append(FieldViolation("iso_week", str(exc)))
    if violations:
        raise InvalidArgument(violations)
    return week or IsoWeek.containing(now, zone).shifted(-1), zone


class DigestService:
    def __init__(
        self,
        engine: Engine,
        facts: FactsCache,
        columns: IssueColumns,
        models: IssueModelCache,
        metrics: MetricsService,
        anomalies: AnomalyService,
        lifecycle: LifecycleService | None = None,
        tenure: TenureOf = default_tenure,
        clock: Callable[[], datetime] = utc_now,
        ticket_url: str = "",
        settings: SettingsOf = no_settings,
    ) -> None:
        self._settings = settings
        self._ticket_url = ticket_url
        self._lifecycle = lifecycle
        self._tenure = tenure
        self._engine = engine
        self._facts = facts
        self._columns = columns
        self._models = models
        self._metrics = metrics
        self._anomalies = anomalies
        self._clock = clock
        self._cache: OrderedDict[tuple, tuple[tuple, WeeklyDigest]] = OrderedDict()
        self._renders: OrderedDict[tuple, tuple[WeeklyDigest, str]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="digest")

    def weekly(
        self,
        tenant_id: str,
        iso_week: str = "",
        time_zone: str = "",
        fcr_variant: FcrVariant = FcrVariant.DEFAULT,
    ) -> WeeklyDigest:
        """The week in `time_zone` with `fcr_variant`; left open, they are the tenant's."""
        tenant = self._settings(tenant_id)
        week, zone = parse_week(iso_week, tenant.time_zone_for(time_zone), self._clock())
        fcr_variant = tenant.variant_for(fcr_variant)
        start, end = week.window(zone)
        w = _Week(tenant_id, week, zone, fcr_variant, start, end, week.shifted(-1).window(zone)[0])
        facts = self._facts.table(tenant_id)
        column = self._columns.column(tenant_id, facts)
        model = self._models.current(tenant_id)
        found = self._anomalies.list(
            AnomalyQuery(tenant_id, start, end, page_size=MAX_PAGE_SIZE)
        ).anomalies
        # What the digest was built from, without keeping it alive: the facts by size
        # and newest change number, the issue column by a weak reference (the
        # column cache hands out a new array on any reassignment).
        newest = int(facts.version.max()) if len(facts) else 0
        anomalies = tuple((a.anomaly_id, a.updated_at) for a in found)
        tenure = self._tenure(tenant_id).edges_days  # the customer sections follow it
        stamp = (len(facts), newest, weakref.ref(column), model.version, anomalies, tenure, tenant)
        key = (tenant_id, str(week), zone, int(fcr_variant))
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None and _same(cached[0], stamp):
                self._cache.move_to_end(key)
                return cached[1]
        digest = self._build(w, facts, column, model.records, model.version, found)
        with self._cache_lock:
            self._cache[key] = (stamp, digest)
            while len(self._cache) > CACHED_DIGESTS:
                self._cache.popitem(last=False)
        return digest

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def rendered(
        self,
        tenant_id: str,
        iso_week: str = "",
        time_zone: str = "",
        fcr_variant: FcrVariant = FcrVariant.DEFAULT,
        fmt: DigestFormat = DigestFormat.BOTH,
    ) -> RenderedDigest:
        """The digest with the renderings asked for, each rendered once per digest."""
        digest = self.weekly(tenant_id, iso_week, time_zone, fcr_variant)
        markdown = html = ""
        if fmt in (DigestFormat.BOTH, DigestFormat.MARKDOWN):
            markdown = self._render(digest, "md", render_markdown)
        if fmt in (DigestFormat.BOTH, DigestFormat.HTML):
            html = self._render(digest, "html", render_html)
        return RenderedDigest(digest, markdown, html)

    def _render(
        self, digest: WeeklyDigest, kind: str, render: Callable[[WeeklyDigest, str], str]
    ) -> str:
        key = (digest.tenant_id, digest.iso_week, digest.time_zone, kind)
        with self._cache_lock:
            found = self._renders.get(key)
        if found is not None and found[0] is digest:
            return found[1]
        text = render(digest, self._ticket_url)
        with self._cache_lock:
            self._renders[key] = (digest, text)
            while len(self._renders) > 2 * CACHED_DIGESTS:
                self._renders.popitem(last=False)
        return text

    def _build(
        self,
        w: _Week,
        facts: FactsTable,
        column: np.ndarray,
        records: dict[int, IssueRecord],
        model_version: int,
        found: list[Anomaly],
    ) -> WeeklyDigest:
        # SQLite releases the GIL while it counts, so the attribute counts run
        # beside the in-memory work instead of after it; in this call's context, so
        # they stop with it when the caller gives up.
        by_attribute = self._pool.submit(copy_context().run, self._attribute_counts, w)
        customers = None
        if self._lifecycle is not None:
            customers = self._pool.submit(
                copy_context().run,
                self._lifecycle.insights,
                w.tenant_id,
                w.start,
                w.end,
                CUSTOMER_ITEMS,
            )
        reports = self._reports(w)
        raise_if_cancelled()
        current, previous = reports.days.overall, reports.previous_days.overall
        labels = {i: r.label for i, r in records.items()}
        first_seen = _first_seen(facts, column)
        shown = reports.issue_order[:TOP_ISSUES]
        weekly = _weekly(facts, column, shown, w)
        top = [_issue(i, reports, labels, records, first_seen, w, weekly[i]) for i in shown]
        anomalies = sorted(found, key=lambda a: (-int(a.severity), -a.score, a.anomaly_id))
        anomalies = anomalies[:MAX_ANOMALIES]
        changes = self._changes(w, reports, labels, first_seen, anomalies)
        raise_if_cancelled()
        movers = _movers(w, facts, column, reports, labels, by_attribute.result())
        highlights = self._highlights(w, facts, column, reports, labels, anomalies, changes)
        return WeeklyDigest(
            tenant_id=w.tenant_id,
            iso_week=str(w.week),
            previous_iso_week=str(w.week.shifted(-1)),
            time_zone=w.time_zone,
            start=w.start,
            end=w.end,
            generated_at=self._clock(),
            current=current,
            previous=previous,
            kpis=kpis(current, previous, w.filter(), _duration_shifts(w, facts, previous)),
            days=tuple(
                DayVolume(p.start_time.date(), p.metrics.volume, q.metrics.volume, p.drill_down)
                for p, q in zip(reports.days.series, reports.previous_days.series, strict=False)
            ),
            top_issues=tuple(top),
            active_issues=len(reports.issue_order),
            unassigned=reports.unassigned,
            changes=tuple(changes),
            anomalies=tuple(anomalies),
            movers=tuple(movers),
            highlights=tuple(highlights),
            drill_down=w.filter(),
            model_version=model_version,
            definitions=tuple(reports.days.definitions),
            sparkline_weeks=tuple(
                str(w.week.shifted(k - SPARKLINE_WEEKS + 1)) for k in range(SPARKLINE_WEEKS)
            ),
            customers=customers.result() if customers is not None else None,
        )

    def _attribute_counts(self, w: _Week) -> list[tuple[str, str, int, int]]:
        with self._engine.connect() as conn:
            return attribute_counts(
                conn,
                w.tenant_id,
                to_us(w.previous_start),
                to_us(w.start),
                to_us(w.end),
                2 * MIN_RATED,
            )

    def _reports(self, w: _Week) -> _Reports:
        def report(start: datetime, end: datetime, **kwargs) -> MetricsReport:
            raise_if_cancelled()
            flt = w.filter(start, end)
            query = MetricsQuery(
                w.tenant_id,
                flt,
                time_zone=w.time_zone,
                fcr_variant=w.variant,
                with_trends=False,
                **kwargs,
            )
            return self._metrics.get_metrics(query)

        def by_issue(start: datetime, end: datetime) -> tuple[dict[int, MetricsGroup], int]:
            groups = report(start, end, group_by=GroupBy("issue")).groups
            unassigned = sum(g.metrics.volume for g in groups if not g.value)
            return {int(g.value): g for g in groups if g.value}, unassigned

        issues, unassigned = by_issue(w.start, w.end)
        previous_issues, _ = by_issue(w.previous_start, w.start)
        day = {"granularity": Granularity.DAY}
        channel = {"group_by": GroupBy("channel")}
        return _Reports(
            days=report(w.start, w.end, **day),
            previous_days=report(w.previous_start, w.start, **day),
            issues=issues,
            previous_issues=previous_issues,
            issue_order=list(issues),
            unassigned=unassigned,
            channels=report(w.start, w.end, **channel),
            previous_channels=report(w.previous_start, w.start, **channel),
        )

    def _changes(
        self,
        w: _Week,
        reports: _Reports,
        labels: dict[int, str],
        first_seen: np.ndarray,
        anomalies: Sequence[Anomaly],
    ) -> list[IssueChange]:
        out = []
        for i in reports.issue_order:
            seen = int(first_seen[i]) if i < len(first_seen) else None
            if seen is not None and to_us(w.start) <= seen < to_us(w.end):
                g = reports.issues[i]
                out.append(
                    IssueChange(
                        ChangeKind.NEW, i, labels.get(i, ""), from_us(seen), g.metrics.volume,
                        g.drill_down,
                    )
                )  # fmt: skip
        emerging = {a.issue_id: a for a in anomalies if a.kind == AnomalyKind.EMERGING_ISSUE}
        for i, a in emerging.items():
            if i is None:
                continue
            g = reports.issues.get(i)
            volume = g.metrics.volume if g else 0
            drill = g.drill_down if g else replace(w.filter(), issue_ids=(i,))
            out.append(
                IssueChange(ChangeKind.EMERGING, i, labels.get(i, ""), a.start, volume, drill)
            )
        with self._engine.connect() as conn:
            events = lineage_between(conn, w.tenant_id, to_us(w.start), to_us(w.end))
        for e in events:
            kind = _LINEAGE_CHANGES.get(e.kind)
            if kind is None:
                continue
            out.append(
                IssueChange(
                    kind,
                    e.issue_id,
                    labels.get(e.issue_id, ""),
                    e.at,
                    e.tickets,
                    replace(w.filter(), issue_ids=(e.issue_id,)),
                    e.related_issue_id,
                    labels.get(e.related_issue_id or -1, ""),
                )
            )
        return out

    def _highlights(
        self,
        w: _Week,
        facts: FactsTable,
        column: np.ndarray,
        reports: _Reports,
        labels: dict[int, str],
        anomalies: Sequence[Anomaly],
        changes: Sequence[IssueChange],
    ) -> list[Highlight]:
        """Issues worth reading about: the worst anomalies', the largest, the new."""
        chosen: dict[int, tuple[str, tuple[str, ...]]] = {}
        for a in anomalies:
            if a.issue_id is not None and a.severity >= Severity.MEDIUM:
                chosen.setdefault(a.issue_id, ("anomaly", a.evidence_ticket_ids))
        for i in reports.issue_order[:3]:
            chosen.setdefault(i, ("top", ()))
        for c in changes:
            if c.kind == ChangeKind.NEW:
                chosen.setdefault(c.issue_id, ("new", ()))
        chosen = dict(list(chosen.items())[:MAX_HIGHLIGHTS])
        week = (facts.created_us >= to_us(w.start)) & (facts.created_us < to_us(w.end))
        newest = {i: _newest(facts, column, week, i) for i, (_, ids) in chosen.items() if not ids}
        wanted_ids = [e for _, ids in chosen.values() for e in ids]
        with self._engine.connect() as conn:
            rows = ticket_samples(
                conn, w.tenant_id, [p for ps in newest.values() for p in ps], wanted_ids
            )
        by_pk = {r[0]: r for r in rows}
        by_external = {r[1]: r for r in rows}
        out = []
        for i, (reason, ids) in chosen.items():
            picked = [by_external[e] for e in ids if e in by_external] or [
                by_pk[p] for p in newest.get(i, []) if p in by_pk
            ]
            tickets = tuple(
                SampleTicket(ext, from_us(created), channel, masked_snippet(subject, body))
                for _, ext, created, channel, subject, body in picked[:HIGHLIGHT_TICKETS]
            )
            drill = g.drill_down if (g := reports.issues.get(i)) else w.filter()
            out.append(Highlight(i, labels.get(i, ""), reason, tickets, drill))
        return out


def _same(old: tuple, new: tuple) -> bool:
    return old[:2] == new[:2] and old[2]() is new[2]() and old[3:] == new[3:]


def _first_seen(facts: FactsTable, column: np.ndarray) -> np.ndarray:
    """Each issue id's oldest ticket (created_us), int64 max where it has none."""
    size = int(column.max()) + 1 if len(column) else 1
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, column.astype(np.int64), facts.created_us)
    return first


def _weekly(
    facts: FactsTable, column: np.ndarray, issue_ids: Sequence[int], w: _Week
) -> dict[int, tuple[int, ...]]:
    """Each issue's volume in the SPARKLINE_WEEKS weeks ending with this one, from one
    pass over the tickets (not one per issue: the table holds every ticket ever)."""
    weeks = [w.week.shifted(k - SPARKLINE_WEEKS + 1) for k in range(SPARKLINE_WEEKS)]
    edges = np.array([to_us(x.window(w.time_zone)[0]) for x in weeks] + [to_us(w.end)])
    created = facts.created_us
    rows = np.flatnonzero((created >= edges[0]) & (created < edges[-1]))
    week_of = np.searchsorted(edges, created[rows], side="right") - 1
    slot = {issue: k for k, issue in enumerate(issue_ids)}
    lookup = np.full(int(column.max(initial=0)) + 1, -1, dtype=np.int64)
    for issue, k in slot.items():
        if issue < len(lookup):
            lookup[issue] = k
    which = lookup[column[rows].astype(np.int64)]
    mine = which >= 0
    counts = (
        np.bincount(
            which[mine] * SPARKLINE_WEEKS + week_of[mine], minlength=len(slot) * SPARKLINE_WEEKS
        ).reshape(len(slot), SPARKLINE_WEEKS)
        if slot
        else np.zeros((0, SPARKLINE_WEEKS), int)
    )
    return {issue: tuple(int(c) for c in counts[k]) for issue, k in slot.items()}


def _newest(facts: FactsTable, column: np.ndarray, week: np.ndarray, issue_id: int) -> list[int]:
    rows = np.flatnonzero(week & (column == issue_id))
    order = np.argsort(-facts.created_us[rows], kind="stable")[:HIGHLIGHT_TICKETS]
    return [int(p) for p in facts.pk[rows[order]]]


def _issue(
    issue_id: int,
    reports: _Reports,
    labels: dict[int, str],
    records: dict[int, IssueRecord],
    first_seen: np.ndarray,
    w: _Week,
    weekly: tuple[int, ...],
) -> DigestIssue:
    g = reports.issues[issue_id]
    prev = reports.previous_issues.get(issue_id)
    week_volume = reports.days.overall.volume
    seen = int(first_seen[issue_id]) if issue_id < len(first_seen) else None
    record = records.get(issue_id)
    return DigestIssue(
        issue_id=issue_id,
        label=labels.get(issue_id, ""),
        terms=record.terms[:5] if record else (),
        volume=g.metrics.volume,
        previous_volume=prev.metrics.volume if prev else 0,
        share=g.metrics.volume / week_volume if week_volume else 0.0,
        weekly_volumes=weekly,
        metrics=g.metrics,
        previous_metrics=(prev.metrics if prev else empty_metric_set(reports.days.business_hours)),
        drill_down=g.drill_down,
        first_seen=from_us(seen) if seen is not None and seen < to_us(w.end) else None,
    )


def _movers(
    w: _Week,
    facts: FactsTable,
    column: np.ndarray,
    reports: _Reports,
    labels: dict[int, str],
    by_attribute: list[tuple[str, str, int, int]],
) -> list[Mover]:
    """Issues whose FCR, first response or CSAT moved, and channels and attribute values
    whose volume did, each listed only when it survives the week's multiple-testing
    correction (see digest.movers.significant)."""
    tests = [
        *_issue_tests(w, facts, column, reports, labels),
        *_volume_tests(w, reports, by_attribute),
    ]
    moved = significant(tests)
    regressions = [m for m in moved if m.improved is False]
    improvements = [m for m in moved if m.improved is True]
    volume = [m for m in moved if m.improved is None]
    return [*regressions[:MAX_MOVERS], *improvements[:MAX_MOVERS], *volume[:MAX_MOVERS]]


def _issue_tests(
    w: _Week, facts: FactsTable, column: np.ndarray, reports: _Reports, labels: dict[int, str]
) -> list[Mover]:
    """One candidate per issue x metric whose test has enough tickets in both weeks."""
    out: list[Mover] = []
    above, responded = _above_previous_median(w, facts, column, reports)
    for i in reports.issue_order:
        g, p = reports.issues[i], reports.previous_issues.get(i)
        if p is None:
            continue
        responses = int(responded[i]) if i < len(responded) else 0
        shifted = int(above[i]) if i < len(above) else 0
        out += issue_tests(
            i, labels.get(i, ""), g.metrics, p.metrics, shifted, responses, g.drill_down
        )
    return out


def _duration_shifts(w: _Week, facts: FactsTable, previous: MetricSet) -> dict[str, float]:
    """z of this week's response and resolution times against last week's p50 and
    p90 (see quantile_shift_z): the test behind those KPIs' verdicts."""
    created = facts.created_us
    week = (created >= to_us(w.start)) & (created < to_us(w.end))
    out = {}
    for name, column, stats in (
        ("first_response", "first_response_s", previous.first_response_time),
        ("resolution", "resolution_s", previous.resolution_time),
    ):
        values = facts.numeric[column][week]
        values = values[~np.isnan(values)]
        for q, label, before in ((0.5, "p50", stats.p50_seconds), (0.9, "p90", stats.p90_seconds)):
            if before is not None and stats.n >= MIN_RATED:
                above = int(np.count_nonzero(values > before))
                out[f"{name}_{label}"] = quantile_shift_z(above, len(values), q)
    return out


def _above_previous_median(
    w: _Week, facts: FactsTable, column: np.ndarray, reports: _Reports
) -> tuple[np.ndarray, np.ndarray]:
    """Per issue id: this week's first responses above last week's median, and of how
    many (one pass over the week's rows instead of one per issue)."""
    size = int(column.max()) + 1 if len(column) else 1
    median = np.full(size, np.nan)
    for i, p in reports.previous_issues.items():
        if i < size and p.metrics.first_response_time.p50_seconds is not None:
            median[i] = p.metrics.first_response_time.p50_seconds
    created = facts.created_us
    rows = np.flatnonzero((created >= to_us(w.start)) & (created < to_us(w.end)))
    ids = column[rows].astype(np.int64)
    values = facts.first_response_s[rows]
    valid = ~np.isnan(values) & ~np.isnan(median[ids])
    above = np.bincount(ids[valid], weights=values[valid] > median[ids[valid]], minlength=size)
    return above, np.bincount(ids[valid], minlength=size)


def _volume_tests(
    w: _Week, reports: _Reports, by_attribute: list[tuple[str, str, int, int]]
) -> list[Mover]:
    """One candidate per channel and attribute value with enough tickets in all."""
    counts: dict[tuple[str, str], list[int]] = {}
    for g in reports.channels.groups:
        counts.setdefault(("channel", g.value), [0, 0])[1] = g.metrics.volume
    for g in reports.previous_channels.groups:
        counts.setdefault(("channel", g.value), [0, 0])[0] = g.metrics.volume
    for key, value, before, now in by_attribute:
        counts[(f"attributes.{key}", value)] = [before, now]
    out = []
    for (dimension, value), (before, now) in counts.items():
        if not enough_counts(now, before):
            continue
        flt = w.filter()
        if dimension == "channel":
            flt = replace(flt, channels=(value,))
        else:
            flt = replace(flt, attributes=((dimension.removeprefix("attributes."), value),))
        z = count_z(now, before)
        out.append(
            Mover(dimension, value, value, "volume", now, before, now, before, abs(z), None, flt)
        )
    return out
