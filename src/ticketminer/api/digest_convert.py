"""GetWeeklyDigest: request arguments in, the digest and its renderings out."""

from __future__ import annotations

from ticketminer.api.anomalies_convert import anomaly_to_proto
from ticketminer.api.convert import enum_value, filter_to_proto, issue_id_to_proto, set_time
from ticketminer.api.lifecycle_convert import insights_to_proto
from ticketminer.api.metrics_convert import definitions_to_proto, metric_set_to_proto
from ticketminer.domain.digest import WeeklyDigest
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import FcrVariant
from ticketminer.services.digest import DigestFormat, RenderedDigest
from ticketminer.v1 import ticketminer_pb2 as pb


def digest_args(req: pb.GetWeeklyDigestRequest) -> tuple[DigestFormat, FcrVariant]:
    violations: list[FieldViolation] = []
    fmt = enum_value(DigestFormat, req.format, "format", violations)
    variant = enum_value(FcrVariant, req.fcr_variant, "fcr_variant", violations)
    if violations:
        raise InvalidArgument(violations)
    return fmt, variant


def _optional(out, name: str, value: float | bool | None) -> None:
    if value is not None:
        setattr(out, name, value)


def digest_to_proto(d: WeeklyDigest, out: pb.WeeklyDigest) -> None:
    out.tenant_id, out.iso_week, out.previous_iso_week = (
        d.tenant_id,
        d.iso_week,
        d.previous_iso_week,
    )
    out.time_zone, out.empty = d.time_zone, d.empty
    set_time(out, "start_time", d.start)
    set_time(out, "end_time", d.end)
    set_time(out, "generated_at", d.generated_at)
    metric_set_to_proto(d.current, out.metrics)
    metric_set_to_proto(d.previous, out.previous_metrics)
    for k in d.kpis:
        p = out.kpis.add(name=k.name, unit=k.unit, better=k.better.value, n=k.n)
        _optional(p, "value", k.current)
        _optional(p, "previous_value", k.previous)
        _optional(p, "delta", k.delta)
        _optional(p, "improved", k.improved)
        filter_to_proto(k.drill_down, p.drill_down)
    for day in d.days:
        p = out.days.add(
            date=day.day.isoformat(), volume=day.volume, previous_volume=day.previous_volume
        )
        filter_to_proto(day.drill_down, p.drill_down)
    for i in d.top_issues:
        p = out.top_issues.add(
            issue_id=issue_id_to_proto(i.issue_id),
            label=i.label,
            top_terms=i.terms,
            volume=i.volume,
            previous_volume=i.previous_volume,
            share=i.share,
            weekly_volumes=i.weekly_volumes,
        )
        _optional(p, "week_over_week_change", i.change)
        metric_set_to_proto(i.metrics, p.metrics)
        metric_set_to_proto(i.previous_metrics, p.previous_metrics)
        filter_to_proto(i.drill_down, p.drill_down)
        set_time(p, "first_seen", i.first_seen)
    out.active_issues, out.unassigned_tickets = d.active_issues, d.unassigned
    for c in d.changes:
        p = out.issue_changes.add(
            kind=c.kind.value,
            issue_id=issue_id_to_proto(c.issue_id),
            label=c.label,
            tickets=c.tickets,
            related_issue_id=(
                issue_id_to_proto(c.related_issue_id) if c.related_issue_id is not None else ""
            ),
            related_label=c.related_label,
        )
        set_time(p, "at", c.at)
        filter_to_proto(c.drill_down, p.drill_down)
    for a in d.anomalies:
        anomaly_to_proto(a, out.anomalies.add())
    for m in d.movers:
        p = out.movers.add(
            dimension=m.dimension,
            value=m.value,
            label=m.label,
            metric=m.metric,
            n=m.n,
            previous_n=m.previous_n,
            score=m.score,
            p_value=m.p_value if m.p_value is not None else 1.0,
            q_value=m.q_value if m.q_value is not None else 1.0,
        )
        _optional(p, "value_now", m.current)
        _optional(p, "value_before", m.previous)
        _optional(p, "improved", m.improved)
        filter_to_proto(m.drill_down, p.drill_down)
    for h in d.highlights:
        p = out.highlights.add(
            issue_id=issue_id_to_proto(h.issue_id), label=h.label, reason=h.reason
        )
        for t in h.tickets:
            s = p.tickets.add(external_id=t.external_id, channel=t.channel, snippet=t.snippet)
            set_time(s, "created_at", t.created_at)
        filter_to_proto(h.drill_down, p.drill_down)
    filter_to_proto(d.drill_down, out.drill_down)
    out.model_version = d.model_version
    definitions_to_proto(d.definitions, out.definitions)
    out.sparkline_weeks.extend(d.sparkline_weeks)
    if d.customers is not None:
        insights_to_proto(d.customers, out.customers)


def rendered_to_proto(rendered: RenderedDigest) -> pb.GetWeeklyDigestResponse:
    out = pb.GetWeeklyDigestResponse(markdown=rendered.markdown, html=rendered.html)
    digest_to_proto(rendered.digest, out.digest)
    return out
