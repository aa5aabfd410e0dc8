"""Vendor CSV import speed: `ticketminer import` on a Zendesk CSV export against the
wire-shape CSV of the same tickets, in one run, each into a fresh SQLite database.

Both files are generated here from one seeded list of tickets: the Zendesk file has
the export's full documented header (42 columns, two custom fields) and local times
read with --tz; the wire file has the Ticket columns. The rate is the CLI's own
summary (reading, mapping, validating and storing), plus the process wall clock.

    python -m bench.import_vendor_csv [--count 20000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.bulk_ingest import SUMMARY
from bench.common import PYTHON, ROOT, clean_env, log, temp_dir, write_result

NAME = "import_vendor_csv"
ZONE = "Europe/Berlin"
# The export's documented header, as in the test fixture.
FIXTURE = ROOT / "tests" / "data" / "exports" / "zendesk_tickets.csv"
with FIXTURE.open(newline="") as _f:
    ZENDESK_HEADER = next(csv.reader(_f))
WIRE_HEADER = [
    "external_id",
    "created_at",
    "updated_at",
    "channel",
    "subject",
    "status",
    "solved_at",
    "reopen_count",
    "customer_id",
    "csat",
    "tags",
    "attributes.priority",
    "attributes.group",
    "attributes.type",
    "attributes.product",
]


def write_files(count: int, folder: Path) -> tuple[Path, Path]:
    rng = random.Random(7)
    zone = ZoneInfo(ZONE)
    start = datetime(2026, 1, 5, 8, 0)
    zendesk, wire = folder / "zendesk.csv", folder / "wire.csv"
    with zendesk.open("w", newline="") as zf, wire.open("w", newline="") as wf:
        zw, ww = csv.writer(zf), csv.writer(wf)
        zw.writerow(ZENDESK_HEADER)
        ww.writerow(WIRE_HEADER)
        for i in range(count):
            created = start + timedelta(minutes=rng.randrange(60 * 24 * 60))
            solved = rng.random() < 0.7
            resolve_min = rng.randrange(10, 3000)
            solved_at = created + timedelta(minutes=resolve_min) if solved else None
            updated = solved_at or created + timedelta(minutes=5)
            status = "Solved" if solved else rng.choice(("Open", "Pending", "New"))
            replies = rng.randrange(0, 4)
            reopens = int(rng.random() < 0.1)
            score = rng.choice(("Good", "Bad", "Offered", "Unoffered", ""))
            tags = " ".join(rng.sample(("billing", "refund", "late", "vip", "login"), 2))
            priority = rng.choice(("Low", "Normal", "High", "Urgent"))
            group = rng.choice(("Support", "Billing"))
            product = rng.choice(("Parcel", "Billing", "App"))
            subject = f"Ticket {i} about {product.lower()}"
            local = created.strftime("%Y-%m-%d %H:%M")
            solved_local = solved_at.strftime("%Y-%m-%d %H:%M") if solved_at else ""
            first_reply = str(rng.randrange(1, 600)) if replies else ""
            zw.writerow(
                [
                    i,
                    "Ann Example",
                    9000 + i % 500,
                    "",
                    f"user{i % 500}@example.com",
                    "example.com",
                    "Ann Example",
                    "Bo Agent",
                    group,
                    subject,
                    tags,
                    status,
                    priority,
                    "Mail",
                    "Question",
                    local,
                    updated.strftime("%Y-%m-%d %H:%M"),
                    local,
                    "",
                    "",
                    local,
                    solved_local,
                    "",
                    score,
                    1,
                    1,
                    reopens,
                    replies,
                    first_reply,
                    first_reply,
                    resolve_min if solved else "",
                    resolve_min if solved else "",
                    resolve_min if solved else "",
                    resolve_min if solved else "",
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    product,
                    f"A-{i}",
                ]
            )
            csat = {"Good": "5", "Bad": "1"}.get(score, "")
            utc = created.replace(tzinfo=zone).astimezone(UTC)
            solved_utc = solved_at.replace(tzinfo=zone).astimezone(UTC) if solved_at else None
            ww.writerow(
                [
                    i,
                    utc.isoformat(),
                    updated.replace(tzinfo=zone).astimezone(UTC).isoformat(),
                    "mail",
                    subject,
                    status.lower(),
                    solved_utc.isoformat() if solved_utc else "",
                    reopens,
                    9000 + i % 500,
                    csat,
                    tags.replace(" ", "|"),
                    priority,
                    group,
                    "Question",
                    product,
                ]
            )
    return zendesk, wire


def run(path: Path, fmt: str, folder: Path, *extra: str) -> dict[str, Any]:
    db = folder / f"{fmt}.db"
    argv = [PYTHON, "-m", "ticketminer.cli", "import", str(path), "--format", fmt]
    argv += ["--db", str(db), "--no-progress", *extra]
    env = clean_env(
        {"PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    )
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, env=env, check=False)
    wall = time.perf_counter() - started
    match = SUMMARY.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(
            f"{fmt} import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    tickets, seconds = int(match.group(1)), float(match.group(2))
    return {
        "format": fmt,
        "tickets": tickets,
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "cli_seconds": seconds,
        "tickets_per_s": round(tickets / seconds),
        "process_wall_seconds": round(wall, 2),
        "summary": done.stdout.strip().splitlines()[-1],
    }


def parse_only(wire: Path, zendesk: Path) -> dict[str, int]:
    """Tickets/s of the readers alone, in this process: the mapping cost without storage."""
    from ticketminer.importers.ticket_files import read_ticket_file
    from ticketminer.importers.zendesk_csv import read_zendesk_csv

    out = {}
    for name, read in (
        ("csv", lambda: read_ticket_file(wire, "csv")),
        ("zendesk-csv", lambda: read_zendesk_csv(zendesk, ZoneInfo(ZONE))),
    ):
        started = time.perf_counter()
        n = sum(1 for _ in read())
        out[name] = round(n / (time.perf_counter() - started))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    started = time.perf_counter()
    with temp_dir(NAME) as folder:
        zendesk, wire = write_files(args.count, folder)
        log(f"wrote {args.count} tickets as {zendesk.name} and {wire.name}")
        results = [
            run(wire, "csv", folder),
            run(zendesk, "zendesk-csv", folder, "--tz", ZONE),
        ]
        parse = parse_only(wire, zendesk)
    for result in results:
        log(f"{result['format']}: {result['tickets_per_s']:,} tickets/s ({result['summary']})")
    ratio = results[1]["tickets_per_s"] / results[0]["tickets_per_s"]
    log(f"zendesk-csv / wire csv: {ratio:.2f}")
    log(f"reader only (no storage), tickets/s: {parse}")
    data = {"results": results, "zendesk_vs_wire": round(ratio, 2), "reader_only_per_s": parse}
    write_result(NAME, data, started)


if __name__ == "__main__":
    main()
