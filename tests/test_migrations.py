"""Schema migrations: the revision history, a database at 0001 with a helpdesk's data
in it upgraded by App.open, databases made before migrations detected and stamped,
migrations that never drift from schema.py, downgrades, concurrent starts and the
`ticketminer migrate` command. Every database comes from fresh_db, so the suite runs
on SQLite and, with TICKETMINER_TEST_DATABASE_URL, on a PostgreSQL schema of its own."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from builders import T0, agent, customer, msg, ticket
from databases import fresh_db, on_postgres
from sqlalchemy import BigInteger, Engine, MetaData, event, inspect, select, text

from ticketminer.app import App
from ticketminer.cli import main
from ticketminer.config import Settings
from ticketminer.domain.api_keys import Scope
from ticketminer.domain.filters import GroupBy, MetricsQuery
from ticketminer.domain.model import AuthorRole, IngestOutcome, TicketStatus
from ticketminer.store import migrations
from ticketminer.store.engine import init_schema, make_engine
from ticketminer.store.migrations import HEAD, REVISIONS, SchemaError, SchemaState
from ticketminer.store.schema import TICKET_VERSION, counters, metadata

ROOT = Path(__file__).resolve().parents[1]
TENANT = "shop"
# Tables with an auto-increment key: PostgreSQL sequences to advance after a copy.
SERIAL_KEYS = {
    "tickets": "pk",
    "ticket_issue_history": "id",
    "issue_lineage": "id",
    "anomalies": "id",
}
# Parents before children, as the foreign keys need.
BASELINE_ORDER = tuple(
    t.name for t in metadata.sorted_tables if t.name in migrations.BASELINE_TABLES
)


@pytest.fixture
def new_engine(tmp_path) -> Iterator:
    """new_engine(name) -> (url, engine) on a fresh database; disposed afterwards."""
    made: list[Engine] = []

    def make(name: str = "db") -> tuple[str, Engine]:
        url = fresh_db(tmp_path, name)
        engine = make_engine(url)
        made.append(engine)
        return url, engine

    yield make
    for engine in made:
        engine.dispose()


def differences(engine: Engine, target: MetaData = metadata) -> list:
    """What autogenerate would write to turn the database into `target`."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, target)


def layout(engine: Engine) -> dict:
    """Tables, their columns (name, type, nullable) and indexes, as reflected."""
    insp = inspect(engine)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
            sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(table)),
        )
        for table in sorted(insp.get_table_names())
    }


def facts_index(engine: Engine) -> tuple[str, ...]:
    (index,) = [
        i for i in inspect(engine).get_indexes("tickets") if i["name"] == migrations.FACTS_INDEX
    ]
    return tuple(index["column_names"])


