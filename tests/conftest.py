"""Shared fixtures: a fresh database and services per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
