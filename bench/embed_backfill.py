"""Backfill of semantic vectors (`ticketminer embed`) end to end, projected to 1,000,000
tickets, and optionally measured over the 1M-ticket database of bench.recluster.

The database: `--tickets` realistic tickets from bench.ticket_gen (subject, description,
3-5 messages; ~10 % Chinese) loaded with `ticketminer import`, cached under
artifacts/bench/data/. Each run works on a fresh copy.

1. `ticketminer embed --no-progress --db COPY --embedder-threads N` in its own process,
   for N = 1 and 2 (interleaved, `--rounds` each): wall time from the command's start to
   its exit (loading the app and the model, reading rows, building the opening texts,
   embedding, writing vectors, committing the mark), its CPU and peak RSS. Tickets/s
   is tickets / wall; the time for 1M tickets is projected from that rate.
2. The same queue in this process (EmbeddingQueue.drain, threads 1) with the embedder
   timed, to split the time into embedding and everything else.
3. `--full-1m`: the real backfill of bench.recluster's 1M-ticket database (its vectors
   deleted first), `ticketminer embed` with a progress bar, the vector count sampled
   every 30 s; written to artifacts/bench/embed_backfill_1m.json, which later runs of
   this benchmark include as they find it.

    python -m bench.embed_backfill [--tickets 30000 --rounds 1]
    python -m bench.embed_backfill --full-1m [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import (
    ARTIFACTS,
    PYTHON,
    ROOT,
    cached_data,
    clean_env,
    command_line,
    log,
    median,
    temp_dir,
    write_result,
)
from bench.metrics_latency import schema_hash

NAME = "embed_backfill"
FULL_NAME = "embed_backfill_1m"
ONE_MILLION = 1_000_000
SUMMARY = re.compile(r"embedded (\d+) tickets")
SAMPLE_SECONDS = 30.0
FULL_TIMEOUT = 3 * 3600


def _cli() -> list[str]:
    script = Path(PYTHON).parent / "ticketminer"
    return [str(script)] if script.exists() else [PYTHON, "-m", "ticketminer.cli"]


def build_db(path: Path, tickets: int) -> dict[str, Any]:
    from bench.ticket_gen import cached_file

    source = cached_file("jsonl", tickets, ARTIFACTS / "data")
    tmp = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    argv = [*_cli(), "import", str(source), "--format", "jsonl", "--db", str(tmp)]
    started = time.perf_counter()
    done = subprocess.run(
        [*argv, "--no-progress"], capture_output=True, text=True, cwd=ROOT, env=clean_env(),
        timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"import failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    with contextlib.closing(sqlite3.connect(tmp)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tmp.replace(path)
    return {"tickets": tickets, "source": source.name, "seconds": time.perf_counter() - started}


def cached_db(tickets: int) -> tuple[Path, dict[str, Any] | None]:
    from bench.ticket_gen import GEN_VERSION

    name = f"backfill-g{GEN_VERSION}-{tickets}-{schema_hash()}.db"
    return cached_data(name, lambda path: build_db(path, tickets))


def _copy(db: Path, to: Path) -> Path:
    shutil.copy(db, to)
    return to


def _counts(db: Path) -> tuple[int, int]:
    """(tickets, vectors), read while the backfill writes (WAL)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as c:
        tickets = c.execute("SELECT count(*) FROM tickets").fetchone()[0]
        vectors = c.execute("SELECT count(*) FROM ticket_vectors").fetchone()[0]
    return int(tickets), int(vectors)


