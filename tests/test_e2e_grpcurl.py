"""End to end with the real server process and the real grpcurl binary (v1.8.6):
reflection, health, ingest outcomes, metrics, rich errors and graceful shutdown."""

from __future__ import annotations

import copy
import json
import re
import time

import pytest
from databases import fresh_db
from server_process import ServerProcess, grpcurl

pytestmark = pytest.mark.e2e

SVC = "ticketminer.v1.TicketMiner"
INVALID_ARGUMENT_EXIT = 64 + 3  # grpcurl exits 64 + the status code
NOT_FOUND_EXIT = 64 + 5

# 2026-03-02 is a Monday; every duration below is computed by hand from these times.
TICKET = {
    "tenant_id": "acme",
    "external_id": "ZD-1001",
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T11:00:00Z",
    "channel": "email",
    "subject": "Parcel not delivered",
    "status": "TICKET_STATUS_SOLVED",
    "solved_at": "2026-03-02T11:00:00Z",
    "attributes": {"carrier": "SF", "region": "South"},
    "csat": 5,
    "messages": [
        {
            "author_role": "AUTHOR_ROLE_CUSTOMER",
            "created_at": "2026-03-02T09:00:00Z",
            "body": "Where is my parcel?",
            "public": True,
        },
        {
            "author_role": "AUTHOR_ROLE_AGENT",
            "created_at": "2026-03-02T09:30:00Z",
            "body": "It arrives today.",
            "public": True,
        },
    ],
}


def call(server: ServerProcess, method: str, data: dict) -> dict:
    """Invoke `method` with grpcurl; the JSON answer (asserting success)."""
    code, out, err = grpcurl("-plaintext", server.address, f"{SVC}/{method}", data=data)
    assert code == 0, f"{method} failed ({code}):\n{err}\nserver log:\n{server.log}"
    return json.loads(out)


def call_error(server: ServerProcess, method: str, data: dict, *flags: str) -> tuple[int, str]:
    code, out, err = grpcurl("-plaintext", *flags, server.address, f"{SVC}/{method}", data=data)
    assert out == "", "grpcurl writes errors to stderr only"
    return code, err


def bad_request_violations(stderr: str) -> list[dict]:
    """The google.rpc.BadRequest field violations in grpcurl 1.8.6's default error
    rendering, which prints each status detail as one JSON line under 'Details:':

        ERROR:
          Code: InvalidArgument
          Message: ticket.csat: must be between 1 and 5, got 9
          Details:
          1)\t{"@type":"type.googleapis.com/google.rpc.BadRequest","field_violations":[...]}
    """
    details = [
        json.loads(m.group(1)) for m in re.finditer(r"^\s*\d+\)\s+(\{.*\})\s*$", stderr, re.M)
    ]
    bad = [d for d in details if d["@type"] == "type.googleapis.com/google.rpc.BadRequest"]
    assert len(bad) == 1, stderr
    return bad[0]["field_violations"]


def test_list_shows_the_services(server):
    code, out, err = grpcurl("-plaintext", server.address, "list")
    assert code == 0, err
    services = out.split()
    assert "ticketminer.v1.TicketMiner" in services
    assert "grpc.health.v1.Health" in services


def test_describe_shows_every_rpc(server):
    code, out, err = grpcurl("-plaintext", server.address, "describe", SVC)
    assert code == 0, err
    assert "ticketminer.v1.TicketMiner is a service:" in out
    rpcs = re.findall(r"^\s*rpc (\w+) \(", out, re.M)
    assert sorted(rpcs) == [
        "DeleteCustomerData",
        "DeleteDigestSchedule",
        "DeleteTicket",
        "GetAnomaly",
        "GetCustomerInsights",
        "GetIssue",
        "GetMetrics",
        "GetTenantSettings",
        "GetTicket",
        "GetWeeklyDigest",
        "IngestTicket",
        "IngestTickets",
        "ListAnomalies",
        "ListDigestDeliveries",
        "ListDigestSchedules",
        "ListIssues",
        "ListTenants",
        "ListTickets",
        "PutDigestSchedule",
        "ReclusterIssues",
        "ScanAnomalies",
        "UpdateTenantSettings",
    ]
    assert "rpc IngestTickets ( stream .ticketminer.v1.IngestTicketRequest )" in out


