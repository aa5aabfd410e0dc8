"""Wire <-> domain conversion for the anomaly RPCs."""

from __future__ import annotations

from dataclasses import replace

from ticketminer.api.convert import (
    anomaly_id_from_proto,
    enum_value,
    filter_to_proto,
    issue_id_from_proto,
    issue_id_to_proto,
    set_time,
    tenant_of,
    window_from_proto,
)
from ticketminer.domain.anomalies import (
    ActiveAnomaly,
    Anomaly,
    AnomalyKind,
    AnomalyPage,
    AnomalyQuery,
    AnomalyStatus,
    Dims,
    ScanReport,
    Severity,
)
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import TicketFilter
from ticketminer.v1 import ticketminer_pb2 as pb

MAX_PAGE_SIZE = 500
MAX_OFFSET_DIGITS = 9  # page tokens are offsets into a listing


def list_anomalies_query(req: pb.ListAnomaliesRequest) -> AnomalyQuery:
    """The query, reporting every bad field at once."""
    violations: list[FieldViolation] = []
    start, end = window_from_proto(req, violations)
    kinds = tuple(
        enum_value(AnomalyKind, k, f"kinds[{i}]", violations) for i, k in enumerate(req.kinds)
    )
    statuses = tuple(
        enum_value(AnomalyStatus, s, f"statuses[{i}]", violations)
        for i, s in enumerate(req.statuses)
    )
    severity = enum_value(Severity, req.min_severity, "min_severity", violations)
    issues: list[int | None] = []
    for i, value in enumerate(req.issue_ids):
        try:
            issues.append(issue_id_from_proto(value, f"issue_ids[{i}]") if value else None)
        except InvalidArgument as exc:
            violations.extend(exc.violations)
    if req.page_size > MAX_PAGE_SIZE:
        violations.append(FieldViolation("page_size", f"must be between 1 and {MAX_PAGE_SIZE}"))
    offset = 0
    if req.page_token:
        token = req.page_token
        if not token.isascii() or not token.isdigit() or len(token) > MAX_OFFSET_DIGITS:
            violations.append(FieldViolation("page_token", "not a token from this RPC"))
        else:
            offset = int(token)
    if violations:
        raise InvalidArgument(violations)
    return AnomalyQuery(
        tenant_id=tenant_of(req.tenant_id),
        start=start,
        end=end,
        kinds=kinds,
        issue_ids=tuple(dict.fromkeys(issues)),
        statuses=statuses,
        min_severity=severity,
        page_size=req.page_size,
        offset=offset,
    )


def anomaly_id_arg(req) -> int:
    if req.anomaly_id == "":
        raise InvalidArgument([FieldViolation("anomaly_id", "is required")])
    return anomaly_id_from_proto(req.anomaly_id, "anomaly_id")


def _dims(dims: Dims, out) -> None:
    for key, value in dims:
        out.add(key=key, value=value)


def _drill_down(a: Anomaly, dims: Dims = ()) -> TicketFilter:
    """The anomaly's tickets: its issue in its window, narrowed by root-cause dims."""
    channels = tuple(v for k, v in dims if k == "channel")
    issues = tuple(int(v) for k, v in dims if k == "issue")
    attrs = tuple(sorted((k, v) for k, v in dims if k not in ("channel", "issue")))
    flt = TicketFilter(anomaly_id=a.anomaly_id, channels=channels, attributes=attrs)
    return replace(flt, issue_ids=issues) if issues else flt


def anomaly_to_proto(a: Anomaly, out: pb.Anomaly) -> None:
    out.anomaly_id = str(a.anomaly_id)
    out.kind = int(a.kind)
    out.issue_id = issue_id_to_proto(a.issue_id) if a.issue_id is not None else ""
    out.issue_label = a.issue_label
    out.metric = a.metric
    out.status = int(a.status)
    out.severity = int(a.severity)
    set_time(out, "start_time", a.start)
    set_time(out, "detected_at", a.detected_at)
    set_time(out, "end_time", a.end)
    set_time(out, "updated_at", a.updated_at)
    out.observed = a.observed
    out.expected = a.expected
    out.change = a.change if a.expected > 0 else 0.0
    out.p_value = a.pvalue
    out.score = a.score
    out.tickets = a.tickets
    for rc in a.root_causes:
        p = out.root_causes.add(
            observed=rc.observed,
            expected=rc.expected,
            explained_share=rc.explained_share,
            lift=rc.lift,
            support=rc.support,
            p_value=rc.pvalue,
            score=rc.score,
        )
        _dims(rc.dims, p.dimensions)
        p.evidence_ticket_ids.extend(rc.evidence_ticket_ids)
        filter_to_proto(_drill_down(a, rc.dims), p.drill_down)
    for t in a.terms:
        out.terms.add(
            term=t.term,
            anomaly_tickets=t.anomaly_tickets,
            baseline_tickets=t.baseline_tickets,
            lift=t.lift,
        )
    out.evidence_ticket_ids.extend(a.evidence_ticket_ids)
    filter_to_proto(_drill_down(a), out.drill_down)
    out.summary = a.summary
    out.issue_ids.extend(issue_id_to_proto(i) for i in a.issue_ids)


def anomaly_ref_to_proto(a: Anomaly, out: pb.AnomalyRef) -> None:
    out.anomaly_id = str(a.anomaly_id)
    out.kind = int(a.kind)
    out.metric = a.metric
    out.status = int(a.status)
    out.severity = int(a.severity)
    out.summary = a.summary
    set_time(out, "start_time", a.start)


def active_anomaly_to_proto(found: ActiveAnomaly, out: pb.AnomalyRef) -> None:
    anomaly_ref_to_proto(found.anomaly, out)
    out.ticket_matches_root_cause = found.matches_root_cause
    _dims(found.matched_dims, out.matched_root_cause)


def page_to_proto(page: AnomalyPage) -> pb.ListAnomaliesResponse:
    out = pb.ListAnomaliesResponse(total_size=page.total)
    if page.next_offset is not None:
        out.next_page_token = str(page.next_offset)
    set_time(out, "scanned_at", page.scanned_at)
    for a in page.anomalies:
        anomaly_to_proto(a, out.anomalies.add())
    return out


def detail_to_proto(a: Anomaly) -> pb.GetAnomalyResponse:
    out = pb.GetAnomalyResponse()
    anomaly_to_proto(a, out.anomaly)
    for p in a.series:
        point = out.series.add(observed=p.observed, expected=p.expected, n=p.n)
        set_time(point, "start_time", p.start)
    return out


def scan_report_to_proto(report: ScanReport) -> pb.ScanAnomaliesResponse:
    out = pb.ScanAnomaliesResponse(
        opened=report.opened,
        updated=report.updated,
        resolved=report.resolved,
        series=report.series,
        hours=report.hours,
        seconds=report.seconds,
    )
    for a in report.active:
        anomaly_ref_to_proto(a, out.active.add())
    return out
