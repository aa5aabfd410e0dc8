"""Operators' view: the Prometheus endpoint counts RPCs by method and code, times
them, counts ingested tickets by outcome and shows tenant gauges (per tenant only
with --metrics-tenant-labels); every RPC has a request id that is logged and echoed
in the response metadata."""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

import grpc
import pytest
from builders import ticket
from prometheus_client.parser import text_string_to_metric_families

from ticketminer.api.convert import ticket_to_proto
from ticketminer.domain.anomalies import AnomalyKind
from ticketminer.observability import TenantGauges
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _request(external_id: str, **fields) -> pb.IngestTicketRequest:
    out = pb.IngestTicketRequest()
    ticket_to_proto(ticket(external_id, 0, **fields), out.ticket)
    return out


@pytest.fixture(params=[False, True], ids=["totals", "tenant-labels"])
def served(settings, request):
    srv = Server(replace(settings, metrics_port=0, metrics_tenant_labels=request.param)).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield srv, pb_grpc.TicketMinerStub(channel)
    finally:
        srv.stop(grace=1)


def test_metrics_endpoint_counts_rpcs_codes_latency_and_ingest(served) -> None:
    srv, stub = served
    stub.IngestTicket(_request("a"), timeout=10)
    stub.IngestTicket(_request("a"), timeout=10)  # the same state again: unchanged
    bad = _request("b")
    bad.ticket.csat = 9
    with pytest.raises(grpc.RpcError):
        stub.IngestTicket(bad, timeout=10)
    stream = [_request("c"), _request("d"), bad]
    stub.IngestTickets(iter(stream), timeout=10)
    stub.GetMetrics(pb.GetMetricsRequest(), timeout=10)

    samples = _scrape(srv.metrics_port)

    def rpcs(method: str, code: str) -> float:
        return samples[("ticketminer_rpc_total", (("code", code), ("method", method)))]

    assert rpcs("IngestTicket", "OK") == 2
    assert rpcs("IngestTicket", "INVALID_ARGUMENT") == 1
    assert rpcs("IngestTickets", "OK") == 1 and rpcs("GetMetrics", "OK") == 1
    latency = ("ticketminer_rpc_latency_seconds_count", (("method", "GetMetrics"),))
    assert samples[latency] == 1
    buckets = [
        v
        for (name, labels), v in samples.items()
        if name == "ticketminer_rpc_latency_seconds_bucket" and ("method", "IngestTicket") in labels
    ]
    assert max(buckets) == 3  # the +Inf bucket holds every call, failed ones too

    def ingested(outcome: str) -> float:
        return samples.get(("ticketminer_ingested_tickets_total", (("outcome", outcome),)), 0)

    assert (ingested("created"), ingested("unchanged"), ingested("rejected")) == (3, 1, 1)
    # Tenant gauges, read at scrape time: one tenant, no issue model yet.
    assert samples[("ticketminer_tenants", ())] == 1
    assert samples[("ticketminer_issue_models", ())] == 0
    labelled = any(("tenant", "default") in labels for _, labels in samples)
    assert labelled == srv.settings.metrics_tenant_labels  # tenant ids only when asked
    if labelled:
        assert samples[("ticketminer_issue_model_version", (("tenant", "default"),))] == 0
    else:
        assert not any(name == "ticketminer_issue_model_version" for name, _ in samples)


def test_request_id_is_echoed_and_logged(served, caplog) -> None:
    _, stub = served
    caplog.set_level(logging.INFO, logger="ticketminer.rpc")
    stub.IngestTicket(_request("seed"), timeout=10)  # reads need a tenant that exists
    request = pb.GetMetricsRequest()
    _, call = stub.GetMetrics.with_call(request, metadata=(("x-request-id", "abc-123"),))
    assert dict(call.initial_metadata())["x-request-id"] == "abc-123"
    for odd in ("has spaces", "x" * 200):  # not a plain token: the server makes its own
        _, call = stub.GetMetrics.with_call(request, metadata=(("x-request-id", odd),))
        fresh = dict(call.initial_metadata())["x-request-id"]
        assert fresh != odd and len(fresh) == 32
    bad = _request("x")
    bad.ticket.csat = 0
    bad.ticket.external_id = ""
    with pytest.raises(grpc.RpcError) as err:
        stub.IngestTicket(bad, metadata=(("x-request-id", "req-9"),), timeout=10)
    assert dict(err.value.initial_metadata())["x-request-id"] == "req-9"
    lines = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "rpc"
    ]
    ids = {line["request_id"]: line["code"] for line in lines}
    assert ids["abc-123"] == "OK" and ids[fresh] == "OK" and ids["req-9"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("tenant_labels", [False, True])
def test_tenant_gauges_read_the_services_at_scrape_time(tenant_labels: bool) -> None:
    fitted = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    models = {
        "shop": SimpleNamespace(version=4, created_at=fitted),
        "new": SimpleNamespace(version=0, created_at=None),
    }
    active = {
        "shop": [SimpleNamespace(kind=AnomalyKind.VOLUME_SURGE)] * 2
        + [SimpleNamespace(kind=AnomalyKind.KPI_DEGRADATION)],
        "new": [],
    }
    gauges = TenantGauges(
        lambda: ["shop", "new"],
        models.__getitem__,
        active.__getitem__,
        lambda: fitted.timestamp() + 90,
        tenant_labels=tenant_labels,
    )
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in gauges.collect()
        for s in family.samples
    }
    totals = {
        ("ticketminer_tenants", ()): 2,
        ("ticketminer_issue_models", ()): 1,
        ("ticketminer_oldest_recluster_age_seconds", ()): 90,
    }
    if tenant_labels:
        assert found == totals | {
            ("ticketminer_issue_model_version", (("tenant", "shop"),)): 4,
            ("ticketminer_issue_model_version", (("tenant", "new"),)): 0,
            ("ticketminer_last_recluster_age_seconds", (("tenant", "shop"),)): 90,
            ("ticketminer_open_anomalies", (("kind", "kpi_degradation"), ("tenant", "shop"))): 1,
            ("ticketminer_open_anomalies", (("kind", "volume_surge"), ("tenant", "shop"))): 2,
        }
    else:  # /metrics is unauthenticated: no tenant ids, totals over tenants
        assert found == totals | {
            ("ticketminer_open_anomalies", (("kind", "kpi_degradation"),)): 1,
            ("ticketminer_open_anomalies", (("kind", "volume_surge"),)): 2,
        }