def test_health_check_is_serving(server):
    for service in (None, SVC):
        args = ["-plaintext"]
        data = None if service is None else {"service": service}
        code, out, err = grpcurl(*args, server.address, "grpc.health.v1.Health/Check", data=data)
        assert code == 0, err
        assert json.loads(out) == {"status": "SERVING"}


def test_ingest_created_then_unchanged_then_updated(server):
    request = {"ticket": TICKET}
    first = call(server, "IngestTicket", request)
    assert first == {
        "tenant_id": "acme",
        "external_id": "ZD-1001",
        "outcome": "INGEST_OUTCOME_CREATED",
        "analysis": {
            "first_response_seconds": 1800,  # 09:00 -> 09:30
            "resolution_seconds": 7200,  # 09:00 -> 11:00
            "full_resolution_seconds": 7200,
            "public_agent_replies": 1,
            "solved": True,
            "fcr": True,
            "fcr_no_followup": True,
            "ever_solved": True,
            "first_response_source": "FACT_SOURCE_THREAD",
            "public_agent_replies_source": "FACT_SOURCE_THREAD",
        },
    }

    again = call(server, "IngestTicket", request)
    assert again["outcome"] == "INGEST_OUTCOME_UNCHANGED"
    assert again["analysis"] == first["analysis"]

    changed = copy.deepcopy(TICKET)
    changed["updated_at"] = "2026-03-02T12:00:00Z"
    changed["status"] = "TICKET_STATUS_OPEN"  # reopened by a customer follow-up
    changed["reopen_count"] = 1
    del changed["solved_at"]
    changed["messages"].append(
        {
            "author_role": "AUTHOR_ROLE_CUSTOMER",
            "created_at": "2026-03-02T12:00:00Z",
            "body": "It did not arrive.",
            "public": True,
        }
    )
    updated = call(server, "IngestTicket", {"ticket": changed})
    assert updated["outcome"] == "INGEST_OUTCOME_UPDATED"
    analysis = updated["analysis"]
    assert analysis["first_response_seconds"] == 1800
    assert analysis["resolution_seconds"] == 7200  # the first solve is kept
    assert "full_resolution_seconds" not in analysis  # not solved now
    assert analysis.get("solved", False) is False
    assert analysis["reopened"] is True
    assert analysis["ever_solved"] is True

    stored = call(server, "GetTicket", {"tenant_id": "acme", "external_id": "ZD-1001"})
    assert stored["ticket"]["status"] == "TICKET_STATUS_OPEN"
    assert [m["body"] for m in stored["ticket"]["messages"]][-1] == "It did not arrive."
    assert stored["ticket"]["first_solved_at"] == "2026-03-02T11:00:00Z"

    metrics = call(server, "GetMetrics", {"tenant_id": "acme"})
    assert metrics["overall"]["volume"] == "1"  # an update, not a duplicate
    listed = call(server, "ListTickets", {"tenant_id": "acme"})
    assert listed["total_size"] == "1"


def _ticket(external_id, created, channel, *messages, **fields):
    out = {
        "tenant_id": "metrics",
        "external_id": external_id,
        "created_at": created,
        "channel": channel,
        "messages": [
            {"author_role": f"AUTHOR_ROLE_{role}", "created_at": at, "public": True}
            for role, at in messages
        ],
    }
    out.update(fields)
    return out


METRIC_TICKETS = [
    # Replied after 30 min, solved after 2 h with one reply: FCR. Rated 5.
    _ticket(
        "A",
        "2026-03-02T09:00:00Z",
        "email",
        ("CUSTOMER", "2026-03-02T09:00:00Z"),
        ("AGENT", "2026-03-02T09:30:00Z"),
        status="TICKET_STATUS_SOLVED",
        solved_at="2026-03-02T11:00:00Z",
        csat=5,
    ),
    # A bot answer does not count; replied after 10 min, two replies (not FCR),
    # solved after 1 h and reopened once. Rated 2. Created on March 2 in UTC but
    # on March 3 (01:00) in Asia/Shanghai.
    _ticket(
        "B",
        "2026-03-02T17:00:00Z",
        "chat",
        ("CUSTOMER", "2026-03-02T17:00:00Z"),
        ("BOT", "2026-03-02T17:01:00Z"),
        ("AGENT", "2026-03-02T17:10:00Z"),
        ("AGENT", "2026-03-02T17:40:00Z"),
        status="TICKET_STATUS_SOLVED",
        solved_at="2026-03-02T18:00:00Z",
        reopen_count=1,
        csat=2,
    ),
    # Next day, still open with no reply.
    _ticket(
        "C",
        "2026-03-03T08:00:00Z",
        "email",
        ("CUSTOMER", "2026-03-03T08:00:00Z"),
        status="TICKET_STATUS_OPEN",
    ),
    # Outside the window: must not count anywhere.
    _ticket("D", "2026-03-04T00:00:00Z", "email", status="TICKET_STATUS_NEW"),
]


