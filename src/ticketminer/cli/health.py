"""`ticketminer health`: exit 0 if the server reports SERVING, else 1.

A probe for container health checks that needs no extra binary. It reads the same
TICKETMINER_* variables as `ticketminer serve`, so a HEALTHCHECK in the server's
environment needs no flags:

- address: TICKETMINER_PORT on TICKETMINER_HOST, where a wildcard host (0.0.0.0,
  ::, empty) means 127.0.0.1;
- TLS: on when TICKETMINER_TLS_CERT_FILE is set (or a CA is given), trusting
  TICKETMINER_HEALTH_TLS_CA_FILE, else the server's own certificate (enough for a
  self-signed one; a certificate from a CA needs the CA file);
- server name checked: TICKETMINER_HEALTH_TLS_SERVER_NAME, else a name the
  server's own certificate carries (localhost, or its first DNS name), since the
  probe dials 127.0.0.1;
- client certificate, when the server wants one (TICKETMINER_TLS_CLIENT_CA_FILE):
  TICKETMINER_HEALTH_TLS_CLIENT_CERT_FILE and _KEY_FILE, else the server's own
  certificate and key (enough when the client CA signed it for client use too).

Flags win over the environment; --plaintext ignores it.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from ticketminer.config import ENV_PREFIX, Settings
from ticketminer.config import add_arguments as add_settings

# The probe's own variables (the rest are the server's settings).
HEALTH_ENV = {
    "tls_ca_file": ENV_PREFIX + "HEALTH_TLS_CA_FILE",
    "tls_client_cert_file": ENV_PREFIX + "HEALTH_TLS_CLIENT_CERT_FILE",
    "tls_client_key_file": ENV_PREFIX + "HEALTH_TLS_CLIENT_KEY_FILE",
    "tls_server_name": ENV_PREFIX + "HEALTH_TLS_SERVER_NAME",
}
FLAG_HELP = {
    "tls_ca_file": "speak TLS, trusting this PEM CA",
    "tls_client_cert_file": "client certificate (mutual TLS)",
    "tls_client_key_file": "its private key",
    "tls_server_name": "name the server's certificate must carry (default: the host)",
}
WILDCARD_HOSTS = ("", "0.0.0.0", "::", "[::]")
LOOPBACK = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_settings(parser, only=("host", "port", "log_level"))
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--plaintext", action="store_true", help="no TLS, whatever the env says")
    for name, env in HEALTH_ENV.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), dest=name, default="", help=f"{FLAG_HELP[name]} ({env})"
        )


@dataclass(frozen=True, slots=True)
class HealthTarget:
    """Where and how the probe connects; an empty ca_file means plaintext."""

    address: str
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name: str = ""

    def describe(self) -> str:
        if not self.ca_file:
            return f"{self.address}, plaintext"
        mutual = ", client certificate" if self.cert_file else ""
        name = f", server name {self.server_name}" if self.server_name else ""
        return f"{self.address}, TLS{mutual}{name}"


def health_target(
    args: argparse.Namespace, settings: Settings, environ: Mapping[str, str] | None = None
) -> HealthTarget:
    """Flags, then the probe's own variables, then what the server's settings imply."""
    environ = os.environ if environ is None else environ

    def pick(name: str) -> str:
        return getattr(args, name, "") or environ.get(HEALTH_ENV[name], "")

    host = LOOPBACK if settings.host in WILDCARD_HOSTS else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    address = f"{host}:{settings.port}"
    served = settings.tls_cert_file  # the server's own certificate chain
    ca = pick("tls_ca_file")
    if args.plaintext or not (ca or served):
        return HealthTarget(address)
    cert, key = pick("tls_client_cert_file"), pick("tls_client_key_file")
    if not (cert or key) and served and settings.tls_client_ca_file:
        cert, key = served, settings.tls_key_file
    name = pick("tls_server_name")
    if not name and served:
        name = name_for(host.strip("[]"), served)
    return HealthTarget(address, ca or served, cert, key, name)


def name_for(host: str, cert_file: str) -> str:
    """A name to check the server's certificate against when dialling `host`: empty
    if the certificate names the host itself (or cannot be read here), else
    localhost or its first DNS name."""
    dns, ips, common = _names_in(cert_file)
    if host in ips or host in dns:
        return ""
    if "localhost" in dns:
        return "localhost"
    for name in dns:
        # A wildcard name matches one label in its place.
        return "health" + name[1:] if name.startswith("*.") else name
    return "" if ips else common


def _names_in(cert_file: str) -> tuple[list[str], list[str], str]:
    """(DNS names, IP addresses, common name) of the first certificate in a PEM file.

    Best effort with what Python ships (the ssl module's certificate decoder); when
    it cannot, nothing is derived and TICKETMINER_HEALTH_TLS_SERVER_NAME is the way.
    """
    decode = getattr(ssl._ssl, "_test_decode_cert", None)  # type: ignore[attr-defined]
    try:
        info = decode(cert_file) if decode else {}
    except (OSError, ValueError, ssl.SSLError):
        info = {}
    alt = info.get("subjectAltName", ())
    dns = [value for kind, value in alt if kind == "DNS"]
    ips = [value.strip() for kind, value in alt if kind == "IP Address"]
    common = next(
        (value for rdn in info.get("subject", ()) for key, value in rdn if key == "commonName"),
        "",
    )
    return dns, ips, common


def _file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def run_health(args: argparse.Namespace, settings: Settings) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    target = health_target(args, settings)
    if not target.ca_file:
        channel = grpc.insecure_channel(target.address)
    else:
        if bool(target.cert_file) != bool(target.key_file):
            print("unhealthy: a client certificate needs its key, and a key its certificate",
                  file=sys.stderr)  # fmt: skip
            return 1
        try:
            credentials = grpc.ssl_channel_credentials(
                _file(target.ca_file),
                _file(target.key_file) if target.key_file else None,
                _file(target.cert_file) if target.cert_file else None,
            )
        except OSError as err:
            print(f"unhealthy: {err}", file=sys.stderr)
            return 1
        options = (
            [("grpc.ssl_target_name_override", target.server_name)] if target.server_name else []
        )
        channel = grpc.secure_channel(target.address, credentials, options=options)
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=args.timeout
            )
        except grpc.RpcError as err:
            print(f"unhealthy: {err.code().name} ({target.describe()})", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
