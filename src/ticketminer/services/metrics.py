"""GetMetrics: select tickets, assign them to groups and time buckets, aggregate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ticketminer.domain import limits
from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import (
    FcrVariant,
    Granularity,
    GroupBy,
    MetricsQuery,
    TicketFilter,
)
from ticketminer.domain.issues import UNASSIGNED
from ticketminer.domain.metrics import (
    MetricDefinition,
    MetricSet,
    MetricsGroup,
    MetricsReport,
    SeriesPoint,
    VolumeTrend,
)
from ticketminer.domain.model import TicketStatus
from ticketminer.domain.tenant_settings import SettingsOf, no_settings
from ticketminer.domain.tenure import TenureOf, default_tenure
from ticketminer.domain.timeutil import from_us, to_us
from ticketminer.metrics.aggregate import metric_sets
from ticketminer.metrics.business_hours import business_columns
from ticketminer.metrics.definitions import definitions, effective_variant
from ticketminer.metrics.facts_table import Categorical, FactsTable
from ticketminer.metrics.selection import select
from ticketminer.metrics.tags import TagIndex
from ticketminer.metrics.tenure import tenure_column
from ticketminer.metrics.time_buckets import bucket_starts, label
from ticketminer.metrics.trends import tenant_volume_7d, volume_trends
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns

# Issue id -> label, for naming the groups of a by-issue answer.
IssueLabels = Callable[[str], dict[int, str]]

MAX_GROUPS = 500
# Series points (groups x buckets, plus the overall series) in one answer: each is a
# metric set and a drill-down filter, so 50,000 of them stay near 10 MB on the wire.
MAX_SERIES_POINTS = limits.MAX_SERIES_POINTS


@dataclass(frozen=True, slots=True)
class _Buckets:
    starts: list  # local datetimes, len = n + 1 (last is the end edge)
    of_row: np.ndarray  # bucket per selected row

    @property
    def n(self) -> int:
        return len(self.starts) - 1


@dataclass(frozen=True, slots=True)
class _Columns:
    """The per-row columns a filter or grouping may need, each loaded on first use."""

    attribute: Callable[[str], Categorical]
    issue: Callable[[], np.ndarray]
    tenure: Callable[[], Categorical]
    tags: Callable[[], TagIndex]


@dataclass(frozen=True, slots=True)
class _Groups:
    values: list[str]
    of_row: np.ndarray  # group index per member; -1 = beyond the group limit
    total: int  # groups present before the limit
    # Members as positions into the selected rows, when a row can be in several
    # groups (tags); None: one member per selected row, in order.
    positions: np.ndarray | None = None


class MetricsService:
    def __init__(
        self,
        cache: FactsCache,
        issues: IssueColumns,
        labels: IssueLabels = lambda _tenant: {},
        max_groups: int = MAX_GROUPS,
        max_cells: int = MAX_SERIES_POINTS,
        resolve_filter: Callable[[str, TicketFilter], TicketFilter] = lambda _t, flt: flt,
        tenure: TenureOf = default_tenure,
        settings: SettingsOf = no_settings,
        sentiment: Callable[[str, FactsTable], np.ndarray] | None = None,
    ) -> None:
        """`sentiment` gives the stored sentiment per facts row (NaN: none); without it
        the sentiment values stay unset."""
        self._sentiment = sentiment
        self._settings = settings
        self._tenure = tenure
        self._resolve_filter = resolve_filter
        self._cache = cache
        self._issues = issues
        self._labels = labels
        self._max_groups = max_groups
        self._max_cells = max_cells

    def _check_cells(self, buckets: _Buckets | None, grouping: _Groups | None) -> None:
        """Refuse a grouped series too large to answer before computing any of it."""
        n_buckets = buckets.n if buckets is not None else 1
        n_groups = len(grouping.values) if grouping is not None else 0
        cells = n_buckets * (n_groups + 1)  # the overall series too
        if buckets is not None and cells > self._max_cells:
            raise InvalidArgument(
                [
                    FieldViolation(
                        "granularity",
                        f"{n_groups} groups x {n_buckets} buckets is {cells} series points; "
                        f"the limit is {self._max_cells}: narrow the window, use a coarser "
                        "granularity or filter the groups",
                    )
                ]
            )

    def definitions(
        self, tenant_id: str, variant: FcrVariant = FcrVariant.DEFAULT
    ) -> list[MetricDefinition]:
        """The definitions a tenant's metrics follow (its FCR variant and calendar)."""
        tenant = self._settings(tenant_id)
        return definitions(tenant.variant_for(variant), tenant.business_hours, tenant.zone)

    def get_metrics(self, query: MetricsQuery) -> MetricsReport:
        """Metrics of the query; a time zone or FCR variant it leaves open is the
        tenant's, and a tenant calendar adds the business-hours values."""
        tenant = self._settings(query.tenant_id)
        query = replace(
            query,
            time_zone=tenant.time_zone_for(query.time_zone),
            fcr_variant=tenant.variant_for(query.fcr_variant),
        )
        facts = self._cache.table(query.tenant_id)
        flt = self._resolve_filter(query.tenant_id, tenant.filter_for(query.filter))

        def attribute(key: str):
            return self._cache.attribute(query.tenant_id, facts, key)

        def issue_column() -> np.ndarray:
            return self._issues.column(query.tenant_id, facts)

        tenure_of_tenant = self._tenure(query.tenant_id)

        def tenure() -> Categorical:
            return tenure_column(facts, tenure_of_tenant)

        def tags() -> TagIndex:
            return self._cache.tags(query.tenant_id, facts)

        tenure_of_tenant.check(flt.tenure_buckets, "filter.tenure_buckets")
        columns = _Columns(attribute, issue_column, tenure, tags)
        rows = np.flatnonzero(select(facts, flt, attribute, issue_column, tenure, tags))
        variant = effective_variant(query.fcr_variant)
        start, end = _window(facts, rows, flt)
        calendar = tenant.business_hours
        # Without a calendar this costs nothing: GetMetrics at 1M tickets is benchmarked.
        business = (
            None if calendar is None else business_columns(facts, rows, calendar, tenant.zone)
        )

        scores = None
        if self._sentiment is not None:
            scores = self._sentiment(query.tenant_id, facts)[rows]

        def aggregate(
            cells: np.ndarray, n_cells: int, positions: np.ndarray | None = None
        ) -> list[MetricSet]:
            if positions is None:
                return metric_sets(facts, rows, cells, n_cells, variant, business, scores)
            members = None if business is None else {k: v[positions] for k, v in business.items()}
            member_scores = None if scores is None else scores[positions]
            return metric_sets(
                facts, rows[positions], cells, n_cells, variant, members, member_scores
            )

        overall = aggregate(np.zeros(len(rows), dtype=np.int64), 1)[0]
        trend_rows = rows
        if flt.start_time is not None and query.with_trends:
            # Trends look back 28 days from the window's end, whatever its start.
            untimed = replace(flt, start_time=None)
            trend_rows = np.flatnonzero(
                select(facts, untimed, attribute, issue_column, tenure, tags)
            )

        def trends(
            groups: np.ndarray, n_groups: int, positions: np.ndarray | None = None
        ) -> list[VolumeTrend]:
            if end is None or not query.with_trends:
                return [VolumeTrend()] * n_groups
            end_us = to_us(end)
            tenant_7d = tenant_volume_7d(facts.created_us, end_us)
            created = facts.created_us[trend_rows]
            if positions is not None:
                created = created[positions]
            return volume_trends(created, groups, n_groups, end_us, tenant_7d)

        buckets, series = None, []
        if query.granularity != Granularity.NONE and start is not None and end is not None:
            buckets = _bucketise(facts, rows, start, end, query)
        grouping = None
        if query.group_by.kind != "none":
            grouping = _group(facts, rows, query.group_by, columns, self._max_groups, flt)
        self._check_cells(buckets, grouping)
        if buckets is not None:
            series = _series(buckets, aggregate(buckets.of_row, buckets.n), flt, query)
        groups: list[MetricsGroup] = []
        total_groups = 0
        if grouping is not None:
            labels = self._labels(query.tenant_id) if query.group_by.kind == "issue" else {}
            total_groups = grouping.total
            n_groups = len(grouping.values)
            sets = aggregate(grouping.of_row, n_groups, grouping.positions)
            group_trends = trends(
                *_regroup(facts, trend_rows, query.group_by, columns, grouping, flt)
            )
            cell_sets = []
            if buckets is not None:
                kept = grouping.of_row >= 0
                of_member = buckets.of_row
                if grouping.positions is not None:
                    of_member = of_member[grouping.positions]
                cells = np.where(kept, grouping.of_row * buckets.n + of_member, -1)
                cell_sets = aggregate(cells, n_groups * buckets.n, grouping.positions)
            for g, value in enumerate(grouping.values):
                raise_if_cancelled()  # a caller that left stops a large answer here
                drill = _narrow(flt, query.group_by, value)
                group_series = []
                if buckets is not None:
                    part = cell_sets[g * buckets.n : (g + 1) * buckets.n]
                    group_series = _series(buckets, part, drill, query)
                label = labels.get(int(value), "") if labels and value else ""
                groups.append(
                    MetricsGroup(
                        query.group_by.name,
                        value,
                        sets[g],
                        drill,
                        group_series,
                        label,
                        group_trends[g],
                    )
                )
        return MetricsReport(
            start_time=start,
            end_time=end,
            time_zone=query.time_zone,
            granularity=query.granularity,
            group_by=query.group_by.name,
            overall=overall,
            drill_down=flt,
            definitions=definitions(query.fcr_variant, calendar, tenant.zone),
            series=series,
            groups=groups,
            total_groups=total_groups,
            trend=trends(np.zeros(len(trend_rows), dtype=np.int64), 1)[0],
            business_hours=calendar is not None,
        )


