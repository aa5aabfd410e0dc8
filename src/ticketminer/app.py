"""Wiring of the services over one database, shared by the server and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ticketminer.config import Settings
from ticketminer.deliverers import Outbox, SmtpRelay
from ticketminer.domain.limits import RESPONSE_SHARE
from ticketminer.domain.tenure import parse_edges
from ticketminer.domain.validation import Limits
from ticketminer.issues.embedders.base import Embedder
from ticketminer.services.anomalies import AnomalyService
from ticketminer.services.anomaly_scheduler import AnomalyScheduler
from ticketminer.services.api_keys import ApiKeyService
from ticketminer.services.digest import DigestService
from ticketminer.services.digest_delivery import (
    DigestDeliveryLoop,
    DigestDeliveryService,
    RetryPolicy,
)
from ticketminer.services.embedding_queue import EmbeddingQueue
from ticketminer.services.erasure import ErasureService, RetentionLoop
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.issue_models import IssueModelCache
from ticketminer.services.issues import IssueService
from ticketminer.services.lifecycle import LifecycleService
from ticketminer.services.metrics import MetricsService
from ticketminer.services.recluster_policy import ReclusterPolicy, ReclusterScheduler
from ticketminer.services.sentiment_columns import SentimentColumns
from ticketminer.services.tenant_directory import TenantDirectory
from ticketminer.services.tenant_settings import TenantSettingsService
from ticketminer.services.tickets import TicketService
from ticketminer.store.engine import init_schema, make_engine


@dataclass
class App:
    settings: Settings
    engine: Engine
    facts: FactsCache
    tickets: TicketService
    metrics: MetricsService
    issues: IssueService
    anomalies: AnomalyService
    digest: DigestService
    lifecycle: LifecycleService
    tenants: TenantSettingsService
    api_keys: ApiKeyService
    # Which tenants exist, for NOT_FOUND on reads of unknown ones, and ListTenants.
    directory: TenantDirectory
    embedder: Embedder | None = None
    # Embeds stored tickets off the ingest path (None with --embedder off).
    embeddings: EmbeddingQueue | None = None
    # Scheduled digests (set by open(); None only for an App built by hand).
    deliveries: DigestDeliveryService | None = None
    # Deleting tickets and customers, and retention (set by open()).
    erasure: ErasureService | None = None

    @classmethod
    def open(cls, settings: Settings) -> App:
        engine = make_engine(settings.db_url)
        init_schema(engine)
        cache = FactsCache(engine, settings.max_attribute_columns)
        columns = IssueColumns(engine)
        models = IssueModelCache(engine)
        tenants = TenantSettingsService(engine, parse_edges(settings.tenure_edges_days))
        anomalies = AnomalyService(
            engine,
            cache,
            columns,
            models,
            time_zone=settings.anomaly_time_zone,
            history_days=settings.anomaly_history_days,
            settings=tenants.get,
            max_dimensions=settings.rootcause_max_attributes,
            max_cells=settings.rootcause_max_cells,
        )
        tenure = tenants.tenure
        metrics = MetricsService(
            cache,
            columns,
            models.labels,
            resolve_filter=anomalies.tickets_filter,
            tenure=tenure,
            settings=tenants.get,
            max_cells=settings.max_series_points,
            sentiment=SentimentColumns(engine).column,
        )
        embedder = embedder_of(settings)
        queue = EmbeddingQueue(engine, embedder) if embedder is not None else None
        issues = IssueService(
            engine,
            cache,
            columns,
            models,
            metrics,
            random_state=settings.issue_random_state,
            anomalies_of=anomalies.of_issue,
            tenure=tenure,
            embedder=embedder,
            embed_pending=queue.embed_tenant if queue is not None else None,
            settings=tenants.get,
        )
        if queue is not None:
            queue.on_embedded = issues.assign_embedded
        limits = Limits(max_text_bytes=settings.max_text_bytes, max_id_bytes=settings.max_id_bytes)
        tickets = TicketService(
            engine,
            cache,
            columns,
            issues.prepare,
            models.labels,
            limits,
            anomalies_for=anomalies.for_ingested,
            resolve_filter=tenants.with_defaults(anomalies.tickets_filter),
            tenure=tenure,
            # The rest of the send limit is left for the envelope and the analysis.
            max_response_bytes=int(settings.max_message_bytes * RESPONSE_SHARE),
        )
        lifecycle = LifecycleService(engine, cache, columns, metrics, models.labels, tenure)
        digest = DigestService(
            engine,
            cache,
            columns,
            models,
            metrics,
            anomalies,
            lifecycle,
            tenure,
            ticket_url=settings.digest_ticket_url,
            settings=tenants.get,
        )
        return cls(
            settings,
            engine,
            cache,
            tickets,
            metrics,
            issues,
            anomalies,
            digest,
            lifecycle,
            tenants,
            ApiKeyService(engine),
            TenantDirectory(engine),
            embedder,
            queue,
            deliveries_of(settings, engine, digest, tenants),
            ErasureService(engine, tenants.get, on_deleted=(anomalies.forget_active,)),
        )

    def scheduler(self) -> ReclusterScheduler:
        """The background re-cluster policy (the server starts it; the CLI does not)."""
        policy = ReclusterPolicy(
            after_tickets=self.settings.recluster_after_tickets,
            interval_seconds=self.settings.recluster_interval_seconds,
            min_tickets=self.settings.recluster_min_tickets,
        )
        return ReclusterScheduler(self.issues, self.facts.known_tenants, policy)

    def anomaly_scheduler(self) -> AnomalyScheduler:
        """Background anomaly scans of tenants with new tickets (the server starts it)."""
        return AnomalyScheduler(
            self.anomalies, self.facts.known_tenants, self.settings.anomaly_scan_seconds
        )

    def retention_loop(self) -> RetentionLoop | None:
        """Deletes tickets past each tenant's retention window (the server starts it)."""
        if self.erasure is None:
            return None
        return RetentionLoop(
            self.erasure, self.facts.known_tenants, self.settings.retention_seconds
        )

    def delivery_loop(self) -> DigestDeliveryLoop | None:
        """The background digest sender (the server starts it; the CLI does not)."""
        if self.deliveries is None:
            return None
        return DigestDeliveryLoop(self.deliveries, self.settings.digest_delivery_seconds)

    def close(self) -> None:
        self.digest.close()
        self.tickets.close()
        self.engine.dispose()


