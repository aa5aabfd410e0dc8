"""The HTTP/JSON gateway (Connect protocol, unary JSON) against a real server on
loopback, over real HTTP: every RPC answers as it does over gRPC, errors carry the
same codes and field violations, keys and tenants are enforced, IngestTickets takes
NDJSON and JSON arrays item by item, bodies over the message limit are 413, TLS
works, and /openapi.json describes every RPC."""

from __future__ import annotations

import base64
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest
from certs import make_ca, make_leaf
from databases import fresh_db
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from http_client import SERVICE_PATH, request, rpc

from ticketminer.api.handlers import SERVICE
from ticketminer.config import Settings
from ticketminer.domain.api_keys import Scope
from ticketminer.http.errors import HTTP_STATUS, connect_code
from ticketminer.http.gateway import service_rpcs
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb

NDJSON = "application/x-ndjson"


def _ticket(external_id: str, **more) -> dict:
    return {
        "tenant_id": "acme",
        "external_id": external_id,
        "created_at": "2026-03-02T09:00:00+08:00",
        "channel": "email",
        "subject": f"Parcel {external_id} not delivered",
        "status": "TICKET_STATUS_OPEN",
        "attributes": {"carrier": "SF"},
        "messages": [
            {
                "author_role": "AUTHOR_ROLE_CUSTOMER",
                "created_at": "2026-03-02T09:00:00+08:00",
                "body": "Where is my parcel?",
                "public": True,
            }
        ],
        **more,
    }


# One request per RPC whose answer does not change what is stored, so the gRPC and
# the HTTP call see the same state: writes are sent invalid (their success is tested
# below). A new RPC fails test_every_rpc_has_a_sample until it gets one here.
SAMPLES: dict[str, dict | list] = {
    "IngestTicket": {"ticket": {"tenant_id": "acme", "created_at": "2026-03-02T09:00:00Z"}},
    "IngestTickets": [{"ticket": {"tenant_id": "acme", "external_id": "no-date"}}],
    "GetTicket": {"tenant_id": "acme", "external_id": "T1"},
    "ListTickets": {"tenant_id": "acme", "filter": {"channels": ["email"]}, "page_size": 5},
    "GetMetrics": {"tenant_id": "acme", "group_by": "attributes.carrier"},
    "ListIssues": {"tenant_id": "acme"},
    "GetIssue": {"tenant_id": "acme", "issue_id": "999"},
    "ReclusterIssues": {"tenant_id": "x" * 300},
    "ListAnomalies": {"tenant_id": "acme"},
    "GetAnomaly": {"tenant_id": "acme", "anomaly_id": "999"},
    "ScanAnomalies": {"tenant_id": "x" * 300},
    "GetWeeklyDigest": {"tenant_id": "acme", "iso_week": "2026-W99"},
    "GetCustomerInsights": {"tenant_id": "acme", "top": 3},
    "GetTenantSettings": {"tenant_id": "acme"},
    "UpdateTenantSettings": {
        "settings": {"tenant_id": "acme", "time_zone": "Mars/Olympus_Mons"},
        "update_mask": "timeZone",
    },
    "ListTenants": {},
    "PutDigestSchedule": {"schedule": {"tenant_id": "x" * 300}},
    "ListDigestSchedules": {"tenant_id": "acme"},
    "DeleteDigestSchedule": {"tenant_id": "acme", "schedule_id": "no-such-schedule"},
    "ListDigestDeliveries": {"tenant_id": "acme"},
    "DeleteTicket": {"tenant_id": "acme", "external_id": "no-such-ticket"},
    "DeleteCustomerData": {"tenant_id": "acme", "customer_id": ""},
}


def _start(settings: Settings, **changes) -> Server:
    return Server(replace(settings, http_port=0, **changes)).start()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, grpc.Channel]]:
    """One server with two tickets, for the tests that only read or send bad writes."""
    db = fresh_db(tmp_path_factory.mktemp("http"), "h")
    srv = _start(Settings(port=0, db_url=db, grace_seconds=1))
    try:
        for external_id in ("T1", "T2"):
            answer = rpc(srv.http_port, "IngestTicket", {"ticket": _ticket(external_id)})
            assert answer.status == 200, answer.body
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            yield srv, channel
    finally:
        srv.stop(grace=1)


