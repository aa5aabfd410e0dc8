"""API keys with `--auth keys`: no key or a bad one is UNAUTHENTICATED, a key outside
its tenants or a read key on a write is PERMISSION_DENIED, with messages that say
why; health and reflection stay open by configuration; secrets are stored hashed;
`ticketminer keys` creates, lists and revokes."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from builders import ticket
from databases import fresh_db
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import select

from ticketminer.api.convert import ticket_to_proto
from ticketminer.cli import main
from ticketminer.domain.api_keys import ALL_TENANTS, Scope
from ticketminer.server import Server
from ticketminer.store.schema import api_keys
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


def _ingest(tenant: str, external_id: str = "t1") -> pb.IngestTicketRequest:
    out = pb.IngestTicketRequest()
    ticket_to_proto(ticket(external_id, 0, tenant_id=tenant), out.ticket)
    return out


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture
def secured(settings):
    srv = Server(replace(settings, auth="keys")).start()
    keys = srv.app.api_keys
    tokens = {
        "shop_read": keys.create(["shop"], Scope.READ)[1],
        "shop_write": keys.create(["shop"], Scope.WRITE, "helpdesk sync")[1],
        "admin": keys.create([ALL_TENANTS], Scope.WRITE)[1],
    }
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield srv, pb_grpc.TicketMinerStub(channel), channel, tokens
    finally:
        srv.stop(grace=1)


def _code(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    return err.value.code(), err.value.details()


def test_strangers_are_unauthenticated(secured) -> None:
    _, stub, _, tokens = secured
    request = pb.GetMetricsRequest(tenant_id="shop")
    code, details = _code(lambda: stub.GetMetrics(request, timeout=10))
    assert code == grpc.StatusCode.UNAUTHENTICATED and "authorization: Bearer" in details
    wrong = tokens["shop_read"][:-4] + "AAAA"
    for token in ("nonsense", wrong, "tm_0123456789abcdef_" + "x" * 43):
        code, details = _code(lambda t=token: stub.GetMetrics(request, metadata=_bearer(t)))
        assert (code, details) == (grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked API key")
    basic = (("authorization", f"Basic {tokens['shop_read']}"),)
    assert _code(lambda: stub.GetMetrics(request, metadata=basic))[0] == (
        grpc.StatusCode.UNAUTHENTICATED
    )


def test_scopes_and_tenants(secured) -> None:
    _, stub, _, tokens = secured
    read, write, admin = (_bearer(tokens[k]) for k in ("shop_read", "shop_write", "admin"))
    # The read key passes the gate; "shop" has no tickets yet, so it is unknown.
    code, details = _code(
        lambda: stub.GetMetrics(pb.GetMetricsRequest(tenant_id="shop"), metadata=read, timeout=10)
    )
    assert code == grpc.StatusCode.NOT_FOUND and "'shop'" in details
    code, details = _code(lambda: stub.IngestTicket(_ingest("shop"), metadata=read, timeout=10))
    assert (
        code == grpc.StatusCode.PERMISSION_DENIED and "is read-only; IngestTicket writes" in details
    )
    reply = stub.IngestTicket(_ingest("shop"), metadata=write, timeout=10)
    assert reply.outcome == pb.INGEST_OUTCOME_CREATED
    assert stub.GetMetrics(pb.GetMetricsRequest(tenant_id="shop"), metadata=read, timeout=10)
    for call in (
        lambda: stub.IngestTicket(_ingest("rival"), metadata=write, timeout=10),
        lambda: stub.GetMetrics(pb.GetMetricsRequest(tenant_id="rival"), metadata=read, timeout=10),
        lambda: stub.GetMetrics(pb.GetMetricsRequest(), metadata=read, timeout=10),  # "default"
        lambda: stub.UpdateTenantSettings(
            pb.UpdateTenantSettingsRequest(settings=pb.TenantSettings(tenant_id="rival")),
            metadata=write,
            timeout=10,
        ),
    ):
        code, details = _code(call)
        assert code == grpc.StatusCode.PERMISSION_DENIED and "may not access tenant" in details
    # An all-tenants key reaches every tenant.
    assert stub.IngestTicket(_ingest("rival"), metadata=admin, timeout=10).outcome == (
        pb.INGEST_OUTCOME_CREATED
    )
    # A foreign tenant's item in a stream is refused on its own; the rest is stored.
    stream = [_ingest("shop", "s1"), _ingest("shop", "s2"), _ingest("rival", "s3")]
    stream += [_ingest("shop", "s4")]
    report = stub.IngestTickets(iter(stream), metadata=write, timeout=10)
    assert (report.created, report.rejected) == (3, 1)
    (error,) = report.errors
    assert (error.index, error.external_id) == (2, "s3")
    assert error.reason.startswith("permission denied") and "'rival'" in error.reason
    listed = stub.ListTickets(pb.ListTicketsRequest(tenant_id="rival"), metadata=admin, timeout=10)
    assert [t.ticket.external_id for t in listed.tickets] == ["t1"]
    shop = stub.ListTickets(pb.ListTicketsRequest(tenant_id="shop"), metadata=read, timeout=10)
    assert sorted(t.ticket.external_id for t in shop.tickets) == ["s1", "s2", "s4", "t1"]


def test_revoked_keys_stop_working_and_secrets_are_hashed(secured) -> None:
    srv, stub, _, tokens = secured
    stub.IngestTicket(_ingest("shop"), metadata=_bearer(tokens["shop_write"]), timeout=10)
    request = pb.GetMetricsRequest(tenant_id="shop")
    assert stub.GetMetrics(request, metadata=_bearer(tokens["shop_read"]), timeout=10)
    key_id = tokens["shop_read"].split("_")[1]
    srv.app.api_keys.revoke(key_id)
    code, _ = _code(lambda: stub.GetMetrics(request, metadata=_bearer(tokens["shop_read"])))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    with srv.app.engine.connect() as conn:
        stored = conn.execute(select(api_keys.c.secret_hash)).scalars().all()
    assert len(stored) == 3
    for token in tokens.values():
        secret = token.split("_", 2)[2]
        assert all(secret not in h and len(h) == 64 for h in stored)


def test_health_and_reflection_stay_open_unless_configured(secured, settings) -> None:
    _, _, channel, _ = secured
    health = health_pb2_grpc.HealthStub(channel)
    reply = health.Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    closed = Server(replace(settings, port=0, auth="keys", auth_open_services="")).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{closed.port}") as other:
            stub = health_pb2_grpc.HealthStub(other)
            code, _ = _code(lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=10))
            assert code == grpc.StatusCode.UNAUTHENTICATED
    finally:
        closed.stop(grace=1)
    with pytest.raises(ValueError, match="--auth"):
        Server(replace(settings, auth="maybe"))


def test_keys_command_creates_lists_and_revokes(tmp_path, capsys) -> None:
    db = fresh_db(tmp_path, "keys")
    assert main(["keys", "create", "--tenant", "shop", "--scope", "write", "--db", db]) == 0
    created = capsys.readouterr().out.splitlines()
    key_id, token = created[0].split()[1], created[1]
    assert token.startswith(f"tm_{key_id}_")
    assert main(["keys", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "write" in listed and "active" in listed
    assert token.split("_", 2)[2] not in listed
    assert main(["keys", "revoke", key_id, "--db", db]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "revoke", "nope", "--db", db]) == 2
