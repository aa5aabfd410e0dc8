"""The reliability suite (`make test-reliability`, which CI runs after `make test`):
kill -9 during sustained ingest, a soak at half of measured capacity, 10,000 fuzzed
requests and overload. Each test adds a row to the table that the module writes to
RELIABILITY.md and prints. Loopback only, bounded in count and time.

`TICKETMINER_SOAK_SECONDS` shortens the soak for a local try (the table says so).
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from durability_load import (
    RPC_TIMEOUT,
    TENANT,
    Load,
    copy_db,
    integrity_check,
    make_ticket,
    version_of,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hostile_input import FAMILIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_process import ServerProcess

from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parent.parent
KILLS = 10
SOAK_SECONDS = float(os.environ.get("TICKETMINER_SOAK_SECONDS", "300"))
FUZZ_REQUESTS = 10_000
MAX_RSS_GROWTH = 0.10
HEALTH_LIMIT_MS = 100.0  # health answers within this while hostile requests run
HOSTILE_RSS_LIMIT_MB = 1536  # the server's resident memory, at any sample
SVC = "/ticketminer.v1.TicketMiner/"
ROWS: list[tuple[str, str, str, str]] = []  # test, what was done, result, verdict


@pytest.fixture(scope="module", autouse=True)
def table():
    yield
    if not ROWS:
        return
    lines = [
        "| test | what was done | result | |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in ROWS),
    ]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "# Reliability",
            "",
            f"Command: `make test-reliability` — {stamp}, {os.cpu_count()} cores, SQLite, "
            "the real server as a subprocess, loopback only.",
            "",
            *lines,
            "",
        ]
    )
    (ROOT / "RELIABILITY.md").write_text(text, encoding="utf-8")  # make prints it


def _verify(address: str, acked: dict[str, int], maybe: dict[str, int]) -> int:
    """Every acknowledged ticket is stored with its acknowledged content (or the newer
    version whose answer the kill cut off); the number checked."""
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.TicketMinerStub(channel)
        for ext, version in acked.items():
            got = stub.GetTicket(
                pb.GetTicketRequest(tenant_id=TENANT, external_id=ext), timeout=RPC_TIMEOUT
            ).ticket
            stored = version_of(got)
            assert stored in {version, maybe.get(ext, version)}, f"{ext}: v{stored} not v{version}"
            assert got == make_ticket(ext, stored), ext
    return len(acked)


def test_kill_9_during_sustained_ingest_ten_times(tmp_path) -> None:
    db, rng = tmp_path / "kills.db", random.Random(9)
    acked: dict[str, int] = {}
    maybe: dict[str, int] = {}
    writes = 0
    for kill in range(KILLS):
        server = ServerProcess(db).start()
        try:
            if acked:  # what earlier rounds acknowledged survived their kills
                _verify(server.address, acked, maybe)
            load = Load(server.address, target_acks=rng.randint(60, 240), prefix=f"k{kill}")
            with load.running():
                assert load.enough.wait(timeout=60), server.log
                time.sleep(rng.uniform(0, 0.3))  # kill at a random moment of the load
                assert server.kill9() == -9
            assert not load.unexpected, load.unexpected[:5]
            writes += load.ack_count
            acked.update(load.acked)
            maybe.update(dict(load.in_flight.values()))
        finally:
            if server.running:
                server.kill9()
        assert integrity_check(copy_db(db, tmp_path / f"crash-{kill}")) == "ok"
    with ServerProcess(db) as last:
        checked = _verify(last.address, acked, maybe)
    assert integrity_check(db) == "ok"
    ROWS.append(
        (
            "kill -9 during ingest",
            f"{KILLS} kills at random moments of 8 concurrent writers; {writes:,} "
            f"acknowledged writes ({checked:,} tickets)",
            "0 acknowledged tickets lost or changed; SQLite integrity_check ok after every kill",
            "pass",
        )
    )


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _calls(stub, n: int, pool: int, versions: dict[str, int], lock: threading.Lock) -> None:
    """One call of the soak mix: 4 in 5 update a ticket of the pool, 1 in 5 read."""
    if n % 5 == 4:
        if n % 10 == 4:
            stub.GetMetrics(pb.GetMetricsRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT)
        else:
            stub.ListTickets(pb.ListTicketsRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT)
        return
    ext = f"soak-{n % pool}"
    with lock:
        versions[ext] = versions.get(ext, -1) + 1
        version = versions[ext]
    stub.IngestTicket(pb.IngestTicketRequest(ticket=make_ticket(ext, version)), timeout=30)


def _drive(address: str, seconds: float, rate: float | None, pool: int) -> tuple[int, list[str]]:
    """Calls from 8 threads for `seconds`, at `rate` calls/s overall (None: as fast as
    they go); (calls made, errors)."""
    stop, lock = time.monotonic() + seconds, threading.Lock()
    versions: dict[str, int] = {}
    done, errors = [0], []
    workers = 8
    # The tenant exists before the first read: an unseen tenant is NOT_FOUND.
    with grpc.insecure_channel(address) as channel:
        seed = make_ticket("soak-0", 0)
        pb_grpc.TicketMinerStub(channel).IngestTicket(
            pb.IngestTicketRequest(ticket=seed), timeout=30
        )

    def worker(w: int) -> None:
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            n, start = w, time.monotonic()
            while time.monotonic() < stop:
                if rate is not None:
                    due = start + (n // workers) * workers / rate
                    time.sleep(max(0.0, due - time.monotonic()))
                try:
                    _calls(stub, n, pool, versions, lock)
                except grpc.RpcError as err:
                    with lock:
                        errors.append(f"{err.code()}: {err.details()}")
                with lock:
                    done[0] += 1
                n += workers

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return done[0], errors


def test_soak_at_half_capacity(tmp_path) -> None:
    pool = 2000
    with ServerProcess(tmp_path / "soak.db") as server:
        calls, errors = _drive(server.address, 15, None, pool)  # capacity, and the pool
        assert not errors, errors[:5]
        capacity = calls / 15
        rate = capacity / 2
        samples: list[tuple[float, int]] = []
        sampling = threading.Event()

        def sample() -> None:
            start = time.monotonic()
            while not sampling.wait(5):
                samples.append((time.monotonic() - start, _rss_kb(server.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        made, errors = _drive(server.address, SOAK_SECONDS, rate, pool)
        sampling.set()
        sampler.join(10)
    warm = [kb for t, kb in samples if 30 <= t <= 60] or [samples[0][1]]
    end = [kb for t, kb in samples if t >= SOAK_SECONDS - 30] or [samples[-1][1]]
    growth = statistics.median(end) / statistics.median(warm) - 1
    achieved = made / SOAK_SECONDS
    shortened = "" if SOAK_SECONDS >= 300 else f" (shortened: {SOAK_SECONDS:.0f} s)"
    ok = not errors and growth <= MAX_RSS_GROWTH
    ROWS.append(
        (
            "soak",
            f"{SOAK_SECONDS / 60:.1f} min{shortened} at {rate:,.0f} calls/s (half of the "
            f"measured {capacity:,.0f}; achieved {achieved:,.0f}): 80 % IngestTicket "
            f"updates of {pool:,} tickets, 20 % GetMetrics / ListTickets; 8 clients",
            f"{made:,} calls, {len(errors)} errors; RSS {statistics.median(warm) / 1024:,.0f}"
            f" MB after warm-up (30-60 s) -> {statistics.median(end) / 1024:,.0f} MB in the "
            f"last 30 s ({growth:+.1%}, limit +10 %)",
            "pass" if ok else "**FAIL**",
        )
    )
    assert not errors, errors[:5]
    assert growth <= MAX_RSS_GROWTH, samples


# Requests that are malformed by construction: protobuf bytes with an invalid tag
# (field number 0), strings that are not UTF-8, and well-formed tickets that break a
# rule the service checks (no external_id, csat out of range, times before creation,
# unknown enum values, a NUL byte).
_METHODS = (
    "IngestTicket",
    "GetTicket",
    "ListTickets",
    "GetMetrics",
    "ListIssues",
    "GetIssue",
    "ListAnomalies",
    "GetAnomaly",
    "GetWeeklyDigest",
    "GetCustomerInsights",
    "UpdateTenantSettings",
)


def _broken_ticket(draw) -> bytes:
    ticket = make_ticket(f"fz-{draw(st.integers(0, 999))}", draw(st.integers(0, 5)))
    rule = draw(st.sampled_from(["id", "csat", "time", "enum", "nul", "status"]))
    if rule == "id":
        ticket.external_id = ""
    elif rule == "csat":
        ticket.csat = draw(st.sampled_from([6, 7, 100, 2**31]))
    elif rule == "time":
        ticket.solved_at.FromSeconds(ticket.created_at.seconds - draw(st.integers(1, 10**6)))
        ticket.status = pb.TICKET_STATUS_SOLVED
    elif rule == "enum":
        ticket.messages[0].author_role = draw(st.integers(50, 10**6))
    elif rule == "status":
        ticket.status = draw(st.integers(50, 10**6))
    else:
        ticket.subject = draw(st.text(max_size=20)) + "\x00"
    return pb.IngestTicketRequest(ticket=ticket).SerializeToString()


@st.composite
def _malformed(draw) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["bad tag", "bad utf-8", "bad ticket"]))
    if kind == "bad ticket":
        return "IngestTicket", _broken_ticket(draw)
    method = draw(st.sampled_from(_METHODS))
    if kind == "bad tag":
        return method, b"\x00" + draw(st.binary(max_size=60))
    # a tenant_id that is not UTF-8: field 1 of the request, or of its ticket or
    # settings message (field 1 too) for the two methods that wrap one
    junk = draw(st.binary(min_size=1, max_size=40)) + b"\xff\xfe"
    field = b"\x0a" + bytes([len(junk)]) + junk
    if method in ("IngestTicket", "UpdateTenantSettings"):
        field = b"\x0a" + bytes([len(field)]) + field
    return method, field


def test_10000_malformed_requests_get_invalid_argument_only(tmp_path) -> None:
    codes: dict[str, int] = {}
    with (
        ServerProcess(tmp_path / "fuzz.db") as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        calls = {
            m: channel.unary_unary(SVC + m, request_serializer=None, response_deserializer=None)
            for m in _METHODS
        }

        @settings(
            max_examples=FUZZ_REQUESTS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(_malformed())
        def send(case: tuple[str, bytes]) -> None:
            method, payload = case
            try:
                calls[method](payload, timeout=10)
                code = "OK"
            except grpc.RpcError as err:
                code = err.code().name
            codes[code] = codes.get(code, 0) + 1
            assert code == "INVALID_ARGUMENT", (method, payload[:80])

        send()
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10
        )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        stub = pb_grpc.TicketMinerStub(channel)
        reply = stub.IngestTicket(pb.IngestTicketRequest(ticket=make_ticket("ok-1", 0)))
        assert reply.outcome == pb.INGEST_OUTCOME_CREATED
        assert server.running
    sent = sum(codes.values())
    ROWS.append(
        (
            "fuzz",
            f"{sent:,} malformed requests (hypothesis) to {len(_METHODS)} RPCs: invalid "
            "protobuf, non-UTF-8 strings, tickets breaking a validation rule",
            f"{codes.get('INVALID_ARGUMENT', 0):,} INVALID_ARGUMENT, nothing else; the "
            "server stayed up, SERVING, and stored the next valid ticket",
            "pass",
        )
    )
    assert sent >= FUZZ_REQUESTS


def test_overload_is_refused_fast(tmp_path) -> None:
    """2 RPC slots held by open ingest streams; every further call is refused with
    RESOURCE_EXHAUSTED at once instead of queueing."""
    args = ("--max-concurrent-rpcs", "2", "--workers", "8")
    release = threading.Event()
    with (
        ServerProcess(tmp_path / "overload.db", extra_args=args) as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        stub = pb_grpc.TicketMinerStub(channel)
        opened = [threading.Event(), threading.Event()]

        def holding(k: int):
            yield pb.IngestTicketRequest(ticket=make_ticket(f"hold-{k}", 0))
            opened[k].set()
            release.wait(30)

        held = [stub.IngestTickets.future(holding(k), timeout=60) for k in range(2)]
        try:
            assert all(e.wait(10) for e in opened)
            time.sleep(0.3)
            refused, seconds = 0, []
            for _ in range(200):
                started = time.perf_counter()
                try:
                    stub.GetMetrics(pb.GetMetricsRequest(), timeout=10)
                except grpc.RpcError as err:
                    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
                    refused += 1
                seconds.append(time.perf_counter() - started)
        finally:
            release.set()
        assert [f.result().accepted for f in held] == [1, 1]
        after = stub.GetMetrics(pb.GetMetricsRequest(tenant_id=TENANT), timeout=10)
        assert after.overall.volume == 2
    worst = max(seconds) * 1000
    p50 = statistics.median(seconds) * 1000
    ROWS.append(
        (
            "overload",
            "`--max-concurrent-rpcs 2`, both slots held by open IngestTickets streams; "
            "200 GetMetrics calls",
            f"{refused} of 200 refused with RESOURCE_EXHAUSTED in {p50:.1f} ms (p50), "
            f"{worst:.1f} ms (max); served again once the streams ended",
            "pass" if refused == 200 and worst < 1000 else "**FAIL**",
        )
    )
    assert refused == 200 and worst < 1000


def test_hostile_valid_input_keeps_the_server_healthy(tmp_path) -> None:
    """Every finding of the hardening issue, replayed against the real server while a
    prober checks health every 50 ms and a sampler reads RSS every 100 ms."""
    statuses: dict[str, dict[str, int]] = {}
    health_ms: list[float] = []
    rss_kb: list[int] = []
    done = threading.Event()
    with ServerProcess(tmp_path / "hostile.db") as server:
        # From the end of the start-up warm-up (the sentiment model is built then).
        server.wait_for_event("metrics_tables_loaded", 120)
        before = _rss_kb(server.pid)

        def probe() -> None:
            with grpc.insecure_channel(server.address) as channel:
                health = health_pb2_grpc.HealthStub(channel)
                while not done.wait(0.05):
                    started = time.perf_counter()
                    reply = health.Check(health_pb2.HealthCheckRequest(), timeout=30)
                    health_ms.append((time.perf_counter() - started) * 1000)
                    assert reply.status == health_pb2.HealthCheckResponse.SERVING

        def sample() -> None:
            while not done.wait(0.1):
                rss_kb.append(_rss_kb(server.pid))

        watchers = [threading.Thread(target=f, daemon=True) for f in (probe, sample)]
        for w in watchers:
            w.start()
        started = time.monotonic()
        options = [("grpc.max_receive_message_length", 64 * 2**20)]
        with grpc.insecure_channel(server.address, options=options) as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            for family in FAMILIES:
                counts = statuses.setdefault(family.name, {})
                for call in family.calls(stub):
                    try:
                        call()
                        code = "OK"
                    except grpc.RpcError as err:
                        code = err.code().name
                    counts[code] = counts.get(code, 0) + 1
        seconds = time.monotonic() - started
        done.set()
        for w in watchers:
            w.join(35)
        after = _rss_kb(server.pid)
        assert server.running
    bad = {f: c for f, c in statuses.items() if set(c) - {"OK", "INVALID_ARGUMENT"}}
    worst = max(health_ms)
    peak_mb = max(rss_kb) / 1024
    ok = not bad and worst <= HEALTH_LIMIT_MS and peak_mb <= HOSTILE_RSS_LIMIT_MB
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
        for name, counts in statuses.items()
    )
    ROWS.append(
        (
            "hostile valid input",
            f"the hardening issue's findings replayed in {seconds:.0f} s "
            f"({sum(sum(c.values()) for c in statuses.values()):,} calls): {summary}",
            f"health every 50 ms: {len(health_ms):,} checks, p50 "
            f"{statistics.median(health_ms):.1f} ms, p99 "
            f"{statistics.quantiles(health_ms, n=100)[98]:.1f} ms, max {worst:.1f} ms "
            f"(limit {HEALTH_LIMIT_MS:.0f}); RSS {before / 1024:,.0f} MB before, "
            f"{peak_mb:,.0f} MB peak (limit {HOSTILE_RSS_LIMIT_MB:,}), {after / 1024:,.0f} MB "
            "after; no INTERNAL, no crash",
            "pass" if ok else "**FAIL**",
        )
    )
    assert not bad, bad
    assert peak_mb <= HOSTILE_RSS_LIMIT_MB, peak_mb
    assert worst <= HEALTH_LIMIT_MS, sorted(health_ms)[-10:]