def _grpc_call(channel: grpc.Channel, name: str, sample: dict | list):
    """(response message or None, RpcError or None) for the sample over gRPC."""
    found = next(r for r in service_rpcs() if r.name == name)
    items = sample if isinstance(sample, list) else [sample]
    wire = [json_format.ParseDict(item, found.input()).SerializeToString() for item in items]
    try:
        if found.client_streaming:
            answer = channel.stream_unary(found.path)(iter(wire), timeout=30)
        else:
            answer = channel.unary_unary(found.path)(wire[0], timeout=30)
    except grpc.RpcError as exc:
        return None, exc
    return found.output.FromString(answer), None


def _bad_request(detail: dict) -> error_details_pb2.BadRequest:
    """The Connect detail's value (unpadded base64) as a BadRequest."""
    assert detail["type"] == "google.rpc.BadRequest"
    value = detail["value"] + "=" * (-len(detail["value"]) % 4)
    return error_details_pb2.BadRequest.FromString(base64.b64decode(value))


def _grpc_bad_request(exc: grpc.RpcError) -> error_details_pb2.BadRequest | None:
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for packed in status_pb2.Status.FromString(value).details:
                found = error_details_pb2.BadRequest()
                if packed.Unpack(found):
                    return found
    return None


def test_every_rpc_has_a_sample() -> None:
    assert set(SAMPLES) == {m.name for m in SERVICE.methods}


@pytest.mark.parametrize("name", [m.name for m in SERVICE.methods])
def test_every_rpc_answers_over_http_as_over_grpc(served, name) -> None:
    srv, channel = served
    if name not in SAMPLES:
        pytest.fail(f"{name} has no sample request in SAMPLES")
    sample = SAMPLES[name]
    expected, error = _grpc_call(channel, name, sample)
    answer = rpc(srv.http_port, name, sample, headers={"X-Request-Id": f"req-{name}"})
    assert answer.headers.get("x-request-id") == f"req-{name}"
    assert answer.headers["content-type"] == "application/json"
    if error is None:
        assert answer.status == 200, answer.body
        assert json_format.Parse(answer.body, type(expected)()) == expected
        # The canonical mapping: JSON names, not proto names.
        assert "_" not in "".join(answer.json())
        return
    body = answer.json()
    assert answer.status == HTTP_STATUS[error.code()], body
    assert body["code"] == connect_code(error.code())
    assert body.get("message", "") == error.details()
    violations = _grpc_bad_request(error)
    if violations is not None:
        (detail,) = body["details"]
        assert _bad_request(detail) == violations
        debug = json_format.ParseDict(detail["debug"], error_details_pb2.BadRequest())
        assert debug == violations


def test_invalid_argument_names_every_bad_field(served) -> None:
    srv, _ = served
    bad = {"ticket": {"created_at": "2026-03-02T09:00:00Z", "csat": 9}}
    answer = rpc(srv.http_port, "IngestTicket", bad)
    body = answer.json()
    assert answer.status == 400 and body["code"] == "invalid_argument"
    assert body["message"] == (
        "ticket.external_id: is required; ticket.csat: must be between 1 and 5, got 9"
    )
    fields = [v.field for v in _bad_request(body["details"][0]).field_violations]
    assert fields == ["ticket.external_id", "ticket.csat"]
    assert body["details"][0]["debug"]["fieldViolations"][1]["field"] == "ticket.csat"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"ticket": {"createdAt": "yesterday"}}', "ticket.created_at"),
        (b'{"ticket": {"messages": [{"body": 5}]}}', "ticket.messages.body"),
        (b'{"ticket": {"no_such_field": 1}}', "ticket.no_such_field"),
        (b'{"ticket": {"status": "TICKET_STATUS_HAPPY"}}', "ticket.status"),
        (b'{"ticket": ', ""),
        (b"[1, 2]", ""),
        (b'{"ticket": "\xff"}', ""),
    ],
)
def test_json_that_is_no_request_is_invalid_argument_naming_the_field(
    served, payload, field
) -> None:
    srv, _ = served
    answer = rpc(srv.http_port, "IngestTicket", payload)
    body = answer.json()
    assert answer.status == 400 and body["code"] == "invalid_argument", body
    (violation,) = _bad_request(body["details"][0]).field_violations
    assert violation.field == field and violation.description
    assert body["message"].startswith(field or "request body")


