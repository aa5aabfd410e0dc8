"""Tenants are known things: ListTenants names them (paged, counted, scoped to the
caller's key), and every read of a tenant never seen is NOT_FOUND instead of zeros,
consistently across replicas on one database."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_helpers import BASE, good_ticket, ts, violations
from grpc_status import rpc_status

from ticketminer.api.tenant_reads import TENANT_READS
from ticketminer.domain.api_keys import ALL_TENANTS, Scope
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

# One well-formed request per tenant-reading RPC, for a given tenant.
READS = {
    "GetTicket": lambda t: pb.GetTicketRequest(tenant_id=t, external_id="T-1"),
    "ListTickets": lambda t: pb.ListTicketsRequest(tenant_id=t),
    "GetMetrics": lambda t: pb.GetMetricsRequest(tenant_id=t),
    "ListIssues": lambda t: pb.ListIssuesRequest(tenant_id=t),
    "GetIssue": lambda t: pb.GetIssueRequest(tenant_id=t, issue_id="1"),
    "ReclusterIssues": lambda t: pb.ReclusterIssuesRequest(tenant_id=t),
    "ListAnomalies": lambda t: pb.ListAnomaliesRequest(tenant_id=t),
    "GetAnomaly": lambda t: pb.GetAnomalyRequest(tenant_id=t, anomaly_id="1"),
    "ScanAnomalies": lambda t: pb.ScanAnomaliesRequest(tenant_id=t),
    "GetWeeklyDigest": lambda t: pb.GetWeeklyDigestRequest(tenant_id=t, iso_week="2026-W10"),
    "GetCustomerInsights": lambda t: pb.GetCustomerInsightsRequest(tenant_id=t),
}


def _stub(server: Server) -> tuple[grpc.Channel, pb_grpc.TicketMinerStub]:
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    return channel, pb_grpc.TicketMinerStub(channel)


@pytest.fixture
def served(settings):
    srv = Server(settings).start()
    channel, stub = _stub(srv)
    try:
        yield srv, stub
    finally:
        channel.close()
        srv.stop(grace=1)


def _ingest(stub, tenant: str, external_id: str, minutes: float) -> None:
    ticket = good_ticket(external_id, tenant_id=tenant, created_at=ts(minutes))
    ticket.ClearField("messages")
    ticket.ClearField("solved_at")
    ticket.status = pb.TICKET_STATUS_OPEN
    stub.IngestTicket(pb.IngestTicketRequest(ticket=ticket), timeout=10)


def _configure(stub, tenant: str, metadata=()) -> None:
    settings = pb.TenantSettings(tenant_id=tenant, fcr_variant=pb.FCR_VARIANT_NO_CUSTOMER_FOLLOWUP)
    stub.UpdateTenantSettings(
        pb.UpdateTenantSettingsRequest(settings=settings), metadata=metadata, timeout=10
    )


def _unknown_tenant(err: grpc.RpcError) -> str | None:
    """The tenant named by the error's ResourceInfo, when it is an unknown-tenant error."""
    status = rpc_status.from_call(err)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            info = error_details_pb2.ResourceInfo()
            detail.Unpack(info)
            if info.resource_type == "ticketminer.v1.Tenant":
                return info.resource_name
    return None


def _call(stub, method: str, tenant: str, metadata=()):
    return getattr(stub, method)(READS[method](tenant), metadata=metadata, timeout=30)


def _listed(stub, page_size: int = 0, metadata=()) -> tuple[list[pb.TenantSummary], int]:
    """Every tenant ListTenants shows, page by page, and how many pages it took."""
    out: list[pb.TenantSummary] = []
    token, pages = "", 0
    while True:
        request = pb.ListTenantsRequest(page_size=page_size, page_token=token)
        page = stub.ListTenants(request, metadata=metadata, timeout=10)
        out.extend(page.tenants)
        pages += 1
        token = page.next_page_token
        if not token:
            return out, pages


def test_the_table_covers_every_tenant_read() -> None:
    assert set(READS) == TENANT_READS
    names = {m.name for m in pb.DESCRIPTOR.services_by_name["TicketMiner"].methods}
    assert names >= TENANT_READS


