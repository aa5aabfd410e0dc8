"""Settings from flags and TICKETMINER_* environment variables, with defaults that
let `ticketminer serve` just work."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields

from ticketminer.domain.validation import DEFAULT_MAX_TEXT_BYTES

ENV_PREFIX = "TICKETMINER_"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 50051
    db_url: str = "sqlite:///ticketminer.db"
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    max_message_bytes: int = 16 * 1024 * 1024
    max_concurrent_rpcs: int = 256
    workers: int = 32
    grace_seconds: float = 10.0
    log_level: str = "INFO"
    recluster_after_tickets: int = 5000
    recluster_interval_seconds: float = 3600.0
    recluster_min_tickets: int = 200
    issue_random_state: int = 0
    anomaly_scan_seconds: float = 60.0
    anomaly_time_zone: str = "UTC"
    anomaly_history_days: int = 120
    digest_ticket_url: str = ""
    tenure_edges_days: str = "30,90"
    metrics_port: int = -1
    auth: str = "off"
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    auth_open_services: str = (
        "grpc.health.v1.Health,grpc.reflection.v1alpha.ServerReflection,"
        "grpc.reflection.v1.ServerReflection"
    )


HELP = {
    "host": "address to listen on",
    "port": "port to listen on (0 picks a free one)",
    "db_url": "SQLAlchemy URL or a SQLite file path",
    "max_text_bytes": "largest subject, description, message body or attribute value",
    "max_message_bytes": "largest gRPC message received or sent",
    "max_concurrent_rpcs": "RPCs beyond this many get RESOURCE_EXHAUSTED",
    "workers": "server threads",
    "grace_seconds": "how long in-flight RPCs may finish after SIGTERM",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "recluster_after_tickets": "re-cluster after this many new or changed tickets (0: off)",
    "recluster_interval_seconds": "also re-cluster on this schedule if anything changed (0: off)",
    "recluster_min_tickets": "a tenant's first issue model waits for this many tickets",
    "issue_random_state": "seed of the issue clustering (same data + seed = same issues)",
    "anomaly_scan_seconds": "seconds between anomaly scans of tenants with new tickets (0: off)",
    "anomaly_time_zone": "IANA zone whose weekdays and hours the seasonal baselines use",
    "anomaly_history_days": "days of history each anomaly scan reads (28 of them are baseline)",
    "digest_ticket_url": "link for ticket ids in digests, e.g. https://help.example/t/{external_id}",
    "tenure_edges_days": "edges of the customer-tenure buckets in days since customer_since",
    "metrics_port": "port of the Prometheus /metrics endpoint on --host (-1: off, 0: any free)",
    "auth": "off, or keys: every call needs 'authorization: Bearer <API key>'",
    "tls_cert_file": "PEM certificate chain: serve TLS instead of plaintext",
    "tls_key_file": "PEM private key of --tls-cert-file",
    "tls_client_ca_file": "PEM CA bundle: require client certificates it signed (mutual TLS)",
    "auth_open_services": "comma-separated gRPC services that need no key with --auth keys",
}


def add_arguments(parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
    """One flag per setting; each defaults to its environment variable."""
    for f in fields(Settings):
        if only is not None and f.name not in only:
            continue
        env = ENV_PREFIX + f.name.upper()
        flag = "--db" if f.name == "db_url" else "--" + f.name.replace("_", "-")
        parser.add_argument(
            flag,
            dest=f.name,
            type=type(f.default),
            default=None,
            help=f"{HELP[f.name]} (env {env}, default {f.default!r})",
        )


def settings_from(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Settings:
    """Flags win over environment variables, which win over defaults."""
    environ = dict(os.environ) if environ is None else environ
    values = {}
    for f in fields(Settings):
        flag = getattr(args, f.name, None)
        env = environ.get(ENV_PREFIX + f.name.upper())
        if flag is not None:
            values[f.name] = flag
        elif env not in (None, ""):
            values[f.name] = type(f.default)(env)
    return Settings(**values)
