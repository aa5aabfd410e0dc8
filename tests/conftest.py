"""Shared fixtures: a fresh database and services per test, and one synthetic
history (the default preset) built once per session for the tests that only read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import drop_test_schemas, fresh_db
from server_process import ServerProcess

import ticketminer  # noqa: F401  (first: it pins numpy's SIMD level, see numerics.py)
from ticketminer.app import App
from ticketminer.config import Settings


@pytest.fixture(scope="session", autouse=True)
def _clean_test_schemas() -> Iterator[None]:
    """On PostgreSQL, every test database is a schema: drop them after the run."""
    yield
    drop_test_schemas()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(port=0, db_url=fresh_db(tmp_path), grace_seconds=1)


@pytest.fixture
def app(settings) -> Iterator[App]:
    application = App.open(settings)
    yield application
    application.close()


@pytest.fixture
def server(tmp_path) -> Iterator[ServerProcess]:
    """The real `ticketminer serve` on a free port over a fresh database."""
    with ServerProcess(fresh_db(tmp_path, "t")) as process:
        yield process


@pytest.fixture(scope="session")
def default_history(tmp_path_factory):
    """The default synthetic history (8 weeks, 5 incidents, 150 tickets a day)
    ingested, re-clustered and scanned: (database path, SynthResult). Tests open
    their own App on it and must not write to it."""
    from ticketminer.synth import generate, preset

    result = generate(preset("default", tickets_per_day=150))
    db = fresh_db(tmp_path_factory.mktemp("default-history"), "d")
    app = App.open(history_settings(db))
    try:
        assert app.tickets.ingest_bulk(iter(result.tickets)).rejected == 0
        app.issues.recluster("default")
        app.anomalies.scan("default")
    finally:
        app.close()
    return db, result


def history_settings(db: str | Path) -> Settings:
    return Settings(db_url=str(db), recluster_min_tickets=10**9, anomaly_time_zone="Asia/Shanghai")
