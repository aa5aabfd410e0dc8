"""Alembic environment: online only, on the connection the caller hands over in
`config.attributes["connection"]` (see ticketminer.store.migrations), inside the
caller's transaction, which also holds the migration lock. SQLite gets batch mode
(ALTERs it lacks become copy-and-move of the table)."""

from __future__ import annotations

from alembic import context

from ticketminer.store.schema import metadata

config = context.config
if context.is_offline_mode():
    raise SystemExit("ticketminer migrations run online only (no --sql)")

connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit(
        "run migrations through ticketminer (`ticketminer migrate` or init_schema), "
        "which passes the connection and holds the migration lock"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    # The caller's transaction: on SQLite too, DDL commits or rolls back with it.
    transactional_ddl=True,
    compare_type=True,
    compare_server_default=True,
)
with context.begin_transaction():
    context.run_migrations()
