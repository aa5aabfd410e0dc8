"""TLS and mutual TLS with certificates made in the test: a client that trusts the
CA gets answers, a plaintext or untrusting client does not, and with a client CA
set only clients with a certificate it signed get in."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from certs import make_ca, make_leaf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca, ca_key = make_ca(folder, "ca")
    rogue, rogue_key = make_ca(folder, "rogue-ca")
    return {
        "ca": ca,
        "server": make_leaf(folder, "server", ca, ca_key, server=True),
        "client": make_leaf(folder, "client", ca, ca_key, server=False),
        "intruder": make_leaf(folder, "intruder", rogue, rogue_key, server=False),
        "rogue": rogue,
    }


def _tenants(address: str, credentials: grpc.ChannelCredentials | None) -> pb.ListTenantsResponse:
    channel = (
        grpc.secure_channel(address, credentials)
        if credentials is not None
        else grpc.insecure_channel(address)
    )
    with channel:
        # ListTenants names no tenant, so it answers on an empty database.
        return pb_grpc.TicketMinerStub(channel).ListTenants(pb.ListTenantsRequest(), timeout=5)


def _refused(address: str, credentials: grpc.ChannelCredentials | None) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _tenants(address, credentials)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def _served(settings, pki, mutual: bool) -> Server:
    tls = replace(
        settings,
        tls_cert_file=str(pki["server"].cert_file),
        tls_key_file=str(pki["server"].key_file),
        tls_client_ca_file=str(pki["ca"].cert_file) if mutual else "",
    )
    return Server(tls).start()


def test_tls_serves_only_clients_that_trust_its_ca(settings, pki) -> None:
    srv = _served(settings, pki, mutual=False)
    address = f"localhost:{srv.port}"
    try:
        assert srv.tls
        trusting = grpc.ssl_channel_credentials(root_certificates=pki["ca"].cert)
        assert list(_tenants(address, trusting).tenants) == []
        _refused(address, None)  # plaintext
        _refused(address, grpc.ssl_channel_credentials(root_certificates=pki["rogue"].cert))
    finally:
        srv.stop(grace=1)


def test_mutual_tls_needs_a_client_certificate_from_the_client_ca(settings, pki) -> None:
    srv = _served(settings, pki, mutual=True)
    address = f"localhost:{srv.port}"
    root = pki["ca"].cert
    try:
        client, intruder = pki["client"], pki["intruder"]
        signed = grpc.ssl_channel_credentials(root, client.key, client.cert)
        assert list(_tenants(address, signed).tenants) == []
        _refused(address, grpc.ssl_channel_credentials(root))  # no client certificate
        _refused(address, grpc.ssl_channel_credentials(root, intruder.key, intruder.cert))
    finally:
        srv.stop(grace=1)


def test_half_a_tls_configuration_is_refused(settings, pki) -> None:
    with pytest.raises(ValueError, match="--tls-key-file"):
        Server(replace(settings, tls_cert_file=str(pki["server"].cert_file)))


def test_health_command_speaks_mutual_tls(settings, pki, capsys) -> None:
    from ticketminer.cli import main

    srv = _served(settings, pki, mutual=True)
    client = pki["client"]
    base = ["health", "--host", "localhost", "--port", str(srv.port), "--timeout", "5"]
    tls = ["--tls-ca-file", str(pki["ca"].cert_file)]
    mine = ["--tls-client-cert-file", str(client.cert_file)]
    mine += ["--tls-client-key-file", str(client.key_file)]
    try:
        assert main([*base, *tls, *mine]) == 0
        assert "SERVING" in capsys.readouterr().out
        assert main([*base, *tls]) == 1  # no client certificate
        assert main(base) == 1  # plaintext
    finally:
        srv.stop(grace=1)


# `ticketminer health` configured only by the server's environment, as the
# container's HEALTHCHECK runs it: TICKETMINER_PORT, a wildcard TICKETMINER_HOST,
# the server's TLS files, and the probe's own TICKETMINER_HEALTH_TLS_* variables.


def _self_signed(folder: Path, dns_name: str) -> tuple[Path, Path]:
    """One self-signed certificate naming only `dns_name` (not 127.0.0.1), with no
    usage restriction, so it can serve and also present itself as a client."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "self.crt", folder / "self.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def environment(monkeypatch):
    """Sets TICKETMINER_* variables on a clean slate (none inherited)."""
    for name in list(os.environ):
        if name.startswith("TICKETMINER_"):
            monkeypatch.delenv(name)

    def put(**values: object) -> dict[str, str]:
        for name, value in values.items():
            monkeypatch.setenv("TICKETMINER_" + name, str(value))
        return {k: v for k, v in os.environ.items() if k.startswith("TICKETMINER_")}

    return put


