"""Prometheus metrics of the server: what operators watch, on their own HTTP port.

RPC counts by method and status code and latency histograms are recorded by the
access-log interceptor; ingest counters are read from the ingest answers (so the
servicer stays a converter); tenant gauges (tenants, issue models and the oldest
re-cluster, open anomalies by kind) are read from the services when Prometheus
scrapes, so nothing has to keep them up to date. /metrics is plain HTTP without a
key, so tenant ids appear there only with --metrics-tenant-labels (each tenant's
model version and re-cluster age, and its open anomalies by kind); otherwise the
gauges are totals over tenants. Each server has its own registry, so two servers in
one process (tests) never share numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ticketminer.v1 import ticketminer_pb2 as pb

# Seconds; from a cached read (ms) to a cold 1M-ticket digest or a re-cluster.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_BULK_OUTCOMES = ("created", "updated", "unchanged", "stale", "rejected")


class Telemetry:
    """The server's metrics; `observe_rpc` is called once per finished RPC."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.rpcs = Counter(
            "ticketminer_rpc",
            "RPCs finished, by method and gRPC status code.",
            ("method", "code"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "ticketminer_rpc_latency_seconds",
            "Time from the start of an RPC to its answer, by method.",
            ("method",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ingested = Counter(
            "ticketminer_ingested_tickets",
            "Tickets received by IngestTicket(s), by outcome.",
            ("outcome",),
            registry=self.registry,
        )

    def observe_rpc(self, method: str, code: str, seconds: float, response: Any = None) -> None:
        name = method.rsplit("/", 1)[-1]
        self.rpcs.labels(name, code).inc()
        self.latency.labels(name).observe(seconds)
        if isinstance(response, pb.IngestTicketResponse):
            outcome = pb.IngestOutcome.Name(response.outcome).removeprefix("INGEST_OUTCOME_")
            self.ingested.labels(outcome.lower()).inc()
        elif isinstance(response, pb.IngestTicketsResponse):
            for outcome in _BULK_OUTCOMES:
                count = getattr(response, outcome)
                if count:
                    self.ingested.labels(outcome).inc(count)

    def watch(self, collector: Collector) -> None:
        self.registry.register(collector)

    def serve(self, host: str, port: int) -> tuple[Any, int]:
        """Serve /metrics over HTTP; (the server, its bound port)."""
        server, _thread = start_http_server(port, host, registry=self.registry)
        return server, server.server_port


class TenantGauges(Collector):
    """Read at scrape time. Always: the number of tenants, of tenants with an issue
    model, the age of the oldest model, and open anomalies by kind over all tenants.
    With `tenant_labels` (which publishes tenant ids), per tenant instead: the issue
    model's version, seconds since it was fitted, and open anomalies by kind."""

    def __init__(
        self,
        tenants: Callable[[], Iterable[str]],
        model_of: Callable[[str], Any],
        active_anomalies: Callable[[str], list[Any]],
        clock: Callable[[], float] = time.time,
        tenant_labels: bool = False,
    ) -> None:
        self._tenants = tenants
        self._model_of = model_of
        self._active = active_anomalies
        self._clock = clock
        self._tenant_labels = tenant_labels

    def collect(self) -> Iterator[GaugeMetricFamily]:
        labelled = self._tenant_labels
        version = GaugeMetricFamily(
            "ticketminer_issue_model_version",
            "Version of the tenant's issue model.",
            labels=["tenant"],
        )
        age = GaugeMetricFamily(
            "ticketminer_last_recluster_age_seconds",
            "Seconds since the tenant's issue model was fitted.",
            labels=["tenant"],
        )
        anomalies = GaugeMetricFamily(
            "ticketminer_open_anomalies",
            "Open or ongoing anomalies, by kind"
            + (" and tenant." if labelled else ", summed over tenants."),
            labels=["tenant", "kind"] if labelled else ["kind"],
        )
        now = self._clock()
        tenants = modelled = 0
        oldest: float | None = None
        totals: dict[str, int] = {}
        for tenant in self._tenants():
            tenants += 1
            model = self._model_of(tenant)
            if labelled:
                version.add_metric([tenant], model.version)
            if model.created_at is not None:
                seconds = max(0.0, now - model.created_at.timestamp())
                modelled += 1
                oldest = seconds if oldest is None else max(oldest, seconds)
                if labelled:
                    age.add_metric([tenant], seconds)
            kinds: dict[str, int] = {}
            for anomaly in self._active(tenant):
                kind = anomaly.kind.name.lower()
                kinds[kind] = kinds.get(kind, 0) + 1
            for kind, count in sorted(kinds.items()):
                totals[kind] = totals.get(kind, 0) + count
                if labelled:
                    anomalies.add_metric([tenant, kind], count)
        if not labelled:
            for kind, count in sorted(totals.items()):
                anomalies.add_metric([kind], count)
        yield GaugeMetricFamily(
            "ticketminer_tenants", "Tenants with stored tickets.", value=tenants
        )
        yield GaugeMetricFamily(
            "ticketminer_issue_models", "Tenants with a fitted issue model.", value=modelled
        )
        oldest_age = GaugeMetricFamily(
            "ticketminer_oldest_recluster_age_seconds",
            "Seconds since the least recently fitted issue model was fitted.",
        )
        if oldest is not None:
            oldest_age.add_metric([], oldest)
        yield oldest_age
        if labelled:
            yield from (version, age)
        yield anomalies
