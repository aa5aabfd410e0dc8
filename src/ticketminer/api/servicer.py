"""The TicketMiner servicer: convert the request, call a service, convert back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import grpc

from ticketminer.api.anomalies_convert import (
    active_anomaly_to_proto,
    anomaly_id_arg,
    list_anomalies_query,
    page_to_proto,
    scan_report_to_proto,
)
from ticketminer.api.anomalies_convert import detail_to_proto as anomaly_detail_to_proto
from ticketminer.api.auth import calling_key
from ticketminer.api.convert import (
    filter_from_proto,
    ingest_result_to_proto,
    issue_ref_to_proto,
    set_time,
    stored_ticket_to_view,
    tenant_of,
    ticket_from_proto,
)
from ticketminer.api.deserialize import MalformedRequest, RefusedRequest
from ticketminer.api.digest_convert import digest_args, rendered_to_proto
from ticketminer.api.digest_delivery_convert import (
    deliveries_to_proto,
    schedule_from_proto,
    schedule_to_proto,
    schedules_to_proto,
)
from ticketminer.api.errors import field_prefix
from ticketminer.api.issues_convert import (
    detail_to_proto,
    get_issue_args,
    list_issues_args,
    listing_to_proto,
    recluster_report_to_proto,
)
from ticketminer.api.lifecycle_convert import insights_args, insights_to_proto
from ticketminer.api.metrics_convert import metrics_query_from_proto, metrics_report_to_proto
from ticketminer.api.request_limits import DEFAULT_LIMITS, RequestLimits, oversized_fields
from ticketminer.api.tenant_reads import tenant_read
from ticketminer.api.tenant_settings_convert import settings_to_proto, update_from_proto
from ticketminer.api.tenants_convert import tenant_page_to_proto
from ticketminer.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from ticketminer.domain.ingest import BulkIngestReport, BulkItem, RejectedItem
from ticketminer.domain.model import Ticket
from ticketminer.services.anomalies import AnomalyService
from ticketminer.services.digest import DigestService
from ticketminer.services.digest_delivery import DigestDeliveryService
from ticketminer.services.erasure import ErasureService
from ticketminer.services.issues import IssueService
from ticketminer.services.lifecycle import LifecycleService
from ticketminer.services.metrics import MetricsService
from ticketminer.services.tenant_directory import TenantDirectory
from ticketminer.services.tenant_settings import TenantSettingsService
from ticketminer.services.tickets import TicketService
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

Request = pb.IngestTicketRequest | MalformedRequest | RefusedRequest


def _bulk_report_to_proto(report: BulkIngestReport) -> pb.IngestTicketsResponse:
    out = pb.IngestTicketsResponse(
        accepted=report.accepted,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        stale=report.stale,
        rejected=report.rejected,
        errors_truncated=report.errors_truncated,
    )
    for err in report.errors:
        item = out.errors.add(index=err.index, external_id=err.external_id, reason=err.reason)
        for v in err.violations:
            field = f"ticket.{v.field}" if v.field else ""
            item.field_violations.add(field=field, description=v.description)
    return out


class TicketMinerServicer(pb_grpc.TicketMinerServicer):
    def __init__(
        self,
        tickets: TicketService,
        metrics: MetricsService,
        issues: IssueService,
        anomalies: AnomalyService,
        digest: DigestService,
        lifecycle: LifecycleService,
        tenants: TenantSettingsService,
        directory: TenantDirectory,
        bounds: RequestLimits = DEFAULT_LIMITS,
        deliveries: DigestDeliveryService | None = None,
        erasure: ErasureService | None = None,
    ) -> None:
        self._erasure = erasure
        self._deliveries = deliveries
        self._bounds = bounds
        self._directory = directory
        self._tenants = tenants
        self._lifecycle = lifecycle
        self._digest = digest
        self._tickets = tickets
        self._metrics = metrics
        self._issues = issues
        self._anomalies = anomalies

    def _well_formed(self, request):
        """The request, once it decoded, every field outside a ticket is within its
        limit, and the tenant it reads (if it reads one) exists."""
        if isinstance(request, MalformedRequest):
            raise InvalidArgument(request.violations)
        oversized = oversized_fields(request, self._bounds)
        if oversized:
            raise InvalidArgument(oversized)
        tenant = tenant_read(request)
        if tenant is not None:
            self._directory.require(tenant)
        return request

    def _decode(self, msg: pb.Ticket) -> tuple[Ticket, list[FieldViolation]]:
        """The ticket, and every violation when the wire form is already bad, so the
        caller hears of all problems in one round trip."""
        ticket, violations = ticket_from_proto(msg)
        if violations:
            violations += self._tickets.validate(ticket)
        return ticket, violations

    def _bulk_items(self, requests: Iterable[Request]) -> Iterator[BulkItem]:
        for index, request in enumerate(requests):
            if isinstance(request, RefusedRequest):
                yield RejectedItem(index, request.external_id, [], request.reason)
                continue
            if isinstance(request, MalformedRequest):
                # Rejected items name fields relative to the ticket, like validation.
                relative = [
                    FieldViolation(v.field.removeprefix("ticket."), v.description)
                    for v in request.violations
                ]
                yield RejectedItem(index, "", relative, "undecodable request")
                continue
            ticket, violations = self._decode(request.ticket)
            yield RejectedItem(index, ticket.external_id, violations) if violations else ticket

    def IngestTicket(self, request: Request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        with field_prefix("ticket"):
            ticket, violations = self._decode(request.ticket)
            if violations:
                raise InvalidArgument(violations)
            result = self._tickets.ingest(ticket)
        out = ingest_result_to_proto(result)
        for found in result.anomalies:
            active_anomaly_to_proto(found, out.active_anomalies.add())
        return out

    def IngestTickets(self, request_iterator: Iterable[Request], context: grpc.ServicerContext):
        report = self._tickets.ingest_bulk(self._bulk_items(request_iterator))
        return _bulk_report_to_proto(report)

    def GetTicket(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        stored = self._tickets.get(tenant_of(request.tenant_id), request.external_id)
        out = pb.GetTicketResponse()
        stored_ticket_to_view(stored, out)
        set_time(out, "ingested_at", stored.ingested_at)
        for past in stored.issue_history:
            issue_ref_to_proto(past, out.issue_history.add())
        return out

    def ListTickets(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        page = self._tickets.list(
            tenant_of(request.tenant_id),
            filter_from_proto(request.filter),
            page_size=request.page_size,
            page_token=request.page_token,
            include_messages=request.include_messages,
        )
        out = pb.ListTicketsResponse(
            next_page_token=page.next_page_token, total_size=page.total_size
        )
        for stored in page.tickets:
            stored_ticket_to_view(stored, out.tickets.add())
        return out

    def GetMetrics(self, request, context: grpc.ServicerContext):
        query = metrics_query_from_proto(self._well_formed(request))
        return metrics_report_to_proto(self._metrics.get_metrics(query))

    def ListIssues(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        (start, end), page_size = list_issues_args(request)
        listing = self._issues.list_issues(
            tenant_of(request.tenant_id),
            start,
            end,
            include_inactive=request.include_inactive,
            limit=page_size,
            tenure_buckets=tuple(dict.fromkeys(request.tenure_buckets)),
        )
        return listing_to_proto(listing)

    def GetIssue(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        issue_id, window, time_zone = get_issue_args(request)
        detail = self._issues.get_issue(tenant_of(request.tenant_id), issue_id, *window, time_zone)
        return detail_to_proto(detail, window)

    def ReclusterIssues(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        report = self._issues.recluster(
            tenant_of(request.tenant_id), request.n_issues or None, request.full_rebuild
        )
        return recluster_report_to_proto(report)

    def ListAnomalies(self, request, context: grpc.ServicerContext):
        query = list_anomalies_query(self._well_formed(request))
        return page_to_proto(self._anomalies.list(query))

    def GetAnomaly(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        anomaly_id = anomaly_id_arg(request)
        return anomaly_detail_to_proto(
            self._anomalies.get(tenant_of(request.tenant_id), anomaly_id)
        )

    def ScanAnomalies(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        return scan_report_to_proto(self._anomalies.scan(tenant_of(request.tenant_id)))

    def GetWeeklyDigest(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        fmt, variant = digest_args(request)
        rendered = self._digest.rendered(
            tenant_of(request.tenant_id), request.iso_week, request.time_zone, variant, fmt
        )
        return rendered_to_proto(rendered)

    def GetCustomerInsights(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        start, end = insights_args(request)
        found = self._lifecycle.insights(tenant_of(request.tenant_id), start, end, request.top)
        return insights_to_proto(found, pb.CustomerInsights())

    def GetTenantSettings(self, request, context: grpc.ServicerContext):
        tenant = tenant_of(self._well_formed(request).tenant_id)
        return settings_to_proto(self._tenants.get(tenant), self._tenants.tenure(tenant))

    def UpdateTenantSettings(self, request, context: grpc.ServicerContext):
        changed, paths = update_from_proto(self._well_formed(request))
        saved = self._tenants.update(changed, paths)
        return settings_to_proto(saved, self._tenants.tenure(saved.tenant_id))

    def _delivery(self) -> DigestDeliveryService:
        if self._deliveries is None:
            raise FailedPrecondition("digest delivery is not set up on this server")
        return self._deliveries

    def PutDigestSchedule(self, request, context: grpc.ServicerContext):
        schedule = schedule_from_proto(self._well_formed(request).schedule)
        return schedule_to_proto(self._delivery().put(schedule))

    def ListDigestSchedules(self, request, context: grpc.ServicerContext):
        tenant = tenant_of(self._well_formed(request).tenant_id)
        return schedules_to_proto(self._delivery().list(tenant))

    def DeleteDigestSchedule(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        deleted = self._delivery().delete(tenant_of(request.tenant_id), request.schedule_id)
        return pb.DeleteDigestScheduleResponse(deleted=deleted)

    def ListDigestDeliveries(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        page = self._delivery().deliveries(
            tenant_of(request.tenant_id),
            request.schedule_id,
            request.page_size,
            request.page_token,
        )
        return deliveries_to_proto(page)

    def ListTenants(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        key = calling_key()
        page = self._directory.page(
            request.page_size, request.page_token, None if key is None else key.tenants
        )
        return tenant_page_to_proto(page)

    def _eraser(self) -> ErasureService:
        if self._erasure is None:
            raise FailedPrecondition("deletion is not set up on this server")
        return self._erasure

    def DeleteTicket(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        deleted = self._eraser().delete_ticket(
            tenant_of(request.tenant_id), request.external_id, _actor()
        )
        return pb.DeleteTicketResponse(deleted=deleted)

    def DeleteCustomerData(self, request, context: grpc.ServicerContext):
        request = self._well_formed(request)
        deleted = self._eraser().delete_customer(
            tenant_of(request.tenant_id), request.customer_id, _actor()
        )
        return pb.DeleteCustomerDataResponse(deleted=deleted)


def _actor() -> str:
    """Who deletes, for the audit log: the calling API key ("" with --auth off)."""
    key = calling_key()
    return "" if key is None else key.key_id
