"""executemany straight through the DB-API driver.

SQLAlchemy's per-row parameter processing costs more than SQLite's own insert work
at bulk-ingest rates; compiling the statement once for the connection's dialect and
handing the driver plain tuples or dicts keeps the SQL portable and the cost low.
Only use it for values the driver takes as they are (str, int, float, bool, None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql import Executable

RowParams = Callable[[dict[str, Any]], Any]


@lru_cache(maxsize=64)
def _compiled(
    statement: Executable, dialect: Dialect, keys: tuple[str, ...]
) -> tuple[str, RowParams | None]:
    """SQL text and a row -> parameters function. Cached, because compiling costs
    more than writing a small group-commit batch; `statement` must be built once."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    if not compiled.positional:
        return str(compiled), None
    names = list(compiled.positiontup or [])
    pick = itemgetter(*names)
    if len(names) == 1:
        return str(compiled), lambda row: (pick(row),)
    return str(compiled), pick


def execute_many(conn: Connection, statement: Executable, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    sql, pick = _compiled(statement, conn.dialect, tuple(rows[0]))
    params: list[Any] = list(rows) if pick is None else [pick(row) for row in rows]
    conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]
