"""`ticketminer embed`, the backfill of semantic vectors, run as the real CLI in a
subprocess: every stored ticket gets one vector and a second run embeds nothing; a
backfill killed with SIGKILL after its first batches resumes where its last commit left
it, losing no ticket and embedding none twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from builders import ticket
from databases import fresh_db
from sqlalchemy import func, select

from ticketminer.app import App
from ticketminer.cli import main
from ticketminer.config import Settings
from ticketminer.store.engine import make_engine
from ticketminer.store.schema import ticket_vectors, tickets
from ticketminer.store.vectors_repo import count_vectors

MODEL = "use-multilingual-v3"  # the default embedder's
CLI = [sys.executable, "-m", "ticketminer.cli", "embed"]


def _history(db: str, count: int) -> None:
    """`count` tickets ingested with the embedder off, so none has a vector yet."""
    app = App.open(Settings(db_url=db, embedder="off"))
    try:
        items = (
            ticket(
                f"E-{i}",
                i,
                subject=f"order {i} arrived damaged",
                description=f"the parcel of order {i} was crushed in transit; replacement {i * 7}?",
            )
            for i in range(count)
        )
        assert app.tickets.ingest_bulk(items).created == count
    finally:
        app.close()


def _vectors(db: str) -> int:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return count_vectors(conn, MODEL)
    finally:
        engine.dispose()


def _coverage(db: str) -> tuple[int, int, int, int]:
    """(tickets, vectors, tickets with a vector, tickets with none) of MODEL."""
    engine = make_engine(db)
    mine = (ticket_vectors.c.ticket_pk == tickets.c.pk) & (ticket_vectors.c.model == MODEL)
    try:
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(tickets)).scalar_one()
            rows, covered = conn.execute(
                select(func.count(), func.count(ticket_vectors.c.ticket_pk.distinct())).where(
                    ticket_vectors.c.model == MODEL
                )
            ).one()
            lacking = conn.execute(
                select(func.count())
                .select_from(tickets.outerjoin(ticket_vectors, mine))
                .where(ticket_vectors.c.ticket_pk.is_(None))
            ).scalar_one()
    finally:
        engine.dispose()
    return total, rows, covered, lacking


def _embed(db: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--db", db, *flags], capture_output=True, text=True, timeout=120, check=False
    )


def test_embed_backfills_every_ticket_once_and_a_second_run_embeds_nothing(tmp_path) -> None:
    db = fresh_db(tmp_path, "t")
    _history(db, 300)
    assert _vectors(db) == 0

    first = _embed(db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        f"embedded 300 tickets (model {MODEL}); 300 tickets have vectors"
    )
    assert "300/300" in first.stderr  # the bar knew the total up front
    assert _coverage(db) == (300, 300, 300, 0)

    again = _embed(db)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"embedded 0 tickets (model {MODEL}); 300 tickets have vectors"
    assert _coverage(db) == (300, 300, 300, 0)


def test_embed_once_embeds_one_batch(tmp_path) -> None:
    db = fresh_db(tmp_path, "t")
    _history(db, 300)
    once = _embed(db, "--once", "--no-progress")
    assert once.returncode == 0, once.stderr
    assert once.stdout.startswith("embedded 128 tickets")  # services.embedding_queue.BATCH
    assert _vectors(db) == 128


def test_embed_killed_mid_backfill_resumes_without_loss_or_duplicates(tmp_path) -> None:
    db = fresh_db(tmp_path, "t")
    total = 3000
    _history(db, total)
    log = tmp_path / "first.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*CLI, "--db", db], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        committed = 0
        while not committed and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            committed = _vectors(db)
        assert proc.poll() is None, f"finished before it was killed: {log.read_text()}"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed_at = _vectors(db)
    assert 0 < committed <= killed_at < total  # stopped part way, after batches committed

    rest = _embed(db, "--no-progress")
    assert rest.returncode == 0, rest.stderr
    covered = int(rest.stdout.split()[1])  # "embedded N tickets ..."
    assert 0 < covered <= total - killed_at  # resumed at the committed mark, not from 0
    assert rest.stdout.strip().endswith(f"; {total} tickets have vectors")
    assert _coverage(db) == (total, total, total, 0)  # none lost, none twice


def test_embed_refuses_when_the_embedder_is_off_or_unavailable(tmp_path, capsys) -> None:
    db = fresh_db(tmp_path, "t")
    _history(db, 3)
    assert main(["embed", "--db", db, "--embedder", "off"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ticketminer embed: the embedder is off") and err.count("\n") == 1

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: connections there are refused
    url = f"http://127.0.0.1:{port}/v1"
    flags = ["--embedder", url, "--embedder-model", "m", "--embedder-timeout-seconds", "1"]
    assert main(["embed", "--db", db, "--no-progress", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ticketminer embed: the embedder is unavailable: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _vectors(db) == 0
