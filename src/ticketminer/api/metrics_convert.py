"""GetMetrics request and response conversion."""

from __future__ import annotations

from collections.abc import Iterable

from ticketminer.api.convert import (
    enum_value,
    filter_from_proto,
    filter_to_proto,
    group_by_from_proto,
    set_time,
    tenant_of,
    time_zone_from_proto,
)
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import FcrVariant, Granularity, MetricsQuery
from ticketminer.domain.metrics import (
    DurationStats,
    MetricDefinition,
    MetricSet,
    MetricsReport,
    Ratio,
    SeriesPoint,
    VolumeTrend,
)
from ticketminer.v1 import ticketminer_pb2 as pb


def _collect(parse, violations: list[FieldViolation]):
    try:
        return parse()
    except InvalidArgument as exc:
        violations.extend(exc.violations)
        return None


def metrics_query_from_proto(req: pb.GetMetricsRequest) -> MetricsQuery:
    """Report every problem of the request at once, not the first one."""
    violations: list[FieldViolation] = []
    granularity = enum_value(Granularity, req.granularity, "granularity", violations)
    variant = enum_value(FcrVariant, req.fcr_variant, "fcr_variant", violations)
    flt = _collect(lambda: filter_from_proto(req.filter), violations)
    group_by = _collect(lambda: group_by_from_proto(req.group_by), violations)
    time_zone = _collect(lambda: time_zone_from_proto(req.time_zone), violations)
    if violations:
        raise InvalidArgument(violations)
    return MetricsQuery(
        tenant_id=tenant_of(req.tenant_id),
        filter=flt,
        group_by=group_by,
        granularity=granularity,
        time_zone=time_zone,
        fcr_variant=variant,
    )


_BUSINESS = (
    "business_first_response_time",
    "business_resolution_time",
    "business_full_resolution_time",
)


def _ratio(value: Ratio, out: pb.Ratio) -> None:
    out.numerator, out.denominator = value.numerator, value.denominator
    if value.value is not None:
        out.value = value.value


def _durations(value: DurationStats, out: pb.DurationStats) -> None:
    out.n = value.n
    for name in ("mean_seconds", "p50_seconds", "p90_seconds"):
        v = getattr(value, name)
        if v is not None:
            setattr(out, name, v)


def metric_set_to_proto(value: MetricSet, out: pb.MetricSet) -> None:
    out.volume, out.solved = value.volume, value.solved
    _ratio(value.fcr, out.fcr)
    _durations(value.first_response_time, out.first_response_time)
    _durations(value.resolution_time, out.resolution_time)
    _durations(value.full_resolution_time, out.full_resolution_time)
    for name in _BUSINESS:
        stats = getattr(value, name)
        if stats is not None:  # only under a tenant calendar, then even with n = 0
            getattr(out, name).SetInParent()
            _durations(stats, getattr(out, name))
    _ratio(value.reopen_rate, out.reopen_rate)
    out.csat.n = value.csat.n
    if value.csat.mean is not None:
        out.csat.mean = value.csat.mean
    if value.csat.satisfied_share is not None:
        out.csat.satisfied_share = value.csat.satisfied_share
    out.csat.counts.extend(value.csat.counts)
    out.sentiment_scored = value.sentiment_scored
    if value.sentiment_mean is not None:
        out.sentiment_mean = value.sentiment_mean
    if value.negative_share is not None:
        out.negative_share = value.negative_share


def series_point_to_proto(point: SeriesPoint, out: pb.SeriesPoint) -> None:
    set_time(out, "start_time", point.start_time)
    out.label = point.label
    metric_set_to_proto(point.metrics, out.metrics)
    filter_to_proto(point.drill_down, out.drill_down)


def trend_to_proto(trend: VolumeTrend, out: pb.VolumeTrend) -> None:
    out.last_7_days = trend.last_7d
    out.previous_7_days = trend.previous_7d
    if trend.change is not None:
        out.week_over_week_change = trend.change
    out.slope_4_weeks = trend.slope_4w
    out.last_28_days = trend.last_28d
    out.share_last_7_days = trend.share_7d


def definitions_to_proto(definitions: Iterable[MetricDefinition], out) -> None:
    """Into a repeated MetricDefinition field."""
    for d in definitions:
        out.add(name=d.name, variant=d.variant, definition=d.definition)


def metrics_report_to_proto(report: MetricsReport) -> pb.GetMetricsResponse:
    out = pb.GetMetricsResponse(
        time_zone=report.time_zone,
        granularity=int(report.granularity),
        group_by=report.group_by,
        total_groups=report.total_groups,
    )
    set_time(out, "start_time", report.start_time)
    set_time(out, "end_time", report.end_time)
    metric_set_to_proto(report.overall, out.overall)
    trend_to_proto(report.trend, out.trend)
    filter_to_proto(report.drill_down, out.drill_down)
    definitions_to_proto(report.definitions, out.definitions)
    for point in report.series:
        series_point_to_proto(point, out.series.add())
    for group in report.groups:
        pg = out.groups.add(key=group.key, value=group.value, label=group.label)
        metric_set_to_proto(group.metrics, pg.metrics)
        trend_to_proto(group.trend, pg.trend)
        filter_to_proto(group.drill_down, pg.drill_down)
        for point in group.series:
            series_point_to_proto(point, pg.series.add())
    return out
