"""Acknowledged means durable: kill -9 the server right after the last of many
concurrent acknowledgements (with other calls still in flight), restart it on the
same SQLite file, and find every acknowledged ticket with the acknowledged content."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from databases import fresh_db, on_postgres
from durability_load import (
    RPC_TIMEOUT,
    TARGET_ACKS,
    TENANT,
    UPDATE_EVERY,
    WORKERS,
    Load,
    copy_db,
    integrity_check,
    list_all,
    make_ticket,
    version_of,
)
from google.protobuf import json_format
from server_process import ServerProcess

from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

pytestmark = pytest.mark.e2e


def test_every_acknowledged_ticket_survives_kill_9(tmp_path):
    db = fresh_db(tmp_path, "t")
    server = ServerProcess(db).start()
    load = Load(server.address)
    try:
        with load.running():
            assert load.enough.wait(timeout=40), f"too slow: {load.ack_count} acks\n{server.log}"
            assert server.kill9() == -9
            with load.lock:
                acked = dict(load.acked)
                maybe = {ext: v for ext, v in load.in_flight.values()}
    finally:
        if server.running:
            server.kill9()
    assert not load.unexpected, load.unexpected[:10]
    assert len(acked) >= TARGET_ACKS * (UPDATE_EVERY - 1) // UPDATE_EVERY - WORKERS
    assert any(v > 0 for v in acked.values()), "some acknowledged calls were updates"
    assert "stopped" not in [e.get("event") for e in server.events()]

    if not on_postgres():
        # The crashed file (with its WAL) is a sound database.
        assert integrity_check(copy_db(Path(db), tmp_path / "crashed")) == "ok"

    with ServerProcess(db) as again, grpc.insecure_channel(again.address) as channel:
        stub = pb_grpc.TicketMinerStub(channel)
        for ext, version in sorted(acked.items()):
            got = stub.GetTicket(
                pb.GetTicketRequest(tenant_id=TENANT, external_id=ext), timeout=RPC_TIMEOUT
            )
            stored = version_of(got.ticket)
            # The acknowledged version, or the newer one whose answer the kill cut off.
            allowed = {version} | ({maybe[ext]} if ext in maybe else set())
            assert stored in allowed, f"{ext}: stored v{stored}, acknowledged v{version}"
            expected = make_ticket(ext, stored)
            assert json_format.MessageToDict(got.ticket) == json_format.MessageToDict(expected)

        listed = {v.ticket.external_id: v.ticket for v in list_all(stub)}
        # Every acknowledged ticket, plus at most the in-flight new ones; no duplicates.
        assert set(acked) <= set(listed)
        assert set(listed) - set(acked) <= set(maybe)
        for ext, ticket in listed.items():
            assert ticket == make_ticket(ext, version_of(ticket))
        metrics = stub.GetMetrics(pb.GetMetricsRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT)
        assert metrics.overall.volume == len(listed)
    if not on_postgres():
        assert integrity_check(Path(db)) == "ok"
