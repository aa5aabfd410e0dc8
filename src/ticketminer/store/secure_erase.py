"""Making deleted rows unrecoverable from the database's files, after the deleting
transaction committed.

- SQLite: every connection runs with `secure_delete=ON` (store.engine), so deleted
  cells and freed pages are overwritten with zeros in the database file. The WAL
  still holds the frames that once wrote the text; a TRUNCATE checkpoint copies the
  WAL into the file and empties it. It cannot finish while a reader holds an older
  snapshot, so it is retried a few times and the outcome reported.
- PostgreSQL: a deleted row stays in its page until VACUUM removes it; VACUUM (not
  FULL, which would lock the tables) runs outside a transaction on the tables a
  deletion touches, after which no query, index scan or page read of a live tuple
  finds the row. VACUUM does not zero the freed bytes of a page nor the WAL segments
  written before; those go as pages are reused and segments recycled (README).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine

from ticketminer.store.engine import BUSY_TIMEOUT_MS
from ticketminer.store.erasure_repo import SCRUBBED_TABLES

log = logging.getLogger(__name__)

CHECKPOINT_ATTEMPTS = 5
CHECKPOINT_PAUSE_SECONDS = 0.2
CHECKPOINT_WAIT_MS = 1000


def scrub(engine: Engine) -> bool:
    """Flush deleted rows out of the files; True when nothing was left behind."""
    if engine.dialect.name == "sqlite":
        return _checkpoint(engine)
    if engine.dialect.name == "postgresql":
        _vacuum(engine)
        return True
    return False


def _checkpoint(engine: Engine) -> bool:
    if engine.url.database in (None, "", ":memory:"):
        return True
    for attempt in range(CHECKPOINT_ATTEMPTS):
        with engine.connect() as conn:
            # The checkpoint waits for writers and blocks new ones: briefly, not the
            # pool's 30 s, so a deletion under heavy ingest answers in seconds.
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not busy:
            return True
        time.sleep(CHECKPOINT_PAUSE_SECONDS * (attempt + 1))
    log.warning("WAL checkpoint after a deletion is still busy: readers hold old snapshots")
    return False


def _vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM {', '.join(SCRUBBED_TABLES)}")
