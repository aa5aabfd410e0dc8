"""ListIssues, GetIssue and ReclusterIssues request and response conversion."""

from __future__ import annotations

from ticketminer.api.anomalies_convert import anomaly_ref_to_proto
from ticketminer.api.convert import (
    filter_to_proto,
    issue_id_from_proto,
    issue_id_to_proto,
    set_time,
    time_zone_from_proto,
    window_from_proto,
)
from ticketminer.api.metrics_convert import (
    definitions_to_proto,
    metric_set_to_proto,
    series_point_to_proto,
    trend_to_proto,
)
from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import TicketFilter
from ticketminer.domain.issues import (
    IssueDetail,
    IssueListing,
    IssueStatus,
    IssueSummary,
    LineageEvent,
    LineageKind,
    ReclusterReport,
)
from ticketminer.services.issues import MAX_ISSUES_PER_PAGE
from ticketminer.v1 import ticketminer_pb2 as pb

_STATUS = {
    IssueStatus.ACTIVE: pb.ISSUE_STATUS_ACTIVE,
    IssueStatus.MERGED: pb.ISSUE_STATUS_MERGED,
    IssueStatus.RETIRED: pb.ISSUE_STATUS_RETIRED,
}
_KIND = {
    LineageKind.BORN: pb.LINEAGE_KIND_BORN,
    LineageKind.MERGED: pb.LINEAGE_KIND_MERGED,
    LineageKind.SPLIT: pb.LINEAGE_KIND_SPLIT,
    LineageKind.RETIRED: pb.LINEAGE_KIND_RETIRED,
}


def list_issues_args(req: pb.ListIssuesRequest) -> tuple[tuple, int]:
    """((start, end), page size), reporting every bad field at once."""
    violations: list[FieldViolation] = []
    window = window_from_proto(req, violations)
    if req.page_size > MAX_ISSUES_PER_PAGE:
        violations.append(
            FieldViolation("page_size", f"must be between 1 and {MAX_ISSUES_PER_PAGE}")
        )
    if violations:
        raise InvalidArgument(violations)
    return window, req.page_size


def get_issue_args(req: pb.GetIssueRequest) -> tuple[int, tuple, str]:
    violations: list[FieldViolation] = []
    issue_id = 0
    if req.issue_id == "":
        violations.append(FieldViolation("issue_id", "is required"))
    else:
        try:
            issue_id = issue_id_from_proto(req.issue_id, "issue_id")
        except InvalidArgument as exc:
            violations.extend(exc.violations)
    window = window_from_proto(req, violations)
    time_zone = ""
    try:
        time_zone = time_zone_from_proto(req.time_zone)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
    if violations:
        raise InvalidArgument(violations)
    return issue_id, window, time_zone


def lineage_to_proto(event: LineageEvent, out: pb.LineageEvent) -> None:
    out.kind = _KIND[event.kind]
    out.issue_id = issue_id_to_proto(event.issue_id)
    out.related_issue_id = issue_id_to_proto(event.related_issue_id)
    out.model_version = event.model_version
    set_time(out, "at", event.at)
    out.tickets = event.tickets


def issue_to_proto(summary: IssueSummary, window: tuple, out: pb.Issue) -> None:
    r = summary.record
    out.issue_id = issue_id_to_proto(r.issue_id)
    out.label = r.label
    out.top_terms.extend(r.terms)
    out.status = _STATUS[r.status]
    out.languages.extend(r.languages)
    if summary.representative is not None:
        out.representative_ticket.external_id = summary.representative.external_id
        out.representative_ticket.snippet = summary.representative.snippet
    out.volume = summary.metrics.volume
    out.share = summary.share
    trend_to_proto(summary.trend, out.trend)
    metric_set_to_proto(summary.metrics, out.metrics)
    out.sample_ticket_ids.extend(summary.sample_ticket_ids)
    set_time(out, "born_at", r.born_at)
    out.model_version = r.model_version
    out.merged_into = issue_id_to_proto(r.merged_into)
    out.cluster_size = r.size
    start, end = window
    filter_to_proto(
        TicketFilter(start_time=start, end_time=end, issue_ids=(r.issue_id,)), out.drill_down
    )
    for variant in summary.sub_issues:
        sub = out.sub_issues.add(
            sub_issue_id=issue_id_to_proto(variant.record.issue_id),
            label=variant.record.label,
            cluster_size=variant.record.size,
            share=variant.share,
        )
        sub.top_terms.extend(variant.record.terms)
        sub.languages.extend(variant.record.languages)
        if variant.representative is not None:
            sub.representative_ticket.external_id = variant.representative.external_id
            sub.representative_ticket.snippet = variant.representative.snippet


def listing_to_proto(listing: IssueListing) -> pb.ListIssuesResponse:
    out = pb.ListIssuesResponse(
        model_version=listing.model_version,
        unassigned_tickets=listing.unassigned_tickets,
        total_tickets=listing.total_tickets,
        total_issues=listing.total_issues,
    )
    definitions_to_proto(listing.definitions, out.definitions)
    set_time(out, "reclustered_at", listing.reclustered_at)
    window = (listing.window_start, listing.window_end)
    for summary in listing.issues:
        issue_to_proto(summary, window, out.issues.add())
    return out


def detail_to_proto(detail: IssueDetail, window: tuple) -> pb.GetIssueResponse:
    out = pb.GetIssueResponse(time_zone=detail.time_zone)
    definitions_to_proto(detail.definitions, out.definitions)
    issue_to_proto(detail.summary, window, out.issue)
    for point in detail.daily:
        series_point_to_proto(point, out.daily.add())
    for event in detail.lineage:
        lineage_to_proto(event, out.lineage.add())
    for point in detail.hourly:
        series_point_to_proto(point, out.hourly.add())
    for anomaly in detail.anomalies:
        anomaly_ref_to_proto(anomaly, out.anomalies.add())
    return out


def recluster_report_to_proto(report: ReclusterReport) -> pb.ReclusterIssuesResponse:
    out = pb.ReclusterIssuesResponse(
        model_version=report.model_version,
        tickets=report.n_tickets,
        issues=report.n_issues,
        unclustered_tickets=report.unclustered,
        kept_ids=report.kept,
        seconds=report.seconds,
    )
    for event in report.events:
        lineage_to_proto(event, out.events.add())
    return out
