"""Engine set-up: SQLite in WAL mode with full fsync by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from ticketminer.store.interrupts import track_interrupts
from ticketminer.store.migrations import ensure_head
from ticketminer.store.schema import TICKET_VERSION, counters

WAL_SWITCH_SECONDS = 30.0
BUSY_TIMEOUT_MS = 30000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _ensure_wal(cursor)
    # FULL: a commit is on disk before we acknowledge the ticket (power-loss safe).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so an erased ticket's text leaves the
    # file (store.secure_erase); it costs little at ingest (README: deletion).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _ensure_wal(cursor) -> None:
    """Switch a new file to WAL once. The switch needs the file to itself and does not
    wait on busy_timeout, so processes opening a brand-new file together retry it;
    a file already in WAL (every later open) is only asked."""
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


CONNECT_TIMEOUT_SECONDS = 5
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


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
        return track_interrupts(engine)
    # Connecting to a database that is down fails within CONNECT_TIMEOUT_SECONDS
    # (UNAVAILABLE to the caller) instead of hanging a worker; pre-ping replaces the
    # pooled connections that died with it once it is back.
    # TCP keepalives: a query on a connection whose network silently died fails in
    # about a minute instead of hanging its worker.
    connect_args: dict[str, object] = dict(KEEPALIVES)
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    engine = create_engine(
        parsed, pool_size=8, max_overflow=8, pool_pre_ping=True, connect_args=connect_args
    )
    return track_interrupts(engine)


def init_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration and create the version counter; run
    on every start, so at head it costs a catalog lookup and one read of
    alembic_version, without importing Alembic.

    - A new, empty database is made by `metadata.create_all` and stamped at head,
      rather than by running every revision: one pass that is schema.py exactly (no
      index built by 0001 only to be rebuilt by 0002), the cheap path for the many
      databases tests and new deployments create, and Alembic's own recipe for
      building from scratch. tests/test_migrations.py proves the two equal: a
      database migrated from base to head shows autogenerate no difference from
      schema.metadata.
    - A database made before migrations (create_all, no alembic_version) is stamped
      at the revision its tables and indexes match, then upgraded.
    - A versioned one is upgraded to head.

    The last two run under a lock (PostgreSQL advisory lock, SQLite write lock), so
    processes starting together on one database migrate it once. See
    ticketminer.store.migrations.
    """
    ensure_head(engine)
    try:
        with engine.begin() as conn:
            exists = conn.execute(
                select(counters.c.value).where(counters.c.name == TICKET_VERSION)
            ).first()
            if exists is None:
                conn.execute(insert(counters).values(name=TICKET_VERSION, value=0))
    except IntegrityError:
        pass  # another process (server and importer starting together) created it
