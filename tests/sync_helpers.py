"""Running `ticketminer sync` in a subprocess or in-process, and reading back what it stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ticketminer.app import App
from ticketminer.config import Settings
from ticketminer.store.schema import tickets
from ticketminer.store.sync_cursors_repo import load_cursor

ROOT = Path(__file__).resolve().parents[1]
VENDOR_VARIABLES = (
    "ZENDESK_SUBDOMAIN",
    "ZENDESK_EMAIL",
    "ZENDESK_API_TOKEN",
    "ZENDESK_BASE_URL",
    "FRESHDESK_DOMAIN",
    "FRESHDESK_API_KEY",
    "FRESHDESK_BASE_URL",
)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without vendor credentials, plus `extra`, running this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in VENDOR_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env | extra


def sync_command(source: str, db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "ticketminer.cli", "sync", source, "--db", db, *args]


def run_sync(
    source: str, db: str, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        sync_command(source, db, "--once", *args),
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored_state(db: str, tenant: str) -> dict[str, Any]:
    """Every stored ticket of the tenant with what was derived from it, and the row count."""
    app = App.open(Settings(db_url=db))
    try:
        with app.engine.connect() as conn:
            ids = conn.execute(
                select(tickets.c.external_id).where(tickets.c.tenant_id == tenant)
            ).scalars()
            rows = conn.execute(
                select(func.count()).select_from(tickets).where(tickets.c.tenant_id == tenant)
            ).scalar()
            cursors = {s: load_cursor(conn, tenant, s) for s in ("zendesk", "freshdesk")}
        out = {}
        for external_id in sorted(ids):
            found = app.tickets.get(tenant, external_id)
            t = found.ticket
            out[external_id] = {
                "status": t.status.name,
                "updated_at": t.updated_at,
                "messages": [(m.author_role.name, m.public, m.created_at) for m in t.messages],
                "csat": t.csat,
                "reopen_count": t.reopen_count,
                "attributes": t.attributes,
                "analysis": found.analysis,
            }
        return {"tickets": out, "rows": rows, "cursors": cursors}
    finally:
        app.close()
