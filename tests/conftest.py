"""Shared fixtures: a fresh database and services per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_process import ServerProcess

from ticketminer.app import App
from ticketminer.config import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(port=0, db_url=str(tmp_path / "tickets.db"), grace_seconds=1)


@pytest.fixture
def app(settings) -> Iterator[App]:
    application = App.open(settings)
    yield application
    application.close()


@pytest.fixture
def server(tmp_path) -> Iterator[ServerProcess]:
    """The real `ticketminer serve` on a free port over a fresh SQLite file."""
    with ServerProcess(tmp_path / "t.db") as process:
        yield process