def test_get_metrics_by_day_matches_hand_computed_values(server):
    for ticket in METRIC_TICKETS:
        assert call(server, "IngestTicket", {"ticket": ticket})["outcome"] == (
            "INGEST_OUTCOME_CREATED"
        )
    report = call(
        server,
        "GetMetrics",
        {
            "tenant_id": "metrics",
            "filter": {"start_time": "2026-03-02T00:00:00Z", "end_time": "2026-03-04T00:00:00Z"},
            "granularity": "GRANULARITY_DAY",
        },
    )
    assert report["time_zone"] == "UTC"
    assert report["granularity"] == "GRANULARITY_DAY"
    overall = report["overall"]
    # proto3 JSON: uint64 as strings, zero values omitted.
    assert overall["volume"] == "3"
    assert overall["solved"] == "2"
    assert overall["fcr"] == {"numerator": "1", "denominator": "2", "value": 0.5}
    # First response: 1800 s (A) and 600 s (B); p90 by linear interpolation.
    assert overall["first_response_time"] == {
        "n": "2",
        "mean_seconds": 1200,
        "p50_seconds": 1200,
        "p90_seconds": pytest.approx(600 + 0.9 * 1200),
    }
    # Resolution: 7200 s (A) and 3600 s (B).
    assert overall["resolution_time"] == {
        "n": "2",
        "mean_seconds": 5400,
        "p50_seconds": 5400,
        "p90_seconds": pytest.approx(3600 + 0.9 * 3600),
    }
    assert overall["reopen_rate"] == {"numerator": "1", "denominator": "2", "value": 0.5}
    assert overall["csat"] == {
        "n": "2",
        "mean": 3.5,
        "satisfied_share": 0.5,
        "counts": ["0", "1", "0", "0", "1"],
    }

    series = {p["label"]: p for p in report["series"]}
    assert list(series) == ["2026-03-02", "2026-03-03"]
    day1, day2 = series["2026-03-02"], series["2026-03-03"]
    assert day1["start_time"] == "2026-03-02T00:00:00Z"
    assert day1["metrics"]["volume"] == "2"
    assert day1["metrics"]["solved"] == "2"
    assert day1["metrics"]["first_response_time"]["mean_seconds"] == 1200
    assert day2["start_time"] == "2026-03-03T00:00:00Z"
    assert day2["metrics"]["volume"] == "1"
    assert "solved" not in day2["metrics"]
    assert day2["metrics"]["first_response_time"].get("n", "0") == "0"
    assert day2["drill_down"] == {
        "start_time": "2026-03-03T00:00:00Z",
        "end_time": "2026-03-04T00:00:00Z",
    }

    # The drill-down of day 2 lists exactly ticket C.
    listed = call(server, "ListTickets", {"tenant_id": "metrics", "filter": day2["drill_down"]})
    assert [t["ticket"]["external_id"] for t in listed["tickets"]] == ["C"]

    # The same local days in Asia/Shanghai (UTC+8): B moves to March 3.
    local = call(
        server,
        "GetMetrics",
        {
            "tenant_id": "metrics",
            "filter": {
                "start_time": "2026-03-02T00:00:00+08:00",
                "end_time": "2026-03-04T00:00:00+08:00",
            },
            "granularity": "GRANULARITY_DAY",
            "time_zone": "Asia/Shanghai",
            "group_by": "channel",
        },
    )
    assert local["start_time"] == "2026-03-01T16:00:00Z"
    assert local["end_time"] == "2026-03-03T16:00:00Z"
    assert local["overall"]["volume"] == "3"
    assert [(p["label"], p["start_time"], p["metrics"]["volume"]) for p in local["series"]] == [
        ("2026-03-02", "2026-03-01T16:00:00Z", "1"),
        ("2026-03-03", "2026-03-02T16:00:00Z", "2"),
    ]
    groups = {g["value"]: g for g in local["groups"]}
    assert list(groups) == ["email", "chat"]  # largest volume first
    assert groups["email"]["metrics"]["volume"] == "2"
    assert groups["chat"]["metrics"]["fcr"] == {"denominator": "1", "value": 0}
    assert [p["metrics"].get("volume") for p in groups["chat"]["series"]] == [None, "1"]
    assert groups["chat"]["drill_down"]["channels"] == ["chat"]


