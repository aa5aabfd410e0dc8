"""Settings from flags and TICKETMINER_* environment variables, with defaults that
let `ticketminer serve` just work.

Every value is parsed and checked by its setting's rule (RULES); a bad one raises
ConfigError, which names the setting, its flag and variable, the value and what is
allowed (the CLI prints it and exits 2).
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ticketminer.domain import limits
from ticketminer.domain.tenure import parse_edges

ENV_PREFIX = "TICKETMINER_"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 50051
    db_url: str = "sqlite:///ticketminer.db"
    max_text_bytes: int = limits.MAX_TEXT_BYTES
    max_id_bytes: int = limits.MAX_ID_BYTES
    max_list_items: int = limits.MAX_LIST_ITEMS
    max_series_points: int = limits.MAX_SERIES_POINTS
    max_attribute_columns: int = limits.MAX_ATTRIBUTE_COLUMNS
    rootcause_max_attributes: int = limits.ROOTCAUSE_MAX_ATTRIBUTES
    rootcause_max_cells: int = limits.ROOTCAUSE_MAX_CELLS
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
    retention_seconds: float = 3600.0
    anomaly_time_zone: str = "UTC"
    anomaly_history_days: int = 120
    digest_ticket_url: str = ""
    tenure_edges_days: str = "30,90"
    metrics_port: int = -1
    # Off for the library and tests; `ticketminer serve` turns it on (SERVE_DEFAULTS).
    http_port: int = -1
    embedder: str = "use"
    embedder_model: str = ""
    embedder_timeout_seconds: float = 30.0
    embedder_threads: int = 1
    embedder_api_key: str = ""
    metrics_tenant_labels: bool = False
    auth: str = "off"
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    digest_delivery_seconds: float = 30.0
    digest_retry_seconds: float = 60.0
    digest_retry_factor: float = 5.0
    digest_max_attempts: int = 5
    delivery_timeout_seconds: float = 30.0
    smtp_url: str = ""
    smtp_from: str = "ticketminer@localhost"
    auth_open_services: str = (
        "grpc.health.v1.Health,grpc.reflection.v1alpha.ServerReflection,"
        "grpc.reflection.v1.ServerReflection"
    )
    webhook_secrets: str = ""
    webhook_max_bytes: int = 1024 * 1024


HELP = {
    "host": "address to listen on",
    "port": "port to listen on (0 picks a free one)",
    "db_url": "SQLAlchemy URL or a SQLite file path",
    "max_text_bytes": "largest subject, description, message body or attribute value",
    "max_id_bytes": "largest tenant, ticket, customer or other id, channel, tag or attribute key",
    "max_list_items": "most entries in any list or map of a request outside a ticket",
    "max_series_points": "most series points (groups x buckets) in one GetMetrics answer",
    "max_attribute_columns": "attribute columns kept in memory per tenant (least recent go)",
    "rootcause_max_attributes": "attribute keys a root-cause search may name (most informative)",
    "rootcause_max_cells": "largest root-cause lattice (combinations x leaves) searched",
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
    "retention_seconds": "seconds between runs of the tenants' retention windows (0: off)",
    "anomaly_time_zone": "IANA zone whose weekdays and hours the seasonal baselines use",
    "anomaly_history_days": "days of history each anomaly scan reads (28 of them are baseline)",
    "digest_ticket_url": "link for ticket ids in digests, e.g. https://help.example/t/{external_id}",
    "tenure_edges_days": "edges of the customer-tenure buckets in days since customer_since",
    "metrics_port": "port of the Prometheus /metrics endpoint on --host (-1: off, 0: any free)",
    "http_port": "port of the HTTP/JSON gateway (Connect protocol, /openapi.json) on --host "
    "(-1: off, 0: any free)",
    "embedder": "semantic vectors for issue discovery: use (in process), e5, off, or an "
    "OpenAI-compatible URL such as http://127.0.0.1:8080/v1",
    "embedder_model": "model name sent to a remote embedder (--embedder URL)",
    "embedder_timeout_seconds": "timeout of one remote embedding request",
    "embedder_threads": "CPU threads of an in-process embedder",
    "embedder_api_key": "Bearer key of a remote embedder (prefer the environment variable)",
    "metrics_tenant_labels": "label /metrics gauges with each tenant id (off: totals only)",
    "auth": "off, or keys: every call needs 'authorization: Bearer <API key>'",
    "tls_cert_file": "PEM certificate chain: serve TLS instead of plaintext",
    "tls_key_file": "PEM private key of --tls-cert-file",
    "tls_client_ca_file": "PEM CA bundle: require client certificates it signed (mutual TLS)",
    "auth_open_services": "comma-separated gRPC services that need no key with --auth keys",
    "webhook_secrets": "helpdesk webhook secrets, source=secret,...: a source without one is "
    "not served (zendesk, zammad, freshdesk, chatwoot, generic; prefer the variable)",
    "webhook_max_bytes": "largest webhook body accepted (bigger ones get HTTP 413)",
    "digest_delivery_seconds": "seconds between checks for scheduled digests to send (0: off)",
    "digest_retry_seconds": "wait before retrying a failed digest send (then times the factor)",
    "digest_retry_factor": "each further retry of a digest send waits this many times longer",
    "digest_max_attempts": "a digest send that failed this many times is given up (FAILED)",
    "delivery_timeout_seconds": "timeout of one digest send (SMTP or webhook)",
    "smtp_url": "relay for e-mailed digests: smtp://user:pass@host:587 (STARTTLS) or "
    "smtps://user:pass@host:465; prefer the environment variable",
    "smtp_from": "From address of e-mailed digests",
}
# Settings whose values are credentials: an error names them but never shows them.
SECRET_SETTINGS = frozenset(("smtp_url", "webhook_secrets", "embedder_api_key"))


def flag_of(name: str) -> str:
    return "--db" if name == "db_url" else "--" + name.replace("_", "-")


def env_of(name: str) -> str:
    return ENV_PREFIX + name.upper()


class ConfigError(ValueError):
    """A setting's value is not one it accepts."""

    def __init__(self, setting: str, source: str, value: object, allowed: str) -> None:
        self.setting = setting
        self.source = source  # the flag or variable the value came from, "" if neither
        self.value = value
        self.allowed = allowed
        super().__init__(setting, source, value, allowed)

    def __str__(self) -> str:
        named = f"{flag_of(self.setting)} / {env_of(self.setting)}"
        source = f" (from {self.source})" if self.source else ""
        value = "<hidden>" if self.setting in SECRET_SETTINGS else repr(self.value)
        return f"invalid setting {named} = {value}{source}: expected {self.allowed}"


