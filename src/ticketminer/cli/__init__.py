"""Command line: serve, import, sync, synth, demo, digest, embed, health, keys and migrate.

Each command's flags and handler live in a module of this package (cli/<command>.py;
`import` in cli/import_.py); only `serve` is wired here. The modules import what they
run only when they run it: the container's health probe runs `ticketminer health`
every 15 s, and it loads the parser of every command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ticketminer import logs
from ticketminer.cli import demo, digest, embed, health, import_, keys, migrate, sync, synth
from ticketminer.config import (
    SERVE_DEFAULTS,
    ConfigError,
    add_arguments,
    check_serve,
    settings_from,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketminer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the gRPC server and its HTTP/JSON gateway")
    add_arguments(serve, defaults=SERVE_DEFAULTS)
    imp = sub.add_parser("import", help="load tickets from a file into the database")
    import_.add_arguments(imp)
    sync.add_arguments(
        sub.add_parser("sync", help="pull changed tickets from Zendesk or Freshdesk's API")
    )
    demo.add_arguments(
        sub.add_parser("demo", help="load a synthetic history and print its anomalies")
    )
    digest.add_arguments(
        sub.add_parser("digest", help="write one ISO week's digest (md, html or json)")
    )
    embed.add_arguments(
        sub.add_parser("embed", help="embed every stored ticket that lacks a semantic vector")
    )
    keys.add_arguments(sub.add_parser("keys", help="create, list or revoke API keys (--auth keys)"))
    migrate.add_arguments(
        sub.add_parser("migrate", help="upgrade the database schema to the newest revision")
    )
    health.add_arguments(sub.add_parser("health", help="exit 0 if the server reports SERVING"))
    synth.add_arguments(
        sub.add_parser("synth", help="write a synthetic helpdesk history with incidents")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "synth":
        return synth.run_synth(args)
    if args.command == "demo":
        logs.configure("WARNING")
        return demo.run_demo(args)
    try:
        serving = args.command == "serve"
        settings = settings_from(args, defaults=SERVE_DEFAULTS if serving else None)
        if serving:
            check_serve(settings)
    except ConfigError as exc:  # a message naming the setting, not a traceback
        print(f"ticketminer: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    if serving:
        from ticketminer.server import serve

        serve(settings)
        return 0
    if args.command == "health":
        return health.run_health(args, settings)
    if args.command == "digest":
        return digest.run_digest(args, settings)
    if args.command == "embed":
        return embed.run_embed(args, settings)
    if args.command == "keys":
        return keys.run_keys(args, settings)
    if args.command == "migrate":
        return migrate.run_migrate(args, settings)
    if args.command == "sync":
        return sync.run_sync(args, settings)
    return import_.run_import(args, settings)