def test_bad_request_reports_every_field_violation(server):
    bad = {"ticket": {"created_at": "2026-03-02T09:00:00Z", "csat": 9}}
    code, err = call_error(server, "IngestTicket", bad)
    assert code == INVALID_ARGUMENT_EXIT
    assert err.startswith("ERROR:\n")
    assert "  Code: InvalidArgument\n" in err
    assert "ticket.external_id: is required" in err  # in the Message line
    violations = bad_request_violations(err)
    assert {v["field"] for v in violations} == {"ticket.external_id", "ticket.csat"}
    by_field = {v["field"]: v["description"] for v in violations}
    assert by_field["ticket.csat"] == "must be between 1 and 5, got 9"

    # -format-error prints the google.rpc.Status as JSON instead (also on stderr).
    code, err = call_error(server, "IngestTicket", bad, "-format-error")
    assert code == INVALID_ARGUMENT_EXIT
    status = json.loads(err)
    assert status["code"] == 3
    assert status["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert {v["field"] for v in status["details"][0]["field_violations"]} == {
        "ticket.external_id",
        "ticket.csat",
    }

    # Nothing was stored: acme is still a tenant never seen.
    assert call(server, "ListTenants", {}) == {}
    code, err = call_error(server, "GetMetrics", {"tenant_id": "acme"})
    assert code == NOT_FOUND_EXIT
    assert "  Code: NotFound\n" in err and "ListTenants" in err


def test_nul_in_subject_is_invalid_argument_naming_the_field(server):
    # JSON "\u0000" reaches the server as a NUL byte inside valid UTF-8.
    data = json.dumps(
        {
            "ticket": {
                "external_id": "NUL-1",
                "created_at": "2026-03-02T09:00:00Z",
                "subject": "broken\u0000subject",
            }
        }
    )
    assert "\\u0000" in data
    code, err = call_error(server, "IngestTicket", data)
    assert code == INVALID_ARGUMENT_EXIT
    assert "  Code: InvalidArgument\n" in err
    assert bad_request_violations(err) == [
        {"field": "ticket.subject", "description": "must not contain a NUL byte"}
    ]
    code, _out, _err = grpcurl(
        "-plaintext",
        server.address,
        f"{SVC}/GetTicket",
        data={"external_id": "NUL-1"},
    )
    assert code == 64 + 5, "the invalid ticket must not be stored (NOT_FOUND)"


def test_sigterm_exits_zero_within_the_grace_period(tmp_path):
    grace = 2.0
    db = fresh_db(tmp_path, "t")
    srv = ServerProcess(db, grace_seconds=grace).start()
    try:
        call(srv, "IngestTicket", {"ticket": TICKET})
        started = time.monotonic()
        srv.terminate()
        code = srv.wait(timeout=grace + 5)
        took = time.monotonic() - started
    finally:
        if srv.running:
            srv.kill9()
    assert code == 0, srv.log
    assert took < grace + 2, f"took {took:.1f} s"
    names = [e.get("event") for e in srv.events()]
    # A fresh database is created first ("schema_migrated"), then the server serves.
    assert names[: names.index("serving")] in ([], ["schema_migrated"]), names
    assert names[-2:] == ["signal", "stopped"], srv.log
    assert [e["signal"] for e in srv.events("signal")] == ["SIGTERM"]
    assert "Traceback" not in srv.log

    # The acknowledged ticket survived the graceful stop.
    with ServerProcess(db) as again:
        stored = call(again, "GetTicket", {"tenant_id": "acme", "external_id": "ZD-1001"})
        assert stored["ticket"]["subject"] == "Parcel not delivered"