@dataclass(frozen=True, slots=True)
class Rule:
    """How one setting's text becomes its value: `parse` raises ValueError (or
    KeyError) for text it refuses; `allowed` says what it accepts."""

    parse: Callable[[str], Any]
    allowed: str


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _bool() -> Rule:
    def parse(text: str) -> bool:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(text)

    return Rule(parse, "true or false (also 1/0, yes/no, on/off)")


def _int(lo: int | None = None, hi: int | None = None) -> Rule:
    def parse(text: str) -> int:
        value = int(text.strip())
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(text)
        return value

    if lo is not None and hi is not None:
        return Rule(parse, f"an integer between {lo} and {hi}")
    return Rule(parse, "an integer" if lo is None else f"an integer, {lo} or more")


def _float(lo: float | None = None, what: str = "a number") -> Rule:
    def parse(text: str) -> float:
        value = float(text.strip())
        if not math.isfinite(value) or (lo is not None and value < lo):
            raise ValueError(text)
        return value

    return Rule(parse, what if lo is None else f"{what}, {lo:g} or more")


def _text(allowed: str = "any text", check: Callable[[str], object] | None = None) -> Rule:
    def parse(text: str) -> str:
        if check is not None and check(text) is False:
            raise ValueError(text)
        return text

    return Rule(parse, allowed)


def _choice(*options: str) -> Rule:
    def parse(text: str) -> str:
        for option in options:
            if text.strip().lower() == option.lower():
                return option
        raise ValueError(text)

    return Rule(parse, "one of " + ", ".join(options))


def _zone(text: str) -> str:
    from zoneinfo import ZoneInfo  # ZoneInfoNotFoundError is a KeyError

    ZoneInfo(text)
    return text


def _smtp_url(text: str) -> str:
    if text.strip():
        from ticketminer.deliverers.email import SmtpRelay

        SmtpRelay.parse(text)
    return text.strip()


def _edges(text: str) -> str:
    parse_edges(text)
    return text


