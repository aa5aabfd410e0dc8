"""Prometheus metrics of the server: what operators watch, on their own HTTP port.

RPC counts by method and status code and latency histograms are recorded by the
access-log interceptor; ingest counters are read from the ingest answers (so the
servicer stays a converter); tenant gauges (model version, age of the last
re-cluster, open anomalies) are read from the services when Prometheus scrapes, so
nothing has to keep them up to date. Each server has its own registry, so two
servers in one process (tests) never share numbers.
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
    """Per tenant, read at scrape time: the issue model's version, seconds since it was
    fitted, and open anomalies by kind."""

    def __init__(
        self,
        tenants: Callable[[], Iterable[str]],
        model_of: Callable[[str], Any],
        active_anomalies: Callable[[str], list[Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tenants = tenants
        self._model_of = model_of
        self._active = active_anomalies
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
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
            "Open or ongoing anomalies of the tenant, by kind.",
            labels=["tenant", "kind"],
        )
        now = self._clock()
        for tenant in self._tenants():
            model = self._model_of(tenant)
            version.add_metric([tenant], model.version)
            if model.created_at is not None:
                age.add_metric([tenant], max(0.0, now - model.created_at.timestamp()))
            kinds: dict[str, int] = {}
            for anomaly in self._active(tenant):
                kind = anomaly.kind.name.lower()
                kinds[kind] = kinds.get(kind, 0) + 1
            for kind, count in sorted(kinds.items()):
                anomalies.add_metric([tenant, kind], count)
        yield from (version, age, anomalies)