def test_not_found_and_unknown_routes(served) -> None:
    srv, _ = served
    answer = rpc(srv.http_port, "GetTicket", {"tenant_id": "acme", "external_id": "nope"})
    assert answer.status == 404 and answer.json()["code"] == "not_found"
    assert "nope" in answer.json()["message"]
    missing = rpc(srv.http_port, "NoSuchRpc", {})
    assert missing.status == 404 and missing.json()["code"] == "not_found"
    get = request(srv.http_port, SERVICE_PATH + "GetTicket", method="GET")
    assert get.status == 405 and get.headers["allow"] == "POST"


def test_content_types(served) -> None:
    srv, _ = served
    text = rpc(srv.http_port, "GetTicket", b"{}", content_type="text/plain")
    assert text.status == 415 and "application/json" in text.headers["accept-post"]
    # Binary protobuf, the Connect protocol's other unary codec: the servicer's bytes.
    wire = pb.GetTicketRequest(tenant_id="acme", external_id="T1").SerializeToString()
    binary = rpc(srv.http_port, "GetTicket", wire, content_type="application/proto")
    assert binary.status == 200 and binary.headers["content-type"] == "application/proto"
    assert pb.GetTicketResponse.FromString(binary.body).ticket.external_id == "T1"
    # An empty JSON body is the empty request.
    empty = rpc(srv.http_port, "ListTenants", b"")
    assert empty.status in (200, 501)


def test_connect_timeout_header(served) -> None:
    srv, _ = served
    sample = {"tenant_id": "acme", "external_id": "T1"}
    fine = rpc(srv.http_port, "GetTicket", sample, headers={"Connect-Timeout-Ms": "20000"})
    assert fine.status == 200
    bad = rpc(srv.http_port, "GetTicket", sample, headers={"Connect-Timeout-Ms": "soon"})
    assert bad.status == 400 and bad.json()["code"] == "invalid_argument"
    gone = rpc(srv.http_port, "GetTicket", sample, headers={"Connect-Timeout-Ms": "0"})
    assert gone.status == 504 and gone.json()["code"] == "deadline_exceeded"


def test_writes_over_http_are_stored_as_over_grpc(served) -> None:
    srv, channel = served
    created = rpc(srv.http_port, "IngestTicket", {"ticket": _ticket("W1", csat=4)})
    assert created.status == 200
    assert created.json()["outcome"] == "INGEST_OUTCOME_CREATED"
    stored, error = _grpc_call(channel, "GetTicket", {"tenant_id": "acme", "external_id": "W1"})
    assert error is None and stored.ticket.csat == 4 and stored.ticket.channel == "email"


def _ingest_body(kind: str, items: list[bytes]) -> tuple[bytes, str]:
    if kind == "ndjson":
        return b"\n".join(items) + b"\n", NDJSON
    return b"[" + b",\n".join(items) + b"]", "application/json"