def _window(facts: FactsTable, rows: np.ndarray, flt: TicketFilter):
    """The requested window; an open side is closed by the selected tickets' range."""
    start, end = flt.start_time, flt.end_time
    if (start is None or end is None) and len(rows):
        created = facts.created_us[rows]
        start = start or from_us(int(created.min()))
        end = end or from_us(int(created.max()) + 1)
    return start, end


def _bucketise(facts, rows, start, end, query: MetricsQuery) -> _Buckets:
    starts = bucket_starts(start, end, query.granularity, query.time_zone)
    edges = np.array([to_us(s) for s in starts], dtype=np.int64)
    of_row = np.searchsorted(edges, facts.created_us[rows], side="right") - 1
    return _Buckets(starts, of_row.astype(np.int64))


def _series(
    buckets: _Buckets, sets: list[MetricSet], flt: TicketFilter, query: MetricsQuery
) -> list[SeriesPoint]:
    points = []
    for b in range(buckets.n):
        lo, hi = buckets.starts[b], buckets.starts[b + 1]
        # Clip the drill-down to the requested window so it lists the same tickets.
        lo_f = max(lo, flt.start_time) if flt.start_time else lo
        hi_f = min(hi, flt.end_time) if flt.end_time else hi
        drill = replace(flt, start_time=lo_f, end_time=hi_f)
        points.append(SeriesPoint(lo, label(lo, query.granularity), sets[b], drill))
    return points


