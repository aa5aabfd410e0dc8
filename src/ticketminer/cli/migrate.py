"""`ticketminer migrate`: bring the database schema to the newest revision, as every
start of the server does, and print the revision before and after. A database made
before migrations existed is recognised, stamped and upgraded; `--check` only
reports (exit 1 unless at head), for deploy scripts."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_setting_arguments

if TYPE_CHECKING:
    from ticketminer.store.migrations import SchemaState


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="only print the revision; exit 1 unless at head"
    )
    add_setting_arguments(parser, only=("db_url", "log_level"))


def _label(state: SchemaState) -> str:
    return f"{state} (head)" if state.at_head else str(state)


def run_migrate(args: argparse.Namespace, settings: Settings, out=None) -> int:
    # The database layer loads only when the command runs (see cli/__init__.py).
    from ticketminer.store import migrations
    from ticketminer.store.engine import init_schema, make_engine

    out = out or sys.stdout
    engine = make_engine(settings.db_url)
    try:
        before = migrations.state(engine)
        if args.check:
            print(f"revision: {_label(before)}; head: {migrations.HEAD}", file=out)
            return 0 if before.at_head else 1
        init_schema(engine)
        after = migrations.state(engine)
    except migrations.SchemaError as exc:
        print(f"ticketminer migrate: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"before: {_label(before)}", file=out)
    print(f"after:  {_label(after)}", file=out)
    return 0
