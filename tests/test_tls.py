"""TLS and mutual TLS with certificates made in the test: a client that trusts the
CA gets answers, a plaintext or untrusting client does not, and with a client CA
set only clients with a certificate it signed get in."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from certs import make_ca, make_leaf

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


def _metrics(address: str, credentials: grpc.ChannelCredentials | None) -> pb.GetMetricsResponse:
    channel = (
        grpc.secure_channel(address, credentials)
        if credentials is not None
        else grpc.insecure_channel(address)
    )
    with channel:
        return pb_grpc.TicketMinerStub(channel).GetMetrics(pb.GetMetricsRequest(), timeout=5)


def _refused(address: str, credentials: grpc.ChannelCredentials | None) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _metrics(address, credentials)
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
        assert _metrics(address, trusting).overall.volume == 0
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
        assert _metrics(address, signed).overall.volume == 0
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
