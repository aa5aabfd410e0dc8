"""ListTenants' counts over 1,000,000 stored tickets: the grouped read of
ix_tickets_tenant_created, timed through the TenantDirectory service.

The database has the real schema but minimal rows (ids and created_us: the read
touches nothing else), spread evenly over --tenants tenants, so it fills in seconds.
Each page size lists every tenant, page by page, --rounds times; the first round
follows the fill and runs on a warm page cache. The unknown-tenant probe (one index
lookup per table) is timed too, as every read of an unseen tenant pays it.

    python -m bench.list_tenants [--tickets 1000000 --tenants 1000 --rounds 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import time

from bench.common import log, median, temp_dir, write_result
from ticketminer.services.tenant_directory import TenantDirectory
from ticketminer.store.engine import init_schema, make_engine

NAME = "list_tenants"
_BASE_US = 1_700_000_000_000_000
_INSERT = (
    "INSERT INTO tickets (tenant_id, external_id, version, ingested_us, content_hash,"
    " created_us, status, reopen_count, agent_replies, solved, ever_solved, reopened,"
    " channel, customer_id, language, subject, description, messages_json,"
    " attributes_json, tags_json)"
    " VALUES (?, ?, ?, 0, '', ?, 0, 0, 0, 0, 0, 0, '', '', '', '', '', '[]', '{}', '[]')"
)


def fill(path: str, tickets: int, tenants: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    init_schema(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    rows = (
        (f"t{i % tenants:06d}", f"X-{i}", i + 1, _BASE_US + i * 1_000_000) for i in range(tickets)
    )
    con.executemany(_INSERT, rows)
    con.commit()
    con.close()


def list_all(directory: TenantDirectory, page_size: int) -> tuple[int, int, float]:
    """(pages, tickets counted, seconds) to list every tenant."""
    started = time.perf_counter()
    token, pages, counted = "", 0, 0
    while True:
        page = directory.page(page_size, token)
        pages += 1
        counted += sum(s.ticket_count for s in page.tenants)
        token = page.next_page_token
        if not token:
            return pages, counted, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, object] = {"tickets": args.tickets, "tenants": args.tenants}
    with temp_dir(NAME) as folder:
        path = str(folder / "tenants.db")
        log(f"filling {args.tickets} tickets over {args.tenants} tenants")
        fill(path, args.tickets, args.tenants)
        results["fill_seconds"] = round(time.perf_counter() - started, 1)
        engine = make_engine(f"sqlite:///{path}")
        directory = TenantDirectory(engine)
        for page_size in sorted({100, 1000, min(args.tenants, 1000)}):
            runs = [list_all(directory, page_size) for _ in range(args.rounds)]
            pages, counted, _ = runs[0]
            assert counted == args.tickets, (counted, args.tickets)
            seconds = median([s for _, _, s in runs])
            results[f"page_size_{page_size}"] = {
                "pages": pages,
                "all_pages_ms": round(seconds * 1000, 1),
                "per_page_ms": round(seconds * 1000 / pages, 1),
            }
        probes = 1000
        probe_start = time.perf_counter()
        for i in range(probes):
            assert not directory.exists(f"never-seen-{i}")
        results["unknown_tenant_probe_ms"] = round(
            (time.perf_counter() - probe_start) * 1000 / probes, 3
        )
        engine.dispose()
    write_result(NAME, results, started)


if __name__ == "__main__":
    main()