@pytest.mark.parametrize("kind", ["ndjson", "array"])
def test_ingest_tickets_reports_bad_items_without_sinking_the_batch(served, kind) -> None:
    srv, channel = served
    items = [
        json.dumps({"ticket": _ticket(f"{kind}-1")}).encode(),
        b'{"ticket": {"external_id": "broken", "csat": "five"}}',  # no request at all
        json.dumps({"ticket": {"tenant_id": "acme", "external_id": "no-date"}}).encode(),
        b'{"ticket": nope}',  # not JSON, but balanced: the array still splits
        json.dumps({"ticket": _ticket(f"{kind}-2")}).encode(),
    ]
    body, content_type = _ingest_body(kind, items)
    # Sent in small chunks: the gateway streams items as they arrive.
    chunks = (body[i : i + 7] for i in range(0, len(body), 7))
    answer = request(
        srv.http_port, SERVICE_PATH + "IngestTickets", chunks, content_type=content_type
    )
    report = answer.json()
    assert answer.status == 200, report
    assert report["accepted"] == 2 and report["created"] == 2 and report["rejected"] == 3
    errors = {e["index"]: e for e in report["errors"]}
    assert sorted(errors) == [1, 2, 3]
    assert errors[1]["externalId"] == "broken" and errors[1]["reason"] == "invalid JSON"
    assert errors[1]["fieldViolations"][0]["field"] == "ticket.csat"
    assert errors[2]["externalId"] == "no-date"  # rejected by the service itself
    assert errors[2]["fieldViolations"][0]["field"] == "ticket.created_at"
    assert errors[3]["reason"] == "invalid JSON"
    for external_id in (f"{kind}-1", f"{kind}-2"):
        stored, error = _grpc_call(
            channel, "GetTicket", {"tenant_id": "acme", "external_id": external_id}
        )
        assert error is None and stored.ticket.external_id == external_id


def test_ingest_tickets_refuses_a_body_that_is_no_array(served) -> None:
    srv, _ = served
    for body in (b'{"ticket": {}}', b"[{}", b"[{}] []"):
        answer = rpc(srv.http_port, "IngestTickets", body)
        assert answer.status == 400 and answer.json()["code"] == "invalid_argument", body


def test_bodies_over_the_message_limit_are_413(tmp_path) -> None:
    settings = Settings(port=0, db_url=fresh_db(tmp_path, "l"), grace_seconds=1)
    srv = _start(settings, max_message_bytes=4096)
    try:
        big = {"ticket": _ticket("BIG", description="x" * 5000)}
        answer = rpc(srv.http_port, "IngestTicket", big)
        assert answer.status == 413 and answer.json()["code"] == "resource_exhausted"
        # Streamed without a length, too.
        chunked = request(
            srv.http_port, SERVICE_PATH + "IngestTicket", iter([json.dumps(big).encode()])
        )
        assert chunked.status == 413
        line = json.dumps(big).encode()
        for kind in ("ndjson", "array"):
            body, content_type = _ingest_body(kind, [line])
            over = rpc(srv.http_port, "IngestTickets", body, content_type=content_type)
            assert over.status == 413, (kind, over.body)
        # Many small items may add up to more than one message's limit.
        small = [json.dumps({"ticket": _ticket(f"S{i}")}).encode() for i in range(20)]
        body, content_type = _ingest_body("ndjson", small)
        assert len(body) > 4096
        fine = rpc(srv.http_port, "IngestTickets", body, content_type=content_type)
        assert fine.status == 200 and fine.json()["created"] == 20
    finally:
        srv.stop(grace=1)


