"""Deleting tickets and customers, and retention: the data is gone from every table
(and from the SQLite file bytes), every replica's metrics and lists stop counting it,
and the audit log records each deletion without ids or text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import grpc
import numpy as np
import pytest
from builders import agent, customer, msg, ticket
from databases import on_postgres
from grpc_helpers import violations
from sqlalchemy import Engine, String, Text, func, insert, inspect, select, text

from ticketminer.app import App
from ticketminer.domain.api_keys import Scope
from ticketminer.domain.erasure import RETENTION_ACTOR, Action, SubjectKind, subject_hash
from ticketminer.domain.errors import InvalidArgument, NotFound
from ticketminer.domain.filters import MetricsQuery, TicketFilter
from ticketminer.domain.model import AuthorRole, TicketStatus
from ticketminer.domain.tenant_settings import TenantSettings
from ticketminer.domain.timeutil import to_us, utc_now
from ticketminer.server import Server
from ticketminer.services.erasure import ErasureService, RetentionLoop
from ticketminer.store.audit_repo import entries
from ticketminer.store.schema import (
    anomalies,
    issues,
    ticket_issue_history,
    ticket_issues,
    ticket_sentiment,
    ticket_vectors,
    tickets,
)
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TENANT = "shop"
MARKER = "zqxmarker7731"  # lowercase: tokens are stored lowercased too
CUSTOMER = "zqxcustomer42"


def _customer_ticket(i: int):
    body = f"my parcel {MARKER} never came, order {MARKER}-{i}"
    return ticket(
        f"erase-{i}",
        i * 60,
        msg(AuthorRole.CUSTOMER, i * 60, body=body),
        agent(i * 60 + 30),
        status=TicketStatus.SOLVED,
        solved=i * 60 + 90,
        tenant_id=TENANT,
        customer_id=CUSTOMER,
        subject=f"Where is {MARKER}?",
        attributes={"note": MARKER},
        tags=[MARKER],
    )


def _other_ticket(i: int):
    return ticket(
        f"keep-{i}",
        i * 60,
        customer(i * 60),
        agent(i * 60 + 30),
        tenant_id=TENANT,
        customer_id=f"c{i}",
        subject="Refund question",
    )


def _seed(app: App, mine: int = 3, others: int = 5) -> list[int]:
    """Tickets of the customer and of others, plus the derived rows that ingest alone
    does not write (vectors, sentiment, assignment history, an issue and an anomaly
    pointing at the customer's tickets). Returns the customer's ticket pks."""
    for i in range(mine):
        app.tickets.ingest(_customer_ticket(i))
    for i in range(others):
        app.tickets.ingest(_other_ticket(i))
    with app.engine.begin() as conn:
        pks = list(
            conn.execute(select(tickets.c.pk).where(tickets.c.customer_id == CUSTOMER)).scalars()
        )
        now = to_us(utc_now())
        for pk in pks:
            conn.execute(
                insert(ticket_vectors).values(
                    ticket_pk=pk,
                    tenant_id=TENANT,
                    model="m",
                    text_hash="h",
                    ticket_version=1,
                    vector=MARKER.encode(),
                )
            )
            conn.execute(
                insert(ticket_sentiment).values(ticket_pk=pk, tenant_id=TENANT, score=-0.5)
            )
            conn.execute(
                insert(ticket_issue_history).values(
                    ticket_pk=pk,
                    issue_id=1,
                    confidence=0.9,
                    model_version=1,
                    assigned_us=now,
                    replaced_us=now,
                )
            )
        conn.execute(
            insert(issues).values(
                tenant_id=TENANT,
                issue_id=1,
                status="active",
                label="parcel",
                terms_json="[]",
                representative_pk=pks[0],
                size=len(pks),
                cluster_index=0,
                born_model_version=1,
                model_version=1,
                born_us=now,
                updated_us=now,
            )
        )
        evidence = ["erase-0", "keep-0"]
        cause = {"dims": [["channel", "email"]], "observed": 2.0, "expected": 1.0}
        cause |= {"explained_share": 1.0, "lift": 2.0, "support": 2, "pvalue": 0.01}
        payload = {"root_causes": [cause | {"score": 1.0, "evidence": evidence}]}
        payload |= {"terms": [], "evidence": evidence, "summary": "", "issue_ids": []}
        payload["series"] = []
        conn.execute(
            insert(anomalies).values(
                tenant_id=TENANT,
                kind=1,
                metric="volume",
                status=1,
                severity=1,
                start_us=now,
                detected_us=now,
                updated_us=now,
                observed=1.0,
                expected=0.5,
                pvalue=0.01,
                score=3.0,
                tickets=2,
                payload=json.dumps(payload),
            )
        )
    return pks


def _text_hits(engine: Engine, needle: str) -> list[str]:
    """table.column of every text column of every table holding `needle`."""
    found = []
    insp = inspect(engine)
    with engine.connect() as conn:
        for table in insp.get_table_names():
            for col in insp.get_columns(table):
                if not isinstance(col["type"], String | Text):
                    continue
                query = text(f'SELECT count(*) FROM {table} WHERE "{col["name"]}" LIKE :n')
                if conn.execute(query, {"n": f"%{needle}%"}).scalar():
                    found.append(f"{table}.{col['name']}")
    return found


def _file_bytes(app: App) -> bytes:
    path = Path(app.engine.url.database or "")
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _rows_of(engine: Engine, pks: list[int]) -> dict[str, int]:
    side = (ticket_vectors, ticket_sentiment, ticket_issue_history, ticket_issues)
    with engine.connect() as conn:
        out = {
            t.name: conn.execute(
                select(func.count()).select_from(t).where(t.c.ticket_pk.in_(pks))
            ).scalar_one()
            for t in side
        }
        out["tickets"] = conn.execute(
            select(func.count()).select_from(tickets).where(tickets.c.pk.in_(pks))
        ).scalar_one()
    return out


def test_deleting_a_customer_leaves_no_trace(app: App) -> None:
    pks = _seed(app)
    assert _text_hits(app.engine, MARKER)  # the check can see it while it is there
    if not on_postgres():
        assert MARKER.encode() in _file_bytes(app).lower()

    assert app.erasure.delete_customer(TENANT, CUSTOMER, actor="key-1") == 3

    assert set(_rows_of(app.engine, pks).values()) == {0}
    assert _text_hits(app.engine, MARKER) == []
    assert _text_hits(app.engine, CUSTOMER) == []
    with app.engine.connect() as conn:
        assert conn.execute(select(issues.c.representative_pk)).scalars().all() == [None]
        payload = json.loads(conn.execute(select(anomalies.c.payload)).scalar_one())
    assert payload["evidence"] == ["keep-0"]
    assert payload["root_causes"][0]["evidence"] == ["keep-0"]
    if not on_postgres():
        data = _file_bytes(app).lower()
        assert MARKER.encode() not in data
        assert CUSTOMER.encode() not in data
    assert app.tickets.list(TENANT, TicketFilter()).total_size == 5


def test_audit_entries_hold_no_ids_or_text(app: App) -> None:
    _seed(app)
    app.erasure.delete_ticket(TENANT, "keep-1", actor="key-7")
    app.erasure.delete_customer(TENANT, CUSTOMER)
    with app.engine.connect() as conn:
        found = entries(conn, TENANT)
    assert [(e.action, e.subject_kind, e.count, e.actor) for e in found] == [
        (Action.DELETE_TICKET, SubjectKind.TICKET, 1, "key-7"),
        (Action.DELETE_CUSTOMER, SubjectKind.CUSTOMER, 3, "anonymous"),
    ]
    assert found[1].subject_hash == subject_hash(TENANT, CUSTOMER)
    assert _text_hits(app.engine, "keep-1") == []
    assert _text_hits(app.engine, CUSTOMER) == []


def test_unknown_ticket_is_not_found_and_empty_ids_are_refused(app: App) -> None:
    _seed(app, mine=1, others=1)
    with pytest.raises(NotFound):
        app.erasure.delete_ticket(TENANT, "no-such")
    with pytest.raises(InvalidArgument) as bad:
        app.erasure.delete_customer(TENANT, "")
    assert [v.field for v in bad.value.violations] == ["customer_id"]
    assert app.erasure.delete_customer(TENANT, "nobody") == 0
    with app.engine.connect() as conn:
        assert entries(conn, TENANT) == []  # nothing deleted, nothing to audit


def test_a_second_replica_stops_counting_deleted_tickets(settings) -> None:
    first, second = App.open(settings), App.open(settings)
    try:
        _seed(first)
        flt = TicketFilter()
        assert second.tickets.list(TENANT, flt).total_size == 8
        by_customer = replace(flt, customer_id=CUSTOMER)
        assert second.tickets.list(TENANT, by_customer).total_size == 3
        before = second.metrics.get_metrics(MetricsQuery(TENANT)).overall.volume

        assert first.erasure.delete_customer(TENANT, CUSTOMER) == 3
        assert second.tickets.list(TENANT, flt).total_size == 5
        assert second.tickets.list(TENANT, by_customer).total_size == 0
        assert second.metrics.get_metrics(MetricsQuery(TENANT)).overall.volume == before - 3

        # The newest ticket deleted, then a new one: SQLite may hand out its pk again,
        # and the replica must count the new ticket, not keep it deleted.
        newest_pk = first.tickets.get(TENANT, "keep-4").pk
        first.erasure.delete_ticket(TENANT, "keep-4")
        assert second.tickets.list(TENANT, flt).total_size == 4
        first.tickets.ingest(_other_ticket(9))
        page = second.tickets.list(TENANT, flt)
        assert page.total_size == 5
        assert "keep-9" in {t.ticket.external_id for t in page.tickets}
        if not on_postgres():  # the case this checks did happen
            assert first.tickets.get(TENANT, "keep-9").pk == newest_pk
    finally:
        first.close()
        second.close()


def test_retention_deletes_old_tickets_in_batches_and_keeps_new_ones(app: App) -> None:
    now = utc_now()
    old = [(f"old-{i}", now - timedelta(days=40 + i)) for i in range(5)]
    new = [(f"new-{i}", now - timedelta(days=10 - i)) for i in range(3)]
    for external_id, created in old + new:
        app.tickets.ingest(
            replace(ticket(external_id, 0, tenant_id=TENANT, customer_id="c"), created_at=created)
        )
    app.tenants.update(TenantSettings(TENANT, retention_days=30), ("retention_days",))
    erasure = ErasureService(app.engine, app.tenants.get, batch=2)

    ran = RetentionLoop(erasure, app.facts.known_tenants, 0).run_once()

    assert ran == [TENANT]
    kept = app.tickets.list(TENANT, TicketFilter()).tickets
    assert sorted(t.ticket.external_id for t in kept) == sorted(e for e, _ in new)
    with app.engine.connect() as conn:
        found = entries(conn, TENANT)
    assert [e.count for e in found] == [2, 2, 1]  # one entry per batch
    assert {(e.action, e.actor) for e in found} == {(Action.RETENTION, RETENTION_ACTOR)}
    assert _text_hits(app.engine, "old-") == []
    # A tenant without a window is not due; nothing more to delete is 0.
    assert not erasure.retention_due("elsewhere")
    assert erasure.apply_retention(TENANT) == 0


def test_retention_days_are_checked_and_stored(app: App) -> None:
    with pytest.raises(InvalidArgument) as bad:
        app.tenants.update(TenantSettings(TENANT, retention_days=40_000), ("retention_days",))
    assert [v.field for v in bad.value.violations] == ["settings.retention_days"]
    app.tenants.update(TenantSettings(TENANT, retention_days=90), ("retention_days",))
    assert app.tenants.get(TENANT).retention_days == 90


@pytest.fixture
def secured(settings):
    srv = Server(replace(settings, auth="keys", anomaly_scan_seconds=0)).start()
    keys = srv.app.api_keys
    admin, admin_token = keys.create([TENANT], Scope.WRITE)
    tokens = {"read": keys.create([TENANT], Scope.READ)[1], "write": admin_token}
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield srv, pb_grpc.TicketMinerStub(channel), tokens, admin.key_id
    finally:
        srv.stop(grace=1)


def _as(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def _error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_the_delete_rpcs_over_grpc(secured) -> None:
    srv, stub, tokens, admin_id = secured
    _seed(srv.app, mine=2, others=2)
    write, read = _as(tokens["write"]), _as(tokens["read"])

    bad = [
        (stub.DeleteTicket, pb.DeleteTicketRequest(tenant_id=TENANT), "external_id"),
        (stub.DeleteCustomerData, pb.DeleteCustomerDataRequest(tenant_id=TENANT), "customer_id"),
        (
            stub.DeleteCustomerData,
            pb.DeleteCustomerDataRequest(tenant_id=TENANT, customer_id="a\x00b"),
            "customer_id",
        ),
        (
            stub.DeleteTicket,
            pb.DeleteTicketRequest(tenant_id=TENANT, external_id="x" * 5000),
            "external_id",
        ),
    ]
    for method, request, field in bad:
        err = _error(lambda m=method, r=request: m(r, metadata=write, timeout=10))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
        assert field in violations(err), violations(err)

    gone = pb.DeleteTicketRequest(tenant_id=TENANT, external_id="no-such")
    err = _error(lambda: stub.DeleteTicket(gone, metadata=write, timeout=10))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    mine = pb.DeleteCustomerDataRequest(tenant_id=TENANT, customer_id=CUSTOMER)
    err = _error(lambda: stub.DeleteCustomerData(mine, metadata=read, timeout=10))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED

    assert stub.DeleteCustomerData(mine, metadata=write, timeout=10).deleted == 2
    assert stub.DeleteCustomerData(mine, metadata=write, timeout=10).deleted == 0
    one = pb.DeleteTicketRequest(tenant_id=TENANT, external_id="keep-0")
    assert stub.DeleteTicket(one, metadata=write, timeout=10).deleted == 1
    listed = stub.ListTickets(pb.ListTicketsRequest(tenant_id=TENANT), metadata=read, timeout=10)
    assert sorted(t.ticket.external_id for t in listed.tickets) == ["keep-1"]
    with srv.app.engine.connect() as conn:
        assert [e.actor for e in entries(conn, TENANT)] == [admin_id, admin_id]

    settings = pb.TenantSettings(tenant_id=TENANT, retention_days=40_000)
    update = pb.UpdateTenantSettingsRequest(settings=settings)
    update.update_mask.paths.append("retention_days")
    err = _error(lambda: stub.UpdateTenantSettings(update, metadata=write, timeout=10))
    assert "settings.retention_days" in violations(err)
    update.settings.retention_days = 30
    assert stub.UpdateTenantSettings(update, metadata=write, timeout=10).retention_days == 30


def test_a_catch_up_keeps_whichever_of_row_and_tombstone_is_newer() -> None:
    """Rows and tombstones read in one catch-up: a tombstone newer than a row deletes
    it; a row newer than a tombstone of its pk is a new ticket on a reused pk."""
    from ticketminer.metrics.facts_table import _EMPTY_ROWS
    from ticketminer.services.facts_cache import _newest_of

    columns = {name: getattr(_EMPTY_ROWS, name) for name in _EMPTY_ROWS.__dataclass_fields__}
    zeros = {k: np.zeros(3, v.dtype) for k, v in columns.items() if isinstance(v, np.ndarray)}
    rows = replace(
        _EMPTY_ROWS,
        **zeros | {"pk": np.array([1, 2, 3]), "version": np.array([5, 6, 7])},
        channel=["a", "b", "c"],
        customer_id=["x", "y", "z"],
    )
    kept, gone = _newest_of(rows, np.array([2, 3, 9]), np.array([8, 4, 3]))
    assert kept.pk.tolist() == [1, 3]
    assert kept.channel == ["a", "c"]
    assert sorted(gone.tolist()) == [2, 9]