@pytest.mark.parametrize("method", sorted(READS))
def test_a_tenant_never_seen_is_not_found(served, method: str) -> None:
    _, stub = served
    _ingest(stub, "acme", "T-1", 0)
    with pytest.raises(grpc.RpcError) as err:
        _call(stub, method, "acme-typo")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "'acme-typo'" in err.value.details() and "ListTenants" in err.value.details()
    assert _unknown_tenant(err.value) == "acme-typo"
    # The same request on the tenant that exists is not refused for its tenant (it may
    # still be NOT_FOUND for its issue or anomaly, or not yet possible on one ticket).
    try:
        _call(stub, method, "acme")
    except grpc.RpcError as other:
        assert _unknown_tenant(other) is None, other.details()


def test_an_empty_tenant_id_reads_the_default_tenant(served) -> None:
    _, stub = served
    with pytest.raises(grpc.RpcError) as err:
        stub.GetMetrics(pb.GetMetricsRequest(), timeout=10)
    assert _unknown_tenant(err.value) == "default"
    _ingest(stub, "", "T-1", 0)
    assert stub.ListTickets(pb.ListTicketsRequest(), timeout=10).total_size == 1


def test_a_tenant_may_be_configured_before_its_first_ticket(served) -> None:
    _, stub = served
    fresh = stub.GetTenantSettings(pb.GetTenantSettingsRequest(tenant_id="newco"), timeout=10)
    assert fresh.tenant_id == "newco"
    # Reading settings creates nothing: the tenant is still unknown.
    with pytest.raises(grpc.RpcError) as err:
        stub.GetMetrics(pb.GetMetricsRequest(tenant_id="newco"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    _configure(stub, "newco")
    report = stub.GetMetrics(pb.GetMetricsRequest(tenant_id="newco"), timeout=10)
    assert report.overall.volume == 0
    (summary,) = _listed(stub)[0]
    assert (summary.tenant_id, summary.ticket_count) == ("newco", 0)
    assert not summary.HasField("first_ticket_at") and not summary.HasField("last_ticket_at")


def test_list_tenants_pages_in_order_with_counts_and_times(served) -> None:
    _, stub = served
    assert _listed(stub) == ([], 1)
    for tenant, count in (("delta", 1), ("alpha", 3), ("charlie", 2)):
        for i in range(count):
            _ingest(stub, tenant, f"{tenant}-{i}", minutes=60 * i + len(tenant))
    _configure(stub, "bravo")  # settings only
    _configure(stub, "alpha")  # settings and tickets: listed once
    tenants, pages = _listed(stub, page_size=2)
    assert pages == 2
    assert [(t.tenant_id, t.ticket_count) for t in tenants] == [
        ("alpha", 3),
        ("bravo", 0),
        ("charlie", 2),
        ("delta", 1),
    ]
    alpha = tenants[0]
    assert alpha.first_ticket_at.seconds == BASE + 5 * 60
    assert alpha.last_ticket_at.seconds == BASE + (120 + 5) * 60
    assert _listed(stub, page_size=1000) == (tenants, 1)
    assert _listed(stub, page_size=4) == (tenants, 1)
    assert _listed(stub, page_size=3)[1] == 2


@pytest.mark.parametrize(
    ("request_", "field", "words"),
    [
        (pb.ListTenantsRequest(page_size=1001), "page_size", "between 1 and 1000"),
        (pb.ListTenantsRequest(page_token="not-a-token"), "page_token", "not a valid"),
    ],
)
def test_list_tenants_refuses_bad_paging(served, request_, field: str, words: str) -> None:
    _, stub = served
    with pytest.raises(grpc.RpcError) as err:
        stub.ListTenants(request_, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in violations(err.value)[field]


def test_a_tenant_made_on_another_replica_is_found(settings) -> None:
    """Two servers on one database: a miss is never cached, so the second replica
    finds the tenant the first one just created."""
    first, second = Server(settings).start(), Server(replace(settings, port=0)).start()
    channels = []
    try:
        (ch1, one), (ch2, two) = _stub(first), _stub(second)
        channels += [ch1, ch2]
        with pytest.raises(grpc.RpcError) as err:
            two.ListTickets(pb.ListTicketsRequest(tenant_id="acme"), timeout=10)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        _ingest(one, "acme", "T-1", 0)
        listed = two.ListTickets(pb.ListTicketsRequest(tenant_id="acme"), timeout=10)
        assert listed.total_size == 1
        _configure(one, "betaco")
        assert two.GetMetrics(pb.GetMetricsRequest(tenant_id="betaco"), timeout=10)
        assert [t.tenant_id for t in _listed(two)[0]] == ["acme", "betaco"]
    finally:
        for channel in channels:
            channel.close()
        first.stop(grace=1)
        second.stop(grace=1)


@pytest.fixture
def secured(settings):
    srv = Server(replace(settings, auth="keys")).start()
    keys = srv.app.api_keys
    tokens = {
        "shop": keys.create(["shop", "ghost"], Scope.READ)[1],
        "writer": keys.create(["shop"], Scope.WRITE)[1],
        "admin": keys.create([ALL_TENANTS], Scope.WRITE)[1],
    }
    channel, stub = _stub(srv)
    try:
        yield stub, {k: (("authorization", f"Bearer {v}"),) for k, v in tokens.items()}
    finally:
        channel.close()
        srv.stop(grace=1)


def test_list_tenants_shows_only_the_keys_tenants(secured) -> None:
    stub, keys = secured
    owners = [("shop", "writer"), ("rival", "admin"), ("other", "admin")]
    for tenant, key in owners:
        ticket = good_ticket("T-1", tenant_id=tenant)
        stub.IngestTicket(pb.IngestTicketRequest(ticket=ticket), metadata=keys[key], timeout=10)
    _configure(stub, "zulu", keys["admin"])
    admin, _ = _listed(stub, page_size=1, metadata=keys["admin"])
    assert [t.tenant_id for t in admin] == ["other", "rival", "shop", "zulu"]
    # "ghost" is on the key but unknown: it is not listed.
    shop, pages = _listed(stub, page_size=1, metadata=keys["shop"])
    assert ([t.tenant_id for t in shop], pages) == (["shop"], 1)
    assert shop[0].ticket_count == 1
    # A page token is bound to the key's tenants: it cannot page another key's view.
    token = stub.ListTenants(
        pb.ListTenantsRequest(page_size=1), metadata=keys["admin"], timeout=10
    ).next_page_token
    with pytest.raises(grpc.RpcError) as err:
        stub.ListTenants(pb.ListTenantsRequest(page_token=token), metadata=keys["shop"])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A key that may not read a tenant hears PERMISSION_DENIED, whether the tenant
    # exists or not: NOT_FOUND would tell it which tenants exist.
    for tenant in ("rival", "nobody"):
        with pytest.raises(grpc.RpcError) as err:
            stub.GetMetrics(pb.GetMetricsRequest(tenant_id=tenant), metadata=keys["shop"])
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        stub.GetMetrics(pb.GetMetricsRequest(tenant_id="ghost"), metadata=keys["shop"])
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_directory_caches_positives_only(app, monkeypatch) -> None:
    """A known tenant costs no query after its first read; an unknown one asks the
    database every time (another replica may have created it meanwhile)."""
    from ticketminer.services import tenant_directory
    from ticketminer.store.tenants_repo import tenant_exists

    asked: list[str] = []

    def counting(conn, tenant_id: str) -> bool:
        asked.append(tenant_id)
        return tenant_exists(conn, tenant_id)

    monkeypatch.setattr(tenant_directory, "tenant_exists", counting)
    directory = app.directory
    for _ in range(3):
        assert not directory.exists("acme")
    app.tenants.update(replace(app.tenants.get("acme"), time_zone="Asia/Shanghai"))
    for _ in range(3):
        directory.require("acme")
    assert asked == ["acme"] * 4
