"""Wiring of the services over one database, shared by the server and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ticketminer.config import Settings
from ticketminer.domain.validation import Limits
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.issue_models import IssueModelCache
from ticketminer.services.issues import IssueService
from ticketminer.services.metrics import MetricsService
from ticketminer.services.recluster_policy import ReclusterPolicy, ReclusterScheduler
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

    @classmethod
    def open(cls, settings: Settings) -> App:
        engine = make_engine(settings.db_url)
        init_schema(engine)
        cache = FactsCache(engine)
        columns = IssueColumns(engine)
        models = IssueModelCache(engine)
        metrics = MetricsService(cache, columns, models.labels)
        issues = IssueService(
            engine, cache, columns, models, metrics, random_state=settings.issue_random_state
        )
        limits = Limits(max_text_bytes=settings.max_text_bytes)
        tickets = TicketService(engine, cache, columns, issues.prepare, models.labels, limits)
        return cls(settings, engine, cache, tickets, metrics, issues)

    def scheduler(self) -> ReclusterScheduler:
        """The background re-cluster policy (the server starts it; the CLI does not)."""
        policy = ReclusterPolicy(
            after_tickets=self.settings.recluster_after_tickets,
            interval_seconds=self.settings.recluster_interval_seconds,
            min_tickets=self.settings.recluster_min_tickets,
        )
        return ReclusterScheduler(self.issues, self.facts.known_tenants, policy)

    def close(self) -> None:
        self.tickets.close()
        self.engine.dispose()
