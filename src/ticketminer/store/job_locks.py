"""Cross-replica locks for batch jobs (re-clustering, anomaly scans), per tenant.

Two replicas re-clustering one tenant at once would race for the next model version
and do the work twice. The lock lives where the data does, and dies with its holder,
so a replica killed mid-job never leaves a tenant locked:

- PostgreSQL: a session-level advisory lock on a connection held for the job;
  the server drops it when that connection ends.
- SQLite (one machine): `flock` on a file beside the database; the kernel drops it
  when the holding process dies. Each holder opens its own file description, so two
  engines in one process exclude each other as two processes do.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from ticketminer.domain.cancellation import raise_if_cancelled, shielded

POLL_SECONDS = 0.2


def lock_key(job: str, tenant_id: str) -> int:
    """A stable signed 64-bit key (PostgreSQL's advisory lock space)."""
    digest = hashlib.blake2b(f"{job}\x00{tenant_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class JobLocks:
    """`hold(job, tenant)` is a context manager that yields whether this replica got
    the lock; with `wait`, it polls until it does."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._folder = Path(f"{database}.locks") if database and database != ":memory:" else None

    @contextlib.contextmanager
    def hold(
        self, job: str, tenant_id: str, *, wait: bool = True, timeout: float | None = None
    ) -> Iterator[bool]:
        hold = self._advisory if self._postgres else self._file
        deadline = None if timeout is None else time.monotonic() + timeout
        with hold(job, tenant_id) as attempt:
            got = attempt()
            while not got and wait and (deadline is None or time.monotonic() < deadline):
                raise_if_cancelled()  # a caller that gave up stops waiting
                time.sleep(POLL_SECONDS)
                got = attempt()
            yield got

    @contextlib.contextmanager
    def _advisory(self, job: str, tenant_id: str) -> Iterator:
        key = lock_key(job, tenant_id)
        held = False
        conn: Connection = self._engine.connect()

        def attempt() -> bool:
            nonlocal held
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()  # the lock is the session's; end the transaction that asked
            return held

        try:
            yield attempt
        finally:
            with shielded():  # the unlock runs even for a call that was given up
                try:
                    if held:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
                except Exception:
                    conn.invalidate()  # a broken session has lost the lock with it
                finally:
                    conn.close()

    @contextlib.contextmanager
    def _file(self, job: str, tenant_id: str) -> Iterator:
        if self._folder is None:  # in-memory: one engine, the in-process lock suffices
            yield lambda: True
            return
        self._folder.mkdir(exist_ok=True)
        path = self._folder / f"{job}-{lock_key(job, tenant_id) & 0xFFFFFFFFFFFFFFFF:016x}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        try:
            yield attempt
        finally:
            os.close(fd)  # releases the flock, if held
