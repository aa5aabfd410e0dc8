"""Fresh databases for tests: a SQLite file, or a PostgreSQL schema of its own.

Not a test module. With TICKETMINER_TEST_DATABASE_URL set (`make test-postgres`
sets it), every test database is a new schema on that server, reached through
`search_path`, so the whole suite runs unchanged against PostgreSQL; otherwise it
is a SQLite file under the test's tmp_path.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV = "TICKETMINER_TEST_DATABASE_URL"
SCHEMA_PREFIX = "tmtest_"
# This run's schemas only: other runs (a developer's, a helper's) may share the server.
RUN_PREFIX = f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:8]}_"


def postgres_url() -> str | None:
    return os.environ.get(ENV) or None


def on_postgres() -> bool:
    return postgres_url() is not None


def fresh_db(folder: Path, name: str = "tickets") -> str:
    """A database URL (or SQLite path) nobody else uses."""
    base = postgres_url()
    if base is None:
        return str(folder / f"{name}.db")
    schema = f"{RUN_PREFIX}{uuid.uuid4().hex[:16]}"
    _admin(f"CREATE SCHEMA {schema}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_test_schemas() -> None:
    """Drop the schemas this run made."""
    if postgres_url() is None:
        return
    engine = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            names = conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                {"p": RUN_PREFIX + "%"},
            ).scalars()
            for name in list(names):
                conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    finally:
        engine.dispose()


def _admin(sql: str) -> None:
    engine = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()