def forget_versions(engine: Engine) -> None:
    """What a database made by create_all before migrations lacks."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


def rows(engine: Engine, table: str) -> list[tuple]:
    """Every row of `table`, in key order, as the database holds it now."""
    known = metadata.tables.get(table)
    key = ", ".join(c.name for c in known.primary_key.columns) if known is not None else "1"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]


# --- the history itself -------------------------------------------------------------


def test_revisions_are_one_line_from_0001_to_head():
    script = ScriptDirectory(migrations.SCRIPT_LOCATION)
    assert script.get_heads() == [HEAD]
    walked = [r.revision for r in script.walk_revisions("base", "heads")]
    assert tuple(reversed(walked)) == REVISIONS
    assert script.get_revision("0001").down_revision is None


def test_migrations_from_base_give_exactly_schema_py(new_engine):
    """Autogenerate finds nothing to do between base->head and schema.metadata, so the
    revisions and schema.py cannot drift apart (types and defaults compared too)."""
    _, engine = new_engine()
    migrations.upgrade(engine, "head")
    assert migrations.state(engine) == SchemaState(HEAD, True)
    assert differences(engine) == []
    # ... and it would see a drift: one column's type changed in the model.
    drifted = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["tickets"].c.reopen_count.type = BigInteger()
    assert [d[0][0] for d in differences(engine, drifted)] == ["modify_type"]


def test_0001_is_the_older_schema(new_engine):
    _, engine = new_engine()
    migrations.upgrade(engine, "0001")
    assert facts_index(engine) == migrations.FACTS_INDEX_0001
    kinds = sorted((d[0] if isinstance(d, tuple) else d[0][0]) for d in differences(engine))
    # 0002 to 0009: the facts index, tenant_settings, api_keys, then ticket_vectors
    # and its index, the version index and the two sub-issue columns, then anger, then
    # anomaly_issues and its index; then the four reported-facts columns and the four
    # connector tables with their three indexes; then ticket_deletions and audit_log
    # with an index each.
    assert kinds == [
        *["add_column"] * 7,
        *["add_index"] * 9,
        *["add_table"] * 10,
        "remove_index",
    ]
    tables = set(inspect(engine).get_table_names())
    assert not {"tenant_settings", "api_keys", "ticket_vectors"} & tables


def test_new_database_is_created_at_head_with_the_counter(new_engine):
    _, engine = new_engine()
    init_schema(engine)
    assert migrations.state(engine) == SchemaState(HEAD, True)
    assert differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(counters.c.value)).scalars().all() == [0]


def test_init_schema_at_head_is_one_read_and_no_ddl(new_engine):
    _, engine = new_engine()
    init_schema(engine)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        init_schema(engine)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) <= 4, statements  # has alembic_version? its row; the counter
    assert not [s for s in statements if s.split()[0].upper() in ("CREATE", "ALTER", "DROP")]


# --- an older schema with data in it ------------------------------------------------


def says(minute: float, body: str):
    return msg(AuthorRole.CUSTOMER, minute, body=body)


def helpdesk_tickets():
    """Hand-built tickets with everything 0001 stores: messages, attributes, tags,
    customers with a sign-up date, reopens, CSAT."""
    S = TicketStatus.SOLVED
    made = []
    for i in range(24):
        day = (i % 6) * 24 * 60
        made.append(
            ticket(
                f"T-{i:03d}",
                day + i,
                says(day + i, f"order {i} never arrived, courier lost the parcel"),
                agent(day + i + 30),
                says(day + i + 45, "still waiting for the replacement"),
                status=S if i % 3 else TicketStatus.OPEN,
                solved=None if i % 3 == 0 else day + i + 90,
                first_solved=None if i % 3 == 0 else day + i + 60,
                reopens=1 if i % 5 == 0 and i % 3 else 0,
                tenant_id=TENANT,
                channel=("email", "chat", "phone")[i % 3],
                csat=(i % 5) + 1 if i % 3 else None,
                customer_id=f"c{i % 7}",
                customer_since=T0 - timedelta(days=3 + 40 * (i % 7)),
                subject=f"Parcel {i} missing",
                attributes={"carrier": ("SF", "YTO")[i % 2], "region": "east"},
                tags=["shipping", f"batch-{i % 4}"],
            )
        )
    for i in range(12):
        day = (i % 6) * 24 * 60
        made.append(
            ticket(
                f"L-{i:03d}",
                day + 200 + i,
                says(day + 200 + i, f"cannot log in, password reset mail {i} missing"),
                agent(day + 230 + i),
                status=S,
                solved=day + 260 + i,
                tenant_id=TENANT,
                channel="email",
                csat=4,
                customer_id=f"c{i % 7}",
                customer_since=T0 - timedelta(days=3 + 40 * (i % 7)),
                subject="Login loop",
                attributes={"carrier": "none"},
            )
        )
    return made


def copy_rows(source: Engine, target: Engine) -> None:
    """Insert every row of the 0001 tables, as reflected from the 0001 database."""
    at_0001 = MetaData()
    with target.connect() as conn:
        at_0001.reflect(conn)
    assert set(at_0001.tables) == migrations.BASELINE_TABLES | {"alembic_version"}
    with source.connect() as src, target.begin() as dst:
        for name in BASELINE_ORDER:
            table = at_0001.tables[name]
            data = [dict(r._mapping) for r in src.execute(select(table))]
            if data:
                dst.execute(table.insert(), data)
        if dst.dialect.name == "postgresql":  # as the old program's inserts left them
            for name, column in SERIAL_KEYS.items():
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                        f"coalesce(max({column}), 1), max({column}) IS NOT NULL) FROM {name}"
                    )
                )


def reports(app: App) -> list[str]:
    """GetMetrics overall and by channel, issue and tenure; ListIssues; a ticket page."""
    out = [
        repr(app.metrics.get_metrics(MetricsQuery(tenant_id=TENANT, group_by=GroupBy(kind))))
        for kind in ("none", "channel", "issue", "tenure")
    ]
    out.append(repr(app.issues.list_issues(TENANT, None, None, include_inactive=True)))
    return out


def test_app_open_upgrades_a_0001_database_with_data(new_engine, tmp_path):
    # The data, as the service writes it: tickets, attributes, tokens, issues and
    # their model and lineage, sentiment, anomalies and scans, the change counter.
    source_url, source = new_engine("source")
    old = App.open(Settings(db_url=source_url))
    try:
        assert old.tickets.ingest_bulk(iter(helpdesk_tickets())).rejected == 0
        old.issues.recluster(TENANT, n_issues=2)
        old.anomalies.scan(TENANT)
        expected_reports = reports(old)
    finally:
        old.close()
    before = {name: rows(source, name) for name in BASELINE_ORDER}
    assert all(before[name] for name in ("tickets", "ticket_issues", "issue_models", "issues"))

    # A database at 0001 holding those rows: what a release of that time left behind.
    url, engine = new_engine("old")
    migrations.upgrade(engine, "0001")
    copy_rows(source, engine)
    forget_versions(engine)  # it predates migrations, too
    assert migrations.state(engine) == SchemaState("0001", False)

    app = App.open(Settings(db_url=url))
    try:
        assert migrations.state(engine) == SchemaState(HEAD, True)
        assert differences(engine) == []
        assert facts_index(engine) == migrations.FACTS_INDEX_0002
        for name in BASELINE_ORDER:
            now, was = rows(engine, name), before[name]
            if name == "ticket_sentiment":  # anger (0006) is NULL until the next scan
                assert all(r[3] is None for r in now)
                now, was = [r[:3] for r in now], [r[:3] for r in was]
            assert now == was, name
        # The new tables start empty and mean "defaults" / "no keys".
        assert rows(engine, "tenant_settings") == rows(engine, "api_keys") == []
        assert app.tenants.get(TENANT).updated_at is None
        assert app.api_keys.list() == []
        # Every read answers as it did on the old database.
        assert reports(app) == expected_reports
        stored = app.tickets.get(TENANT, "T-001")
        assert stored.ticket.customer_since == T0 - timedelta(days=43)
        assert stored.ticket.tags == ["shipping", "batch-1"]
        assert stored.issue is not None

        # And it works on: ingest takes the next change number, metrics see it, a
        # re-cluster fits model 2, settings and keys go to the new tables.
        version = dict(rows(engine, "counters"))[TICKET_VERSION]
        result = app.tickets.ingest(
            ticket("NEW-1", 30, says(30, "parcel lost by the courier again"),
                   tenant_id=TENANT, channel="chat", customer_since=T0)
        )  # fmt: skip
        assert result.outcome == IngestOutcome.CREATED
        with engine.connect() as conn:
            new_version = conn.execute(
                text("SELECT version FROM tickets WHERE external_id = 'NEW-1'")
            ).scalar_one()
        assert version < new_version <= dict(rows(engine, "counters"))[TICKET_VERSION]
        overall = app.metrics.get_metrics(MetricsQuery(tenant_id=TENANT)).overall
        assert overall.volume == len(before["tickets"]) + 1
        assert app.issues.recluster(TENANT, n_issues=2).model_version == 2
        settings = app.tenants.get(TENANT)
        app.tenants.update(replace(settings, tenure_edges_days=(7, 60)), ("tenure_edges_days",))
        assert app.tenants.get(TENANT).tenure_edges_days == (7, 60)
        key, _token = app.api_keys.create([TENANT], Scope.READ, "after the upgrade")
        assert [k.key_id for k in app.api_keys.list()] == [key.key_id]
    finally:
        app.close()


# --- databases made before migrations -----------------------------------------------


# Releases before migrations existed; every database made since carries alembic_version.
LEGACY_REVISIONS = REVISIONS[: REVISIONS.index("0004") + 1]


@pytest.mark.parametrize("revision", LEGACY_REVISIONS)
def test_unversioned_database_is_recognised_at_each_release(new_engine, revision):
    """create_all of each release's schema.py equals that revision (checked against
    git history when the revisions were written); made so, minus alembic_version."""
    _, engine = new_engine()
    migrations.upgrade(engine, revision)
    forget_versions(engine)
    assert migrations.state(engine) == SchemaState(revision, False)
    init_schema(engine)
    assert migrations.state(engine) == SchemaState(HEAD, True)
    assert differences(engine) == []


def test_legacy_create_all_database_is_stamped_at_head_without_changes(new_engine):
    _, engine = new_engine()
    metadata.create_all(engine)  # what init_schema did before migrations
    with engine.begin() as conn:
        conn.execute(counters.insert().values(name=TICKET_VERSION, value=41))
    assert migrations.state(engine) == SchemaState(HEAD, False)
    before = layout(engine)
    ddl: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.split()[0].upper() in ("CREATE", "ALTER", "DROP"):
            ddl.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        init_schema(engine)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [s for s in ddl if "alembic_version" not in s] == []
    assert migrations.state(engine) == SchemaState(HEAD, True)
    after = layout(engine)
    assert after.pop("alembic_version")
    assert after == before
    assert dict(rows(engine, "counters")) == {TICKET_VERSION: 41}


def test_old_database_that_newer_releases_opened_is_upgraded(new_engine):
    """Made before 0002, then run by the releases that added tenant_settings and
    api_keys: create_all added those tables but kept the old facts index. Detected as
    0001; the index is rebuilt and the existing tables (and rows) are kept."""
    _, engine = new_engine()
    migrations.upgrade(engine, "0001")
    forget_versions(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenant_settings VALUES ('shop', '{\"tenure_edges_days\": [7]}', 1)")
        )
    assert facts_index(engine) == migrations.FACTS_INDEX_0001
    assert migrations.state(engine) == SchemaState("0001", False)
    init_schema(engine)
    assert migrations.state(engine) == SchemaState(HEAD, True)
    assert facts_index(engine) == migrations.FACTS_INDEX_0002
    assert differences(engine) == []
    assert rows(engine, "tenant_settings") == [("shop", '{"tenure_edges_days": [7]}', 1)]


def test_unrecognised_databases_are_refused_with_a_reason(new_engine):
    _, partial = new_engine("partial")
    metadata.tables["counters"].create(partial)
    with pytest.raises(SchemaError, match="without the tables"):
        init_schema(partial)

    _, newer = new_engine("newer")
    init_schema(newer)
    with newer.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match=r"9999.*newer ticketminer"):
        init_schema(newer)


# --- downgrades ---------------------------------------------------------------------


def test_downgrade_of_the_latest_revision_and_back(new_engine):
    url, engine = new_engine()
    app = App.open(Settings(db_url=url))
    try:
        app.tickets.ingest(ticket("a", 0, customer(0), tenant_id=TENANT, customer_since=T0))
        app.api_keys.create([TENANT], Scope.WRITE)
    finally:
        app.close()
    # 0008 added the last four ticket columns (reported facts and their sources).
    tickets_before = [r[:-4] for r in rows(engine, "tickets")]

    done = migrations.downgrade(engine, "-1")
    assert (done.before, done.after) == (SchemaState(HEAD, True), REVISIONS[-2])
    assert not {"audit_log", "ticket_deletions"} & set(inspect(engine).get_table_names())
    migrations.downgrade(engine, "0007")
    assert "digest_deliveries" not in inspect(engine).get_table_names()
    assert "reported_replies" not in {c["name"] for c in inspect(engine).get_columns("tickets")}
    assert rows(engine, "tickets") == tickets_before
    migrations.downgrade(engine, "0006")
    assert "anomaly_issues" not in inspect(engine).get_table_names()
    migrations.downgrade(engine, "0005")
    assert "anger" not in {c["name"] for c in inspect(engine).get_columns("ticket_sentiment")}
    migrations.downgrade(engine, "0004")
    assert "ticket_vectors" not in inspect(engine).get_table_names()
    columns = {c["name"] for c in inspect(engine).get_columns("issues")}
    assert "parent_id" not in columns
    assert rows(engine, "tickets") == tickets_before

    migrations.downgrade(engine, "0001")
    assert facts_index(engine) == migrations.FACTS_INDEX_0001
    assert rows(engine, "tickets") == tickets_before

    init_schema(engine)
    assert migrations.state(engine) == SchemaState(HEAD, True)
    assert differences(engine) == []
    assert [r[:-4] for r in rows(engine, "tickets")] == tickets_before

    migrations.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    init_schema(engine)  # an emptied database is made anew
    assert migrations.state(engine) == SchemaState(HEAD, True)


# --- concurrent starts --------------------------------------------------------------


def wal_file(url: str) -> None:
    """On SQLite, make the (still empty) file and put it in WAL mode first. Not the
    migration lock under test: make_engine's connect hook sets journal_mode=WAL,
    which on a brand-new file can fail at once with "database is locked" when
    another process's first connection is doing the same (SQLite does not wait on
    its busy timeout there)."""
    if "://" not in url:
        with contextlib.closing(sqlite3.connect(url)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


def init_together(urls: list[str]) -> list[BaseException]:
    """init_schema on each URL, each in a thread with its own engine, all at once."""
    barrier = threading.Barrier(len(urls))
    errors: list[BaseException] = []

    def start(url: str) -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            init_schema(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def assert_one_head_and_one_counter(engine: Engine) -> None:
    assert migrations.state(engine) == SchemaState(HEAD, True)
    assert rows(engine, "alembic_version") == [(HEAD,)]
    assert [r[0] for r in rows(engine, "counters")] == [TICKET_VERSION]
    assert differences(engine) == []


def test_threads_starting_together_on_a_new_database(new_engine):
    url, engine = new_engine()
    wal_file(url)
    assert init_together([url] * 6) == []
    assert_one_head_and_one_counter(engine)


def test_threads_starting_together_on_an_old_database(new_engine):
    url, engine = new_engine()
    migrations.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(counters.insert().values(name=TICKET_VERSION, value=7))
    forget_versions(engine)
    assert init_together([url] * 6) == []
    assert_one_head_and_one_counter(engine)
    assert dict(rows(engine, "counters")) == {TICKET_VERSION: 7}


def test_processes_starting_together_on_a_new_database(new_engine):
    url, engine = new_engine()
    wal_file(url)
    # Each says when its imports are done and waits for the word to run init_schema.
    code = (
        "import sys\n"
        "from ticketminer.store.engine import init_schema, make_engine\n"
        "engine = make_engine(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "init_schema(engine)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    assert [p.stdout.readline() for p in procs] == ["ready\n"] * 3
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _out, err in results]
    assert_one_head_and_one_counter(engine)


# --- ticketminer migrate ------------------------------------------------------------


def test_migrate_command_upgrades_and_reports(new_engine, capsys):
    url, engine = new_engine()
    migrations.upgrade(engine, "0001")
    forget_versions(engine)
    assert main(["migrate", "--db", url, "--check"]) == 1
    assert "revision: 0001 (unversioned, detected); head: " + HEAD in capsys.readouterr().out

    assert main(["migrate", "--db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["before: 0001 (unversioned, detected)", f"after:  {HEAD} (head)"]
    assert differences(engine) == []

    assert main(["migrate", "--db", url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"before: {HEAD} (head)",
        f"after:  {HEAD} (head)",
    ]
    assert main(["migrate", "--db", url, "--check"]) == 0


def test_migrate_command_on_a_new_database(new_engine, capsys):
    url, engine = new_engine()
    assert main(["migrate", "--db", url]) == 0
    assert capsys.readouterr().out.splitlines() == ["before: empty", f"after:  {HEAD} (head)"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert main(["migrate", "--db", url]) == 2
    assert "9999" in capsys.readouterr().err


@pytest.mark.skipif(on_postgres(), reason="one file-based check is enough")
def test_migrations_module_needs_no_alembic_at_head(tmp_path):
    """Startup at head never imports Alembic (about 0.1 s of mako and pygments)."""
    db = tmp_path / "t.db"
    init_schema(make_engine(str(db)))
    code = (
        "import sys\n"
        "from ticketminer.store.engine import init_schema, make_engine\n"
        "init_schema(make_engine(sys.argv[1]))\n"
        "assert 'alembic' not in sys.modules, 'alembic imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