def deliveries_of(
    settings: Settings, engine: Engine, digest: DigestService, tenants: TenantSettingsService
) -> DigestDeliveryService:
    """Scheduled delivery over the server's SMTP relay and send timeout."""
    from ticketminer.api.digest_delivery_convert import digest_json

    smtp = SmtpRelay.parse(settings.smtp_url) if settings.smtp_url else None
    return DigestDeliveryService(
        engine,
        digest,
        Outbox(smtp, settings.smtp_from, settings.delivery_timeout_seconds),
        digest_json,
        settings=tenants.get,
        policy=RetryPolicy(
            settings.digest_retry_seconds,
            settings.digest_retry_factor,
            settings.digest_max_attempts,
        ),
    )


def embedder_of(settings: Settings) -> Embedder | None:
    """The embedding backend the settings name (nothing is loaded until first use)."""
    from ticketminer.issues.embedders import make_embedder

    spec = settings.embedder.strip()
    if spec.lower().startswith(("http://", "https://")):
        return make_embedder(
            spec,
            model=settings.embedder_model,
            api_key=settings.embedder_api_key or None,
            timeout_seconds=settings.embedder_timeout_seconds,
        )
    if spec.lower() == "off":
        return None
    return make_embedder(spec, threads=settings.embedder_threads)
