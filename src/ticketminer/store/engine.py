"""Engine set-up: SQLite in WAL mode with full fsync by default, PostgreSQL by URL."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from ticketminer.store.schema import TICKET_VERSION, counters, metadata


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before we acknowledge the ticket (power-loss safe).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; a bare path is taken as a SQLite file."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_size=8, max_overflow=8, pool_pre_ping=True)


def init_schema(engine: Engine) -> None:
    """Create missing tables and the version counter; safe to call on every start."""
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            exists = conn.execute(
                select(counters.c.value).where(counters.c.name == TICKET_VERSION)
            ).first()
            if exists is None:
                conn.execute(insert(counters).values(name=TICKET_VERSION, value=0))
    except IntegrityError:
        pass  # another process (server and importer starting together) created it
