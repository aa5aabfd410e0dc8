"""Wiring of the services over one database, shared by the server and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ticketminer.config import Settings
from ticketminer.domain.validation import Limits
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.metrics import MetricsService
from ticketminer.services.tickets import TicketService
from ticketminer.store.engine import init_schema, make_engine


@dataclass
class App:
    engine: Engine
    facts: FactsCache
    tickets: TicketService
    metrics: MetricsService

    @classmethod
    def open(cls, settings: Settings) -> App:
        engine = make_engine(settings.db_url)
        init_schema(engine)
        cache = FactsCache(engine)
        limits = Limits(max_text_bytes=settings.max_text_bytes)
        return cls(engine, cache, TicketService(engine, cache, limits), MetricsService(cache))

    def close(self) -> None:
        self.tickets.close()
        self.engine.dispose()
