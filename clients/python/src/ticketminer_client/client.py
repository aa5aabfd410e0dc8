"""TicketMinerClient: the main RPCs with the API key, a deadline and retries applied."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer_client.errors import error_from
from ticketminer_client.retry import NO_RETRY, RetryPolicy, call_with_retry
from ticketminer_client.v1 import ticketminer_pb2 as pb
from ticketminer_client.v1 import ticketminer_pb2_grpc as pb_grpc

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRY = RetryPolicy()

R = TypeVar("R", bound=Message)
Item = TypeVar("Item", bound=Message)


class TicketMinerClient:
    """A client of one ticketminer server.

    `api_key` is sent as 'authorization: Bearer <key>' (servers run with --auth keys).
    `tls`: False for plaintext, True for TLS with the system's roots, or your own
    grpc.ChannelCredentials (e.g. grpc.ssl_channel_credentials(root_certificates=...)).
    `timeout` is each call's deadline in seconds, retries included (None: no deadline);
    every method takes its own `timeout=` too. A failed call raises a TicketMinerError
    subclass (InvalidArgumentError carries the field violations). The raw stub is
    `client.stub`, with `client.metadata` to send, for the RPCs without a method here.
    """

    def __init__(
        self,
        target: str,
        api_key: str | None = None,
        *,
        tls: bool | grpc.ChannelCredentials = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        if tls is False:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            credentials = grpc.ssl_channel_credentials() if tls is True else tls
            self._channel = grpc.secure_channel(target, credentials, options=options)
        self.stub = pb_grpc.TicketMinerStub(self._channel)
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {api_key}"),) if api_key else ()
        )
        self._timeout = timeout
        self._retry = retry

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> TicketMinerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ingest_ticket(
        self, ticket: pb.Ticket, *, timeout: float | None = None
    ) -> pb.IngestTicketResponse:
        return self._unary(self.stub.IngestTicket, pb.IngestTicketRequest(ticket=ticket), timeout)

    def ingest_tickets(
        self, tickets: Iterable[pb.Ticket], *, timeout: float | None = None
    ) -> pb.IngestTicketsResponse:
        """Stream the tickets in one call. A bad ticket is reported in the response's
        `errors` and skipped; it does not fail the call. Retried only when `tickets` is
        a sequence (a list, a tuple): an iterator cannot be sent twice."""
        policy = self._retry if isinstance(tickets, Sequence) else NO_RETRY

        def attempt(left: float | None) -> pb.IngestTicketsResponse:
            requests = (pb.IngestTicketRequest(ticket=t) for t in tickets)
            return self.stub.IngestTickets(requests, metadata=self.metadata, timeout=left)

        return self._run(attempt, timeout, policy)

    def get_ticket(
        self, external_id: str, *, tenant_id: str = "", timeout: float | None = None
    ) -> pb.GetTicketResponse:
        request = pb.GetTicketRequest(tenant_id=tenant_id, external_id=external_id)
        return self._unary(self.stub.GetTicket, request, timeout)

    def list_tickets(
        self,
        *,
        tenant_id: str = "",
        filter: pb.TicketFilter | None = None,
        page_size: int = 0,
        include_messages: bool = False,
        timeout: float | None = None,
    ) -> Iterator[pb.TicketView]:
        """Every matching ticket, newest first, fetching pages as the loop reaches them
        (`page_size` per call; `timeout` applies to each page)."""
        request = pb.ListTicketsRequest(
            tenant_id=tenant_id,
            filter=filter,
            page_size=page_size,
            include_messages=include_messages,
        )
        return self._paged(self.stub.ListTickets, request, "tickets", timeout)

    def get_metrics(
        self,
        *,
        tenant_id: str = "",
        filter: pb.TicketFilter | None = None,
        group_by: str = "",
        granularity: int = pb.GRANULARITY_UNSPECIFIED,
        time_zone: str = "",
        fcr_variant: int = pb.FCR_VARIANT_UNSPECIFIED,
        timeout: float | None = None,
    ) -> pb.GetMetricsResponse:
        request = pb.GetMetricsRequest(
            tenant_id=tenant_id,
            filter=filter,
            group_by=group_by,
            granularity=granularity,
            time_zone=time_zone,
            fcr_variant=fcr_variant,
        )
        return self._unary(self.stub.GetMetrics, request, timeout)

    def list_issues(
        self,
        *,
        tenant_id: str = "",
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page_size: int = 0,
        include_inactive: bool = False,
        tenure_buckets: Iterable[str] = (),
        timeout: float | None = None,
    ) -> pb.ListIssuesResponse:
        """The largest `page_size` issues (no page token: the response is the list)."""
        request = pb.ListIssuesRequest(
            tenant_id=tenant_id,
            start_time=timestamp(start_time),
            end_time=timestamp(end_time),
            page_size=page_size,
            include_inactive=include_inactive,
            tenure_buckets=tenure_buckets,
        )
        return self._unary(self.stub.ListIssues, request, timeout)

    def get_weekly_digest(
        self,
        *,
        tenant_id: str = "",
        iso_week: str = "",
        time_zone: str = "",
        format: int = pb.DIGEST_FORMAT_UNSPECIFIED,
        fcr_variant: int = pb.FCR_VARIANT_UNSPECIFIED,
        timeout: float | None = None,
    ) -> pb.GetWeeklyDigestResponse:
        request = pb.GetWeeklyDigestRequest(
            tenant_id=tenant_id,
            iso_week=iso_week,
            time_zone=time_zone,
            format=format,
            fcr_variant=fcr_variant,
        )
        return self._unary(self.stub.GetWeeklyDigest, request, timeout)

    def list_anomalies(
        self,
        *,
        tenant_id: str = "",
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        kinds: Iterable[int] = (),
        issue_ids: Iterable[str] = (),
        statuses: Iterable[int] = (),
        min_severity: int = pb.SEVERITY_UNSPECIFIED,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[pb.Anomaly]:
        """Every matching anomaly, newest start first, page by page as iterated."""
        request = pb.ListAnomaliesRequest(
            tenant_id=tenant_id,
            start_time=timestamp(start_time),
            end_time=timestamp(end_time),
            kinds=kinds,
            issue_ids=issue_ids,
            statuses=statuses,
            min_severity=min_severity,
            page_size=page_size,
        )
        return self._paged(self.stub.ListAnomalies, request, "anomalies", timeout)

    def list_tenants(
        self, *, page_size: int = 0, timeout: float | None = None
    ) -> Iterator[pb.TenantSummary]:
        """Every tenant the API key may read, by tenant_id, page by page as iterated."""
        request = pb.ListTenantsRequest(page_size=page_size)
        return self._paged(self.stub.ListTenants, request, "tenants", timeout)

    def _unary(self, rpc: Callable[..., R], request: Message, timeout: float | None) -> R:
        def attempt(left: float | None) -> R:
            return rpc(request, metadata=self.metadata, timeout=left)

        return self._run(attempt, timeout, self._retry)

    def _run(
        self, attempt: Callable[[float | None], R], timeout: float | None, policy: RetryPolicy
    ) -> R:
        try:
            return call_with_retry(attempt, policy, self._timeout if timeout is None else timeout)
        except grpc.RpcError as err:
            raise error_from(err) from err

    def _paged(
        self, rpc: Callable[..., Any], request: Message, items: str, timeout: float | None
    ) -> Iterator[Any]:
        while True:
            response = self._unary(rpc, request, timeout)
            yield from getattr(response, items)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token  # type: ignore[attr-defined]


def timestamp(moment: datetime | None) -> Timestamp | None:
    """A Timestamp for an aware datetime (None stays unset); naive ones are refused,
    as their time zone would be a guess."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"give a time zone with {moment.isoformat()} (e.g. tzinfo=UTC)")
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
