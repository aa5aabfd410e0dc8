"""executemany straight through the DB-API driver.

SQLAlchemy's per-row parameter processing costs more than SQLite's own insert work
at bulk-ingest rates; compiling the statement once for the connection's dialect and
handing the driver plain tuples or dicts keeps the SQL portable and the cost low.
Only use it for values the driver takes as they are (str, int, float, bool, None).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import Executable


def execute_many(conn: Connection, statement: Executable, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        pick = itemgetter(*(compiled.positiontup or []))
        params: list[Any] = [pick(row) for row in rows]
        if len(compiled.positiontup or []) == 1:
            params = [(value,) for value in params]
    else:
        params = list(rows)
    conn.exec_driver_sql(str(compiled), params)  # type: ignore[arg-type]