_SERVICE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _services(text: str) -> bool:
    names = [s.strip() for s in text.split(",") if s.strip()]
    return all(_SERVICE.fullmatch(name) for name in names)


WEBHOOK_SOURCES = ("zendesk", "freshdesk", "zammad", "chatwoot", "generic")


def parse_webhook_secrets(text: str) -> dict[str, str]:
    """`zendesk=s1,zammad=s2` as {source: secret}; ValueError for an unknown source, an
    empty secret or a source given twice. A secret may hold "=" but not ","."""
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        source, sep, secret = part.partition("=")
        source = source.strip().lower()
        if not sep or source not in WEBHOOK_SOURCES or not secret.strip() or source in out:
            raise ValueError(part)
        out[source] = secret.strip()
    return out


_PORT = (0, 65535)
RULES: dict[str, Rule] = {
    "host": _text("a host name or IP address", lambda t: t.split() == [t]),
    "port": _int(*_PORT),
    "db_url": _text("an SQLAlchemy URL or a SQLite file path", lambda t: bool(t.strip())),
    "max_text_bytes": _int(1),
    "max_id_bytes": _int(16, 65536),
    "max_list_items": _int(1, 1_000_000),
    "max_series_points": _int(1),
    "max_attribute_columns": _int(1),
    "rootcause_max_attributes": _int(1, 1000),
    "rootcause_max_cells": _int(1000),
    "max_message_bytes": _int(1024, 2**31 - 1),
    "max_concurrent_rpcs": _int(1),
    "workers": _int(1),
    "grace_seconds": _float(0, "a number of seconds"),
    "log_level": _choice("DEBUG", "INFO", "WARNING", "ERROR"),
    "recluster_after_tickets": _int(0),
    "recluster_interval_seconds": _float(0, "a number of seconds"),
    "recluster_min_tickets": _int(0),
    "issue_random_state": _int(0, 2**32 - 1),
    "anomaly_scan_seconds": _float(0, "a number of seconds"),
    "retention_seconds": _float(0, "a number of seconds"),
    "anomaly_time_zone": Rule(_zone, "an IANA time zone such as UTC or Europe/Berlin"),
    "anomaly_history_days": _int(1, 36500),
    "digest_ticket_url": _text(
        "empty, or a URL with an {external_id} slot, e.g. https://help.example/t/{external_id}",
        lambda t: not t or "{external_id}" in t,
    ),
    "tenure_edges_days": Rule(_edges, "increasing positive whole days, e.g. 30,90"),
    "metrics_port": _int(-1, _PORT[1]),
    "http_port": _int(-1, _PORT[1]),
    "metrics_tenant_labels": _bool(),
    "embedder": _text(
        "use, e5, off, or an http(s) URL of an OpenAI-compatible embeddings server",
        lambda t: (
            t.strip().lower() in ("use", "e5", "off")
            or t.strip().lower().startswith(("http://", "https://"))
        ),
    ),
    "embedder_model": _text("a model name, or empty"),
    "embedder_timeout_seconds": _float(0.001, "a number of seconds"),
    "embedder_threads": _int(1, 64),
    "embedder_api_key": _text("an API key, or empty"),
    "auth": _choice("off", "keys"),
    "tls_cert_file": _text("a PEM file path, or empty"),
    "tls_key_file": _text("a PEM file path, or empty"),
    "tls_client_ca_file": _text("a PEM file path, or empty"),
    "auth_open_services": _text("comma-separated gRPC service names", _services),
    "webhook_secrets": Rule(
        lambda t: (parse_webhook_secrets(t), t)[1],
        "source=secret pairs separated by commas, sources among " + ", ".join(WEBHOOK_SOURCES),
    ),
    "webhook_max_bytes": _int(1024, 64 * 1024 * 1024),
    "digest_delivery_seconds": _float(0, "a number of seconds"),
    "digest_retry_seconds": _float(1, "a number of seconds"),
    "digest_retry_factor": _float(1, "a factor"),
    "digest_max_attempts": _int(1, 100),
    "delivery_timeout_seconds": _float(0.1, "a number of seconds"),
    "smtp_url": Rule(_smtp_url, "empty, or smtp://[user:pass@]host[:port] or smtps://..."),
    "smtp_from": _text("an e-mail address", lambda t: "@" in t and t.split() == [t]),
}