def test_api_keys_and_tenants(tmp_path) -> None:
    settings = Settings(port=0, db_url=fresh_db(tmp_path, "k"), grace_seconds=1)
    srv = _start(settings, auth="keys")
    try:
        keys = srv.app.api_keys
        reader = keys.create(["acme"], Scope.READ)[1]
        writer = keys.create(["acme"], Scope.WRITE)[1]
        ingest = {"ticket": _ticket("K1")}
        port = srv.http_port

        def call(method: str, message: dict, token: str | None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return rpc(port, method, message, headers=headers)

        missing = call("IngestTicket", ingest, None)
        assert missing.status == 401 and missing.json()["code"] == "unauthenticated"
        wrong = call("IngestTicket", ingest, "tm_not_a_key")
        assert wrong.status == 401 and "invalid" in wrong.json()["message"]
        read_only = call("IngestTicket", ingest, reader)
        assert read_only.status == 403 and read_only.json()["code"] == "permission_denied"
        assert call("IngestTicket", ingest, writer).status == 200
        other = call("GetTicket", {"tenant_id": "globex", "external_id": "K1"}, reader)
        assert other.status == 403 and "globex" in other.json()["message"]
        mine = call("GetTicket", {"tenant_id": "acme", "external_id": "K1"}, reader)
        assert mine.status == 200 and mine.json()["ticket"]["externalId"] == "K1"
        # A foreign tenant's item in a stream is refused on its own.
        items = [{"ticket": _ticket("K2")}, {"ticket": {**_ticket("K3"), "tenant_id": "globex"}}]
        batch = call("IngestTickets", items, writer).json()
        assert batch["created"] == 1 and batch["errors"][0]["index"] == 1
        # Health and the API description are as open as health and reflection.
        assert request(port, "/healthz", method="GET").status == 200
        assert request(port, "/openapi.json", method="GET").status == 200
    finally:
        srv.stop(grace=1)


def test_openapi_follows_reflection_when_closed(tmp_path) -> None:
    settings = Settings(port=0, db_url=fresh_db(tmp_path, "c"), grace_seconds=1)
    srv = _start(settings, auth="keys", auth_open_services="grpc.health.v1.Health")
    try:
        token = srv.app.api_keys.create(["acme"], Scope.READ)[1]
        closed = request(srv.http_port, "/openapi.json", method="GET")
        assert closed.status == 401 and closed.json()["code"] == "unauthenticated"
        opened = request(
            srv.http_port,
            "/openapi.json",
            method="GET",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert opened.status == 200 and opened.json()["openapi"] == "3.1.0"
    finally:
        srv.stop(grace=1)


def test_healthz_mirrors_the_grpc_health_status(tmp_path) -> None:
    settings = Settings(port=0, db_url=fresh_db(tmp_path, "z"), grace_seconds=1)
    srv = _start(settings)
    try:
        assert request(srv.http_port, "/healthz", method="GET").json() == {"status": "SERVING"}
        named = request(srv.http_port, f"/healthz?service={SERVICE.full_name}", method="GET")
        assert named.status == 200
        unknown = request(srv.http_port, "/healthz?service=nope.Nope", method="GET")
        assert unknown.status == 404 and unknown.json()["code"] == "not_found"
        srv.health.enter_graceful_shutdown()
        draining = request(srv.http_port, "/healthz", method="GET")
        assert draining.status == 503 and draining.json() == {"status": "NOT_SERVING"}
    finally:
        srv.stop(grace=1)


def test_openapi_lists_every_rpc_with_json_names(served) -> None:
    from openapi_spec_validator import validate

    srv, _ = served
    answer = request(srv.http_port, "/openapi.json", method="GET")
    document = answer.json()
    validate(document)  # a valid OpenAPI 3.1 document
    schemas = document["components"]["schemas"]
    for method in SERVICE.methods:
        operation = document["paths"][f"/{SERVICE.full_name}/{method.name}"]["post"]
        assert operation["operationId"] == method.name
        content = operation["requestBody"]["content"]
        request_schema = content["application/json"]["schema"]
        if method.client_streaming:
            assert request_schema["type"] == "array" and NDJSON in content
            request_schema = request_schema["items"]
        assert request_schema["$ref"].endswith(method.input_type.full_name)
        response = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert response["$ref"] == f"#/components/schemas/{method.output_type.full_name}"
        assert operation["responses"]["default"]["content"]["application/json"]["schema"]
    for ref in _refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    ticket = schemas["ticketminer.v1.Ticket"]["properties"]
    assert {"externalId", "createdAt", "attributes", "messages"} <= set(ticket)
    assert ticket["createdAt"] == {"type": "string", "format": "date-time"}
    assert ticket["attributes"]["additionalProperties"] == {"type": "string"}
    status = schemas["ticketminer.v1.TicketStatus"]
    assert status["type"] == "string" and "TICKET_STATUS_SOLVED" in status["enum"]


def _refs(value) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


@pytest.fixture
def pki(tmp_path):
    ca, ca_key = make_ca(tmp_path, "ca")
    return {
        "ca": ca,
        "server": make_leaf(tmp_path, "server", ca, ca_key, server=True),
        "client": make_leaf(tmp_path, "client", ca, ca_key, server=False),
    }


def test_tls_and_mutual_tls(tmp_path, pki) -> None:
    settings = Settings(
        port=0,
        db_url=fresh_db(tmp_path, "s"),
        grace_seconds=1,
        tls_cert_file=str(pki["server"].cert_file),
        tls_key_file=str(pki["server"].key_file),
    )
    srv = _start(settings)
    trusting = ssl.create_default_context(cafile=str(pki["ca"].cert_file))
    try:
        answer = rpc(srv.http_port, "ListTenants", {}, tls=trusting)
        assert answer.status == 200 and answer.json() == {}
        with pytest.raises(ssl.SSLError):
            rpc(srv.http_port, "ListTickets", {}, tls=ssl.create_default_context())
        # Plain HTTP to the TLS port gets no answer.
        with pytest.raises((ConnectionError, OSError)):
            rpc(srv.http_port, "ListTickets", {})
    finally:
        srv.stop(grace=1)
    mutual = replace(settings, tls_client_ca_file=str(pki["ca"].cert_file))
    srv = _start(mutual)
    try:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            rpc(srv.http_port, "ListTickets", {}, tls=trusting)  # no client certificate
        signed = ssl.create_default_context(cafile=str(pki["ca"].cert_file))
        signed.load_cert_chain(str(pki["client"].cert_file), str(pki["client"].key_file))
        assert rpc(srv.http_port, "ListTenants", {}, tls=signed).status == 200
    finally:
        srv.stop(grace=1)


def test_the_listening_socket_gets_tcp_nodelay_connections() -> None:
    """asyncio turns Nagle off only for sockets made as IPPROTO_TCP; otherwise every
    answer's body waited ~40 ms behind its headers (measured: 48 ms -> 3 ms a call)."""
    from ticketminer.http.server import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def _envelopes(body: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(body):
        size = int.from_bytes(body[pos + 1 : pos + 5], "big")
        out.append((body[pos], body[pos + 5 : pos + 5 + size]))
        pos += 5 + size
    return out


def _envelope(message: bytes, flags: int = 0) -> bytes:
    return bytes([flags]) + len(message).to_bytes(4, "big") + message


def test_ingest_tickets_speaks_the_connect_streaming_protocol(served) -> None:
    """What a stock Connect client sends for a client stream: length-prefixed messages;
    the answer is 200 with the response message, then an end-stream message."""
    srv, channel = served
    good = json.dumps({"ticket": _ticket("C1")}).encode()
    body = _envelope(good) + _envelope(b'{"ticket": {"csat": "x"}}')
    answer = rpc(srv.http_port, "IngestTickets", body, content_type="application/connect+json")
    assert answer.status == 200 and answer.headers["content-type"] == "application/connect+json"
    (flags, message), (end_flags, end) = _envelopes(answer.body)
    report = json.loads(message)
    assert flags == 0 and report["created"] == 1 and report["errors"][0]["index"] == 1
    assert end_flags == 2 and json.loads(end) == {}
    stored, error = _grpc_call(channel, "GetTicket", {"tenant_id": "acme", "external_id": "C1"})
    assert error is None and stored.ticket.external_id == "C1"
    # Binary messages go to the server as they are.
    wire = json_format.ParseDict({"ticket": _ticket("C2")}, pb.IngestTicketRequest())
    binary = _envelope(wire.SerializeToString())
    answer = rpc(srv.http_port, "IngestTickets", binary, content_type="application/connect+proto")
    (_, message), (_, end) = _envelopes(answer.body)
    assert pb.IngestTicketsResponse.FromString(message).created == 1 and json.loads(end) == {}
    # Errors travel in the end-stream message, with a 200.
    cut = _envelope(good)[:-3]
    answer = rpc(srv.http_port, "IngestTickets", cut, content_type="application/connect+json")
    ((end_flags, end),) = _envelopes(answer.body)
    assert answer.status == 200 and end_flags == 2
    assert json.loads(end)["error"]["code"] == "invalid_argument"


def test_a_taken_http_port_is_a_clear_error(tmp_path) -> None:
    from ticketminer.http.server import BindError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(port=0, db_url=fresh_db(tmp_path, "b"), http_port=port)
        with pytest.raises(BindError, match=f"--http-port 127.0.0.1:{port}"):
            Server(settings)


def test_a_client_that_hangs_up_cancels_the_work(tmp_path) -> None:
    """The gateway cancels the gRPC call when the HTTP client goes away, so the
    cancellation scope stops the servicer's work as for a gRPC client."""
    import threading
    import time

    from ticketminer.domain.cancellation import current_scope

    settings = Settings(port=0, db_url=fresh_db(tmp_path, "d"), grace_seconds=1)
    srv = _start(settings)
    started, stopped = threading.Event(), threading.Event()

    def slow_get(tenant_id: str, external_id: str):
        started.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            scope = current_scope()
            if scope is not None and scope.cancelled:
                stopped.set()
                break
            time.sleep(0.01)
        raise AssertionError("not cancelled")

    known = rpc(srv.http_port, "IngestTicket", {"ticket": _ticket("T1")})  # a known tenant
    assert known.status == 200
    srv.app.tickets.get = slow_get  # the servicer's call for GetTicket
    try:
        with socket.create_connection(("127.0.0.1", srv.http_port)) as conn:
            body = b'{"tenant_id": "acme", "external_id": "T1"}'
            head = (
                "POST /ticketminer.v1.TicketMiner/GetTicket HTTP/1.1\r\nHost: x\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            conn.sendall(head.encode() + body)
            assert started.wait(10)
        assert stopped.wait(10), "the servicer's work went on after the client left"
    finally:
        srv.stop(grace=1)


def test_the_webhook_routes_are_mounted_beside_the_gateway(tmp_path) -> None:
    """server.HTTP_ROUTE_FACTORIES puts the helpdesk webhooks on the same HTTP port."""
    settings = Settings(port=0, db_url=fresh_db(tmp_path, "w"), grace_seconds=1)
    srv = _start(settings, webhook_secrets="generic=s3cret")
    try:
        disabled = request(srv.http_port, "/webhooks/zendesk/acme", b"{}")
        assert disabled.status == 404 and "not enabled" in disabled.json()["message"]
        unsigned = request(srv.http_port, "/webhooks/generic/acme", b"{}")
        assert unsigned.status == 401 and unsigned.json()["code"] == "unauthenticated"
    finally:
        srv.stop(grace=1)


def test_buf_curl_a_stock_connect_client_calls_unary_and_client_streaming_rpcs(served) -> None:
    """`buf curl --protocol connect` (binary protobuf, Connect's streaming envelopes for
    IngestTickets). Skipped without buf: `npm install @bufbuild/buf`, then put its bin
    folder on PATH or point TICKETMINER_TEST_BUF at the binary."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    buf = os.environ.get("TICKETMINER_TEST_BUF") or shutil.which("buf")
    if not buf:
        pytest.skip("buf is not installed")
    srv, _ = served
    protos = str(Path(__file__).resolve().parents[1] / "protos")
    base = f"http://127.0.0.1:{srv.http_port}/{SERVICE.full_name}/"

    def buf_curl(method: str, data: str) -> subprocess.CompletedProcess[str]:
        argv = [buf, "curl", "--protocol", "connect", "--schema", protos, "--data", data]
        return subprocess.run([*argv, base + method], capture_output=True, text=True, timeout=60)

    got = buf_curl("GetTicket", '{"tenant_id": "acme", "external_id": "T1"}')
    assert got.returncode == 0 and json.loads(got.stdout)["ticket"]["externalId"] == "T1"
    batch = buf_curl("IngestTickets", json.dumps({"ticket": _ticket("BUF1")}) + '{"ticket": {}}')
    report = json.loads(batch.stdout)
    assert batch.returncode == 0 and report["created"] == 1 and report["rejected"] == 1
    bad = buf_curl("IngestTicket", '{"ticket": {"csat": 9}}')
    error = json.loads(bad.stderr)
    assert bad.returncode != 0 and error["code"] == "invalid_argument"
    fields = [v["field"] for v in error["details"][0]["debug"]["fieldViolations"]]
    assert "ticket.csat" in fields