def _group(
    facts, rows, group_by: GroupBy, columns: _Columns, max_groups: int, flt: TicketFilter
) -> _Groups:
    positions, codes, names = _group_codes(facts, rows, group_by, columns, flt)
    counts = np.bincount(codes, minlength=len(names))
    present = np.flatnonzero(counts)
    ranked = sorted(present, key=lambda c: (-counts[c], names[c]))
    kept = ranked[:max_groups]
    index = np.full(len(names), -1, dtype=np.int64)
    index[kept] = np.arange(len(kept))
    return _Groups([names[c] for c in kept], index[codes], len(ranked), positions)


def _group_codes(facts, rows, group_by: GroupBy, columns: _Columns, flt: TicketFilter):
    """Each member's group as a code into `names`: (positions into `rows`, or None
    when each row is one member, codes, names)."""
    positions = None
    if group_by.kind == "channel":
        codes, names = facts.channel.codes[rows], list(facts.channel.values)
    elif group_by.kind == "status":
        codes, names = facts.status[rows].astype(np.int64), [s.name for s in TicketStatus]
    elif group_by.kind == "issue":
        # Unassigned tickets (id 0) form the group "", like a missing attribute.
        ids = columns.issue()[rows].astype(np.int64)
        top = int(ids.max()) + 1 if len(ids) else 1
        codes, names = ids, ["", *(str(i) for i in range(1, top))]
    elif group_by.kind == "tag":
        # Under a tag filter only its tags form groups: a drill-down names one tag,
        # so a group of another tag could not list exactly its tickets.
        positions, codes, names = columns.tags().groups(rows, len(facts), flt.tags)
    else:
        column = (
            columns.tenure() if group_by.kind == "tenure" else columns.attribute(group_by.attribute)
        )
        # Shift so MISSING (-1) becomes code 0, shown as the empty value.
        codes, names = column.codes[rows] + 1, ["", *column.values]
    return positions, codes.astype(np.int64), names


def _regroup(facts, rows, group_by: GroupBy, columns: _Columns, grouping: _Groups, flt):
    """Members' indices into an existing grouping (-1: a group it does not hold), the
    number of its groups, and the members' positions into `rows` (see _group_codes)."""
    positions, codes, names = _group_codes(facts, rows, group_by, columns, flt)
    kept = {value: i for i, value in enumerate(grouping.values)}
    index = np.array([kept.get(name, -1) for name in names], dtype=np.int64)
    return (index[codes] if len(codes) else codes), len(grouping.values), positions


def _narrow(flt: TicketFilter, group_by: GroupBy, value: str) -> TicketFilter:
    if group_by.kind == "channel":
        return replace(flt, channels=(value,))
    if group_by.kind == "status":
        return replace(flt, statuses=(TicketStatus[value],))
    if group_by.kind == "issue":
        return replace(flt, issue_ids=(int(value) if value else UNASSIGNED,))
    if group_by.kind == "tenure":
        return replace(flt, tenure_buckets=(value,))
    if group_by.kind == "tag":
        return replace(flt, tags=(value,))
    attrs = dict(flt.attributes)
    attrs[group_by.attribute] = value
    return replace(flt, attributes=tuple(sorted(attrs.items())))