def run_cli(
    db: Path, threads: int, log_path: Path, progress: bool = False, sample: bool = False
) -> dict[str, Any]:
    """`ticketminer embed` over `db` in its own process; wall, CPU, peak RSS."""
    argv = [*_cli(), "embed", "--db", str(db), "--embedder-threads", str(threads)]
    if not progress:
        argv.append("--no-progress")
    samples: list[tuple[float, int]] = []
    started = time.perf_counter()
    with log_path.open("w") as err, (log_path.with_suffix(".out")).open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT, env=clean_env())
        next_sample = started + SAMPLE_SECONDS
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # its own CPU and RSS
            if pid == proc.pid:
                break
            now = time.perf_counter()
            if now - started > FULL_TIMEOUT:
                proc.kill()
                raise RuntimeError("embed did not finish in time")
            if sample and now >= next_sample:
                samples.append((round(now - started, 1), _counts(db)[1]))
                log(f"{samples[-1][1]:,} vectors after {samples[-1][0]:.0f} s")
                next_sample += SAMPLE_SECONDS
            time.sleep(0.05)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = log_path.with_suffix(".out").read_text()
    match = SUMMARY.search(stdout)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"embed failed ({proc.returncode}):\n{stdout}\n{log_path.read_text()}")
    tickets, vectors = _counts(db)
    embedded = int(match.group(1))
    return {
        "threads": threads,
        "tickets": tickets,
        "embedded": embedded,
        "vectors": vectors,
        "wall_seconds": round(wall, 2),
        "tickets_per_s": round(embedded / wall, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "cpu_cores_used": round((usage.ru_utime + usage.ru_stime) / wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "projected_1m_hours": round(ONE_MILLION / (embedded / wall) / 3600, 2),
        "summary": stdout.strip().splitlines()[-1],
        **({"samples": samples} if sample else {}),
    }


class _TimedEmbedder:
    """The default embedder, timing its calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.cpu = 0.0
        self.texts = 0

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: Any) -> Any:
        cpu = time.thread_time()
        started = time.perf_counter()
        out = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.cpu += time.thread_time() - cpu
        self.texts += len(texts)
        return out


def breakdown(db: Path) -> dict[str, Any]:
    """EmbeddingQueue.drain in this process, with the embedder and the opening texts
    timed separately."""
    from ticketminer.issues.embedders import make_embedder
    from ticketminer.services.embedding_queue import EmbeddingQueue, opening_text
    from ticketminer.store.engine import make_engine
    from ticketminer.store.vectors_repo import pending

    engine = make_engine(str(db))
    with engine.connect() as conn:
        rows = pending(conn, 0, 10**9)
    started = time.perf_counter()
    openings = [opening_text(t) for t in rows]
    opening_seconds = time.perf_counter() - started
    opening_chars = sum(map(len, openings)) / max(len(openings), 1)
    del rows, openings
    timed = _TimedEmbedder(make_embedder("use", threads=1))
    timed.inner.embed(["warm up"])  # load the model untimed
    queue = EmbeddingQueue(engine, timed)
    started = time.perf_counter()
    covered = queue.drain()
    seconds = time.perf_counter() - started
    engine.dispose()
    rest = seconds - timed.seconds - opening_seconds
    return {
        "tickets": covered,
        "seconds": round(seconds, 2),
        "tickets_per_s": round(covered / seconds, 1),
        "embed_seconds": round(timed.seconds, 2),
        "embed_cpu_seconds": round(timed.cpu, 2),
        "embed_share": round(timed.seconds / seconds, 3),
        "opening_text_seconds": round(opening_seconds, 2),
        "opening_text_share": round(opening_seconds / seconds, 3),
        "read_write_commit_seconds": round(rest, 2),
        "read_write_commit_share": round(rest / seconds, 3),
        "embedded_texts": timed.texts,
        "mean_embedding_text_chars": round(opening_chars, 1),
        "embed_texts_per_s": round(timed.texts / timed.seconds, 1),
    }


def full_1m(threads: int) -> None:
    """The real backfill of bench.recluster's 1M-ticket database."""
    from bench import recluster

    started = time.perf_counter()
    source, _ = recluster.cached_db(ONE_MILLION)
    with temp_dir(FULL_NAME) as tmp:
        db = _copy(source, tmp / "db.sqlite")
        with contextlib.closing(sqlite3.connect(db)) as conn:  # back to "never embedded"
            conn.execute("DELETE FROM ticket_vectors")
            conn.execute("DELETE FROM counters WHERE name LIKE 'embedded:%'")
            conn.commit()
        log(f"backfilling {source.name} (vectors deleted), threads {threads}")
        result = run_cli(db, threads, tmp / "embed.log", progress=True, sample=True)
        tail = (tmp / "embed.log").read_text(errors="replace").replace("\r", "\n")
        result["progress_tail"] = [line for line in tail.splitlines() if line.strip()][-3:]
    out = {
        "benchmark": FULL_NAME,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": command_line(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "database": f"bench.recluster's {source.name}, vectors and the queue's mark deleted",
        **result,
    }
    path = ARTIFACTS / f"{FULL_NAME}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("--full-1m", action="store_true", help="the 1M backfill (about an hour)")
    parser.add_argument("--threads", type=int, default=1, help="with --full-1m")
    args = parser.parse_args()
    if args.full_1m:
        full_1m(args.threads)
        return
    started = time.perf_counter()
    db, build = cached_db(args.tickets)
    runs: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    with temp_dir(NAME) as tmp:
        for r in range(args.rounds):
            for threads in (1, 2) if r % 2 == 0 else (2, 1):
                copy = _copy(db, tmp / f"r{r}-t{threads}.db")
                res = run_cli(copy, threads, tmp / f"r{r}-t{threads}.log")
                log(
                    f"embed, threads {threads}: {res['embedded']:,} tickets in "
                    f"{res['wall_seconds']} s ({res['tickets_per_s']:,}/s), CPU "
                    f"{res['cpu_seconds']} s, peak RSS {res['peak_rss_mb']} MB"
                )
                runs.append({"round": r + 1, **res})
                copy.unlink()
        if not args.no_breakdown:
            extra["breakdown"] = breakdown(_copy(db, tmp / "breakdown.db"))
            log(f"breakdown: {extra['breakdown']}")
    per_threads = {
        str(t): {
            k: median([x[k] for x in runs if x["threads"] == t])
            for k in ("wall_seconds", "tickets_per_s", "cpu_seconds", "peak_rss_mb")
        }
        for t in (1, 2)
    }
    for v in per_threads.values():
        v["projected_1m_hours"] = round(ONE_MILLION / v["tickets_per_s"] / 3600, 2)
    full_path = ARTIFACTS / f"{FULL_NAME}.json"
    if full_path.exists():
        extra["full_1m"] = json.loads(full_path.read_text())
    write_result(
        NAME,
        {
            "config": {
                "tickets": args.tickets,
                "rounds": args.rounds,
                "database": f"{db.name}: bench.ticket_gen tickets via `ticketminer import`",
                "command": "ticketminer embed --no-progress --db COPY --embedder-threads N",
                "projection": "1,000,000 / measured tickets per second (not measured)",
            },
            "db_build": build,
            "runs": runs,
            "per_threads": per_threads,
            **extra,
        },
        started,
    )


if __name__ == "__main__":
    main()