# What `ticketminer serve` uses where neither a flag nor a variable says otherwise (a
# Settings() built in code, as tests do, keeps the dataclass default).
SERVE_DEFAULTS: dict[str, str] = {"http_port": "8080"}


def rule_of(name: str, default: object) -> Rule:
    """The setting's rule; a setting without one is parsed by the type of its default."""
    if name in RULES:
        return RULES[name]
    if isinstance(default, bool):
        return _bool()
    if isinstance(default, int):
        return _int()
    if isinstance(default, float):
        return _float()
    return _text()


def parse_setting(name: str, text: str, source: str = "") -> Any:
    """The value of setting `name` given as `text` (by `source`), else ConfigError."""
    default = next(f.default for f in fields(Settings) if f.name == name)
    rule = rule_of(name, default)
    try:
        return rule.parse(text)
    except (ValueError, KeyError, OSError) as exc:  # OSError: e.g. a zone that is a folder
        if name in SECRET_SETTINGS:  # the cause's message could quote the secret
            raise ConfigError(name, source, text, rule.allowed) from None
        raise ConfigError(name, source, text, rule.allowed) from exc


def add_arguments(
    parser: argparse.ArgumentParser,
    only: tuple[str, ...] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> None:
    """One flag per setting; each defaults to its environment variable, then to
    `defaults` (the command's own, e.g. SERVE_DEFAULTS). Flags stay text here:
    settings_from parses them with the same rules as the variables."""
    defaults = defaults or {}
    for f in fields(Settings):
        if only is not None and f.name not in only:
            continue
        env = env_of(f.name)
        default = parse_setting(f.name, defaults[f.name]) if f.name in defaults else f.default
        # A true/false setting may be given as a bare flag: --metrics-tenant-labels.
        bare = {"nargs": "?", "const": "true"} if isinstance(f.default, bool) else {}
        parser.add_argument(
            flag_of(f.name),
            dest=f.name,
            default=None,
            help=f"{HELP[f.name]} (env {env}, default {default!r})",
            **bare,
        )


def settings_from(
    args: argparse.Namespace,
    environ: dict[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> Settings:
    """Flags win over environment variables, which win over the command's `defaults`,
    which win over the dataclass's; ConfigError for a value its setting does not accept."""
    environ = dict(os.environ) if environ is None else environ
    values = {name: parse_setting(name, text) for name, text in (defaults or {}).items()}
    for f in fields(Settings):
        flag = getattr(args, f.name, None)
        env = environ.get(env_of(f.name))
        if flag is not None:
            values[f.name] = (
                parse_setting(f.name, flag, flag_of(f.name)) if isinstance(flag, str) else flag
            )
        elif env not in (None, ""):
            values[f.name] = parse_setting(f.name, env, env_of(f.name))
    return Settings(**values)


def _readable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.R_OK)


def check_serve(settings: Settings) -> None:
    """What only serving needs: the TLS files exist and come in working pairs, and
    /metrics does not ask for the gRPC port. ConfigError otherwise."""
    cert, key, ca = settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
    if (cert or ca) and not key:
        raise ConfigError(
            "tls_key_file", "", key, "the private key of --tls-cert-file (TLS needs both)"
        )
    if (key or ca) and not cert:
        raise ConfigError(
            "tls_cert_file", "", cert, "a PEM certificate chain (TLS needs one and its key)"
        )
    for name in ("tls_cert_file", "tls_key_file", "tls_client_ca_file"):
        path = getattr(settings, name)
        if path and not _readable(path):
            raise ConfigError(name, "", path, "a readable PEM file")
    remote = settings.embedder.strip().lower().startswith(("http://", "https://"))
    if remote and not settings.embedder_model:
        raise ConfigError(
            "embedder_model", "", "", "the model name the server at --embedder serves"
        )
    if settings.port and settings.metrics_port == settings.port:
        raise ConfigError(
            "metrics_port", "", settings.metrics_port, f"a port other than --port {settings.port}"
        )
    taken = {settings.port: "--port", settings.metrics_port: "--metrics-port"}
    if settings.http_port > 0 and settings.http_port in taken:
        raise ConfigError(
            "http_port",
            "",
            settings.http_port,
            f"a port other than {taken[settings.http_port]} {settings.http_port}",
        )
