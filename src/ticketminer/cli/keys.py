"""`ticketminer keys create|list|revoke`: manage API keys in the database directly
(an operator's tool; the API has no RPC for keys, so a leaked key cannot mint more)."""

from __future__ import annotations

import argparse
import sys

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_setting_arguments
from ticketminer.domain.api_keys import ALL_TENANTS, ApiKey, Scope
from ticketminer.domain.errors import TicketminerError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", required=True)
    create = sub.add_parser("create", help="make a key and print its token once")
    create.add_argument("--tenant", action="append", default=[], help="a tenant it may use")
    create.add_argument("--all-tenants", action="store_true", help="every tenant")
    create.add_argument("--scope", choices=[s.value for s in Scope], default=Scope.READ.value)
    create.add_argument("--note", default="", help="what the key is for")
    sub.add_parser("list", help="every key, without secrets")
    revoke = sub.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("key_id")
    for command in sub.choices.values():
        add_setting_arguments(command, only=("db_url", "log_level"))


def _line(key: ApiKey) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
    tenants = ",".join(key.tenants)
    return f"{key.key_id}  {key.scope.value:<5}  {state:<24}  {tenants}  {key.note}".rstrip()


def run_keys(args: argparse.Namespace, settings: Settings, out=None) -> int:
    # The database layer loads only when the command runs (see cli/__init__.py).
    from ticketminer.services.api_keys import ApiKeyService
    from ticketminer.store.engine import init_schema, make_engine

    out = out or sys.stdout
    engine = make_engine(settings.db_url)
    init_schema(engine)
    keys = ApiKeyService(engine)
    try:
        if args.keys_command == "create":
            if ALL_TENANTS in (args.tenant or []):
                # A tenant id is never "*" (ingest refuses it): ask for every tenant by name.
                print(
                    f"ticketminer keys: --tenant {ALL_TENANTS!r} is not a tenant id; "
                    "use --all-tenants for a key to every tenant",
                    file=sys.stderr,
                )
                return 2
            tenants = [ALL_TENANTS] if args.all_tenants else args.tenant
            key, token = keys.create(tenants, Scope(args.scope), args.note)
            print(f"key {key.key_id} ({key.scope.value}, {','.join(key.tenants)})", file=out)
            print(token, file=out)
            print(
                "the token is shown only now; send it as 'authorization: Bearer <token>'", file=out
            )
        elif args.keys_command == "list":
            for key in keys.list():
                print(_line(key), file=out)
        else:
            print(_line(keys.revoke(args.key_id)), file=out)
    except TicketminerError as exc:
        print(f"ticketminer keys: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0
