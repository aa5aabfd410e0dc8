"""Run `ticketminer import` the way a user does and read back what the service stored.

Not a test module: shared by the vendor-export import tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ticketminer.app import App
from ticketminer.cli import main
from ticketminer.config import Settings
from ticketminer.domain.filters import MetricsQuery
from ticketminer.domain.metrics import MetricSet

EXPORTS = Path(__file__).parent / "data" / "exports"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `ticketminer import ...` without a progress bar."""
    code = main(["import", *argv, "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@contextmanager
def opened(db: str) -> Iterator[App]:
    app = App.open(Settings(db_url=db))
    try:
        yield app
    finally:
        app.close()


def overall(app: App, tenant: str) -> MetricSet:
    return app.metrics.get_metrics(MetricsQuery(tenant_id=tenant, with_trends=False)).overall