def test_health_from_environment_trusts_a_self_signed_server_certificate(
    settings, tmp_path, environment, capsys
) -> None:
    from ticketminer.cli import main

    cert, key = _self_signed(tmp_path, "ticketminer.internal")
    srv = Server(replace(settings, tls_cert_file=str(cert), tls_key_file=str(key))).start()
    try:
        # What the image sets: a wildcard host, the port and the server's TLS files.
        environment(HOST="0.0.0.0", PORT=srv.port, TLS_CERT_FILE=cert, TLS_KEY_FILE=key)
        assert main(["health", "--timeout", "5"]) == 0
        assert "SERVING" in capsys.readouterr().out
        assert main(["health", "--timeout", "5", "--plaintext"]) == 1
        # The name is checked: the certificate does not carry this one.
        environment(HEALTH_TLS_SERVER_NAME="elsewhere.example")
        assert main(["health", "--timeout", "5"]) == 1
        assert "TLS, server name elsewhere.example" in capsys.readouterr().err
    finally:
        srv.stop(grace=1)


def test_health_from_environment_speaks_mutual_tls(settings, pki, environment) -> None:
    """In a fresh process, as Docker runs it: the probe's own CA and client
    certificate from TICKETMINER_HEALTH_TLS_*; without them it presents the server's
    certificate, which is not one for clients, and is refused."""
    srv = _served(settings, pki, mutual=True)
    probe = [str(Path(sys.executable).with_name("ticketminer")), "health", "--timeout", "5"]
    try:
        server_env = environment(
            HOST="0.0.0.0",
            PORT=srv.port,
            TLS_CERT_FILE=pki["server"].cert_file,
            TLS_KEY_FILE=pki["server"].key_file,
            TLS_CLIENT_CA_FILE=pki["ca"].cert_file,
            HEALTH_TLS_CA_FILE=pki["ca"].cert_file,
        )
        client_env = environment(
            HEALTH_TLS_CLIENT_CERT_FILE=pki["client"].cert_file,
            HEALTH_TLS_CLIENT_KEY_FILE=pki["client"].key_file,
        )
        base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
        ok = subprocess.run(probe, env={**base, **client_env}, capture_output=True, text=True)
        assert (ok.returncode, ok.stdout.strip()) == (0, "SERVING"), ok.stderr
        refused = subprocess.run(probe, env={**base, **server_env}, capture_output=True, text=True)
        assert refused.returncode == 1
        assert "client certificate" in refused.stderr
    finally:
        srv.stop(grace=1)


def test_health_from_environment_with_one_self_signed_certificate_for_both_ends(
    settings, tmp_path, environment
) -> None:
    """The smallest mutual-TLS setup: the server trusts clients holding its own
    certificate, and the probe, given no client certificate, presents that one."""
    from ticketminer.cli import main

    cert, key = _self_signed(tmp_path, "ticketminer.internal")
    tls = replace(settings, tls_cert_file=str(cert), tls_key_file=str(key))
    srv = Server(replace(tls, tls_client_ca_file=str(cert))).start()
    try:
        environment(PORT=srv.port, TLS_CERT_FILE=cert, TLS_KEY_FILE=key, TLS_CLIENT_CA_FILE=cert)
        assert main(["health", "--timeout", "5"]) == 0
    finally:
        srv.stop(grace=1)


def test_health_target_flags_win_over_the_environment(tmp_path) -> None:
    from ticketminer.cli import _parser
    from ticketminer.cli.health import HealthTarget, health_target
    from ticketminer.config import Settings

    cert, _ = _self_signed(tmp_path, "ticketminer.internal")
    server = Settings(host="0.0.0.0", port=7000, tls_cert_file=str(cert))

    def target(*flags: str, **env: str):
        args = _parser().parse_args(["health", *flags])
        return health_target(args, server, {"TICKETMINER_" + k: v for k, v in env.items()})

    assert target() == HealthTarget("127.0.0.1:7000", str(cert), "", "", "ticketminer.internal")
    assert target("--plaintext") == HealthTarget("127.0.0.1:7000")
    named = target("--tls-server-name", "a.example", HEALTH_TLS_SERVER_NAME="b.example")
    assert named.server_name == "a.example"
    assert target(HEALTH_TLS_CA_FILE="ca.pem").ca_file == "ca.pem"
    assert target("--tls-ca-file", "mine.pem", HEALTH_TLS_CA_FILE="ca.pem").ca_file == "mine.pem"
    plain = health_target(_parser().parse_args(["health"]), Settings(host="::"), {})
    assert plain == HealthTarget("127.0.0.1:50051")
    assert health_target(_parser().parse_args(["health"]), Settings(host="::1"), {}).address == (
        "[::1]:50051"
    )
