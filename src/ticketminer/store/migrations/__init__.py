"""Schema migrations (Alembic), applied by `init_schema` on every start and by
`ticketminer migrate`.

The scripts live beside this module (env.py, versions/) and ship in the wheel; there
is no alembic.ini: `alembic_config` points Alembic at this directory and hands it the
connection, which already holds the migration lock, through `config.attributes`.

History (one revision per release that changed the schema; see versions/):

- 0001: the schema before migrations existed, as released at 2fbf694;
- 0002: the facts covering index gains customer_since_us (0978df4);
- 0003: tenant_settings (76af1c4);
- 0004: api_keys (c8c0931);
- 0005: ticket_vectors, the tickets version index, sub-issues (issue 17);
- 0006: ticket_sentiment.anger (the coupon sentiment surge);
- 0007: anomaly_issues, the issues an incident spans;
- 0008: helpdesk connectors (reported facts, digest schedules and deliveries, sync
  cursors, webhook receipts) and FCR that needs a public agent reply;
- 0009: erasure (ticket_deletions tombstones, audit_log).

Databases made before migrations (create_all, no alembic_version table) are
recognised by their tables and the facts index (`detect_legacy`), stamped at the
revision they match and upgraded from there.

A new revision: change schema.py, then, against a database at head,
``python -c "from ticketminer.store.migrations import new_revision as r; r('dev.db', 'what')"``
writes versions/NNNN_what.py by autogenerate; review it (explicit columns, batch
mode on SQLite), add NNNN to REVISIONS and run tests/test_migrations.py, which fails
while migrations and schema.py differ.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from ticketminer.store.schema import metadata

if TYPE_CHECKING:
    from alembic.config import Config

from ticketminer.store.migrations.layouts import (
    BASELINE_TABLES,
    FACTS_INDEX,
    FACTS_INDEX_0001,
    FACTS_INDEX_0002,
)

log = logging.getLogger(__name__)

REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
"""Every revision, oldest first (a test checks it against the scripts). Known here so
that a start at head reads one row and never imports Alembic (about 0.1 s)."""
HEAD = REVISIONS[-1]
VERSION_TABLE = "alembic_version"
SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
# PostgreSQL advisory locks: (this constant, a hash of the schema), so databases in
# other schemas of the same server (a test suite's, say) migrate independently.
_LOCK_CLASS = 0x746D6967  # "tmig"


class SchemaError(RuntimeError):
    """The database holds a schema this version of ticketminer cannot bring to head."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: `revision` None is an empty database; `versioned`
    False is one made before migrations, its revision detected from its tables."""

    revision: str | None
    versioned: bool

    @property
    def at_head(self) -> bool:
        return self.versioned and self.revision == HEAD

    def __str__(self) -> str:
        if self.revision is None:
            return "empty"
        return self.revision if self.versioned else f"{self.revision} (unversioned, detected)"


@dataclass(frozen=True)
class Migration:
    before: SchemaState
    after: str | None


def ensure_head(engine: Engine) -> Migration:
    """Bring the database to head: nothing but one read when it is there already;
    an empty one is created by create_all and stamped (see init_schema); otherwise
    the revisions after its own run, under the migration lock."""
    return upgrade(engine, "head", create_empty=True)


def upgrade(engine: Engine, target: str = "head", *, create_empty: bool = False) -> Migration:
    """Upgrade to `target` under the migration lock. An unversioned database is first
    stamped at the revision it matches; an empty one runs every revision from base,
    unless `create_empty` (and the target is head): then create_all and a stamp."""
    if target in ("head", HEAD) and quick_revision(engine) == HEAD:
        return Migration(SchemaState(HEAD, True), HEAD)
    with migration_lock(engine) as conn:
        before = read_state(conn)
        if before.at_head and target in ("head", HEAD):
            return Migration(before, HEAD)
        cfg = alembic_config(conn)
        from alembic import command

        if before.revision is None and create_empty and target in ("head", HEAD):
            metadata.create_all(conn)
            command.stamp(cfg, HEAD)
        else:
            if before.revision is not None and not before.versioned:
                command.stamp(cfg, before.revision)
            command.upgrade(cfg, target)
        after = _versions(conn)
    log.info(
        {"event": "schema_migrated", "from": str(before), "to": after[0] if after else "empty"}
    )
    return Migration(before, after[0] if after else None)


def downgrade(engine: Engine, target: str) -> Migration:
    """Downgrade a versioned database to `target` ("base" drops every table)."""
    with migration_lock(engine) as conn:
        before = read_state(conn)
        if not before.versioned:
            raise SchemaError(f"cannot downgrade an unversioned database ({before})")
        from alembic import command

        command.downgrade(alembic_config(conn), target)
        after = _versions(conn)
    log.info("database schema %s -> %s", before, after[0] if after else "base")
    return Migration(before, after[0] if after else None)


def quick_revision(engine: Engine) -> str | None:
    """The stamped revision, without locks or Alembic (None: not versioned)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        versions = _versions(conn)
    return versions[0] if len(versions) == 1 else None


def state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return read_state(conn)


def read_state(conn: Connection) -> SchemaState:
    insp = inspect(conn)
    tables = set(insp.get_table_names())
    if VERSION_TABLE in tables:
        versions = _versions(conn)
        if len(versions) > 1:
            raise SchemaError(f"database stamped with several revisions: {versions}")
        if versions:
            if versions[0] not in REVISIONS:
                raise SchemaError(
                    f"database schema is at revision {versions[0]}, unknown to this version "
                    f"of ticketminer (its newest is {HEAD}): run a newer ticketminer (or is "
                    "this another application's alembic_version?)"
                )
            return SchemaState(versions[0], True)
        # An empty version table: downgraded to base (or an interrupted stamp).
    if not tables & set(metadata.tables):
        return SchemaState(None, VERSION_TABLE in tables)
    return SchemaState(detect_legacy(conn, tables), False)


def detect_legacy(conn: Connection, tables: set[str] | None = None) -> str:
    """The revision an unversioned database (made by create_all before migrations)
    matches. Older programs ran create_all on every start, which adds missing tables
    but never alters one it finds: a database first made before 0002 keeps its old
    facts index even after newer programs added tenant_settings and api_keys. So the
    answer is the newest revision up to which every change is present; the later
    revisions tolerate tables that exist already (IF NOT EXISTS)."""
    insp = inspect(conn)
    tables = set(insp.get_table_names()) if tables is None else tables
    missing = BASELINE_TABLES - tables
    if missing:
        raise SchemaError(
            f"unversioned database without the tables {', '.join(sorted(missing))}: "
            "not one made by a release of ticketminer this version can upgrade"
        )
    facts = next(
        (
            tuple(ix["column_names"])
            for ix in insp.get_indexes("tickets")
            if ix["name"] == FACTS_INDEX
        ),
        None,
    )
    if facts not in (FACTS_INDEX_0001, FACTS_INDEX_0002):
        raise SchemaError(
            f"unversioned database whose {FACTS_INDEX} is {facts}: a pre-release layout "
            "this version cannot upgrade"
        )
    applied = (
        ("0002", facts == FACTS_INDEX_0002),
        ("0003", "tenant_settings" in tables),
        ("0004", "api_keys" in tables),
        # Only create_all of the current schema (as in tests) makes this table unversioned.
        ("0005", "ticket_vectors" in tables),
        ("0006", "anger" in {c["name"] for c in insp.get_columns("ticket_sentiment")}),
        ("0007", "anomaly_issues" in tables),
        ("0008", "digest_deliveries" in tables),
        ("0009", "audit_log" in tables),
    )
    revision = "0001"
    for candidate, present in applied:
        if not present:
            break
        revision = candidate
    return revision


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock; commits on exit.

    PostgreSQL: pg_advisory_xact_lock, so two servers starting together migrate one
    after the other (the second then finds head) and DDL commits or rolls back whole.
    SQLite: BEGIN IMMEDIATE takes the write lock (others wait up to busy_timeout);
    its DDL is transactional too. Foreign keys are off meanwhile, as SQLite's
    table-rebuild procedure (batch mode) needs: dropping the old `tickets` would
    otherwise cascade-delete every side row. They are checked before the commit.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        foreign_keys = False
        if sqlite:
            foreign_keys = bool(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                elif conn.dialect.name == "postgresql":
                    schema = conn.execute(text("SELECT current_schema()")).scalar() or ""
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:kind, :key)"),
                        {"kind": _LOCK_CLASS, "key": _int4(zlib.crc32(schema.encode()))},
                    )
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite and foreign_keys:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration for this package's scripts on `connection`."""
    # Alembic announces each of its plugins at INFO on import: not news for a log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def new_revision(db_url: str, message: str, *, autogenerate: bool = True) -> str:
    """For developers: write the next revision's script, autogenerated from what
    schema.py has and the database at `db_url` (at head) lacks. Returns its id."""
    from alembic import command

    from ticketminer.store.engine import make_engine

    rev_id = f"{len(REVISIONS) + 1:04d}"
    engine = make_engine(db_url)
    try:
        with migration_lock(engine) as conn:
            command.revision(
                alembic_config(conn), message=message, autogenerate=autogenerate, rev_id=rev_id
            )
    finally:
        engine.dispose()
    return rev_id


def _versions(conn: Connection) -> list[str]:
    return list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _int4(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value
