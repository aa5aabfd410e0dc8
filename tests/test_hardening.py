"""Valid requests that used to freeze, crash or exhaust the server (issue "Hardening"):
one test per finding, each against the code path the finding named. The text-regex
finding is tests/test_text_linear_time.py; bounded caches, configuration errors and
the /metrics labels have their own modules."""

from __future__ import annotations

import random
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import numpy as np
import pytest
from builders import at, ticket
from databases import fresh_db
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_helpers import good_ticket, violations

from ticketminer.anomalies.rootcause import RootCauseLocalizer
from ticketminer.domain.anomalies import AnomalyQuery
from ticketminer.domain.errors import InvalidArgument
from ticketminer.domain.filters import Granularity, GroupBy, MetricsQuery, TicketFilter
from ticketminer.domain.model import IngestOutcome
from ticketminer.server import Server
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc


@pytest.fixture
def server(settings):
    srv = Server(replace(settings, recluster_min_tickets=10**9, anomaly_scan_seconds=0)).start()
    yield srv
    srv.stop(grace=1)


@pytest.fixture
def stub(server):
    with grpc.insecure_channel(
        f"127.0.0.1:{server.port}",
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    ) as channel:
        yield pb_grpc.TicketMinerStub(channel)


def _code(call) -> tuple[grpc.StatusCode, grpc.RpcError]:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value.code(), info.value


# -- 2: the root-cause lattice is bounded whatever the number of attributes ----------


def test_root_cause_search_with_156_attribute_keys_stays_within_its_cell_budget():
    """64 attributes a ticket drawn from 156 keys took > 6 GB; now the least informative
    attributes are left out until the lattice fits `max_cells`."""
    rng = np.random.default_rng(0)
    n_leaves, n_keys = 3000, 156
    codes = np.full((n_leaves, n_keys), -1, dtype=np.int64)
    for i in range(n_leaves):
        keys = rng.choice(n_keys, size=64, replace=False)
        codes[i, keys] = rng.integers(0, 4, size=64)
    expected = rng.poisson(5, n_leaves).astype(float) + 1
    observed = expected.copy()
    surge = codes[:, 3] == 1
    observed[surge] *= 4
    names = [f"k{j}" for j in range(n_keys)]
    localizer = RootCauseLocalizer(max_cells=2_000_000)
    tracemalloc.start()
    try:
        localizer.fit(codes, observed, expected, feature_names=names, categories=[range(4)] * 156)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    kept = n_keys - len(localizer.skipped_features_)
    assert 0 < kept < n_keys
    assert peak < 400 * 2**20
    assert localizer.n_tests_ <= 2 * 2_000_000


def test_root_cause_budget_prefers_common_low_cardinality_attributes():
    rng = np.random.default_rng(1)
    n = 4000
    carrier = rng.integers(0, 4, n)  # on every leaf, 4 values
    sku = rng.integers(0, 1500, n)  # on every leaf, 1,500 values
    rare = np.where(rng.random(n) < 0.02, rng.integers(0, 3, n), -1)  # on 2 % of leaves
    codes = np.column_stack([sku, rare, carrier])
    expected = np.full(n, 3.0)
    observed = np.where(carrier == 2, 12.0, 3.0)
    localizer = RootCauseLocalizer(max_cells=3 * n)
    localizer.fit(
        codes,
        observed,
        expected,
        feature_names=["sku", "rare", "carrier"],
        categories=[range(1500), range(3), range(4)],
    )
    assert "carrier" not in localizer.skipped_features_
    assert localizer.root_cause_set_[0].dims == (("carrier", "2"),)


def test_scan_of_a_tenant_with_156_attribute_keys_names_only_the_informative_ones(app):
    """63 random keys of 156 on every ticket, and a carrier surge: the scan loads at most
    its dimension budget of columns and still names the carrier."""
    rng = random.Random(0)
    keys = [f"key{j:03d}" for j in range(156)]
    tickets = []
    for day in range(35):
        surge = 60 if day >= 33 else 0
        for i in range(20 + surge):
            attrs = {k: f"v{rng.randrange(4)}" for k in rng.sample(keys, 63)}
            attrs["carrier"] = "EMS" if i >= 20 else rng.choice(["SF", "JD", "YTO"])
            minute = day * 24 * 60 + i * 10
            tickets.append(ticket(f"t{day}-{i}", minute, subject="parcel late", attributes=attrs))
    assert app.tickets.ingest_bulk(iter(tickets)).rejected == 0
    app.anomalies.scan("default")
    assert len(app.facts.table("default").attributes) <= 12
    found = app.anomalies.list(AnomalyQuery("default")).anomalies
    causes = [c.dims for a in found for c in a.root_causes]
    assert (("carrier", "EMS"),) in causes


# -- 3: attribute columns: made-up keys are never kept, real ones in an LRU ----------


def test_metrics_naming_2000_unknown_keys_keep_no_columns(app):
    app.tickets.ingest(ticket("a", 0, attributes={"carrier": "SF"}))
    for i in range(2000):
        app.metrics.get_metrics(
            MetricsQuery("default", TicketFilter(attributes=((f"nokey{i}", "x"),)))
        )
    app.metrics.get_metrics(MetricsQuery("default", group_by=GroupBy("attribute", "nokey")))
    assert list(app.facts.table("default").attributes) == []


def test_attribute_columns_are_an_lru_of_bounded_size(app):
    keys = [f"k{j}" for j in range(100)]
    app.tickets.ingest(ticket("a", 0, attributes={k: "v" for k in keys[:60]}))
    app.tickets.ingest(ticket("b", 1, attributes={k: "w" for k in keys[40:]}))
    for key in keys:
        report = app.metrics.get_metrics(
            MetricsQuery("default", TicketFilter(attributes=((key, "v"),)))
        )
        assert report.overall.volume == (1 if key in keys[:60] else 0)
    table = app.facts.table("default")
    assert len(table.attributes) == table.max_attribute_columns == 64
    assert list(table.attributes)[-1] == "k99"  # the most recently used is kept
    # Evicted columns load again on demand, with the right values.
    first = app.metrics.get_metrics(
        MetricsQuery("default", TicketFilter(attributes=(("k0", "v"),)))
    )
    assert first.overall.volume == 1


# -- 4: groups x buckets is refused before any work ---------------------------------


def test_grouped_daily_series_over_the_point_limit_is_refused_up_front(app):
    start = datetime(2020, 1, 1, tzinfo=UTC)
    tickets = [
        replace(
            ticket(f"t{i}", 0, attributes={"carrier": f"c{i % 500}"}),
            created_at=start + timedelta(days=i * 2000 // 1000),
        )
        for i in range(1000)
    ]
    app.tickets.ingest_bulk(iter(tickets))
    query = MetricsQuery(
        "default",
        group_by=GroupBy("attribute", "carrier"),
        granularity=Granularity.DAY,
    )
    with pytest.raises(InvalidArgument) as info:
        app.metrics.get_metrics(query)
    (violation,) = info.value.violations
    assert violation.field == "granularity" and "series points" in violation.description
    weekly = app.metrics.get_metrics(
        replace(query, granularity=Granularity.WEEK, group_by=GroupBy("channel"))
    )
    assert len(weekly.series) > 280


# -- 5 and 6: tenant ids: bounded, never "*", and a made-up one leaves no state ------


def test_read_with_a_4_mib_tenant_id_is_invalid_and_leaves_nothing(stub, server):
    code, err = _code(lambda: stub.GetMetrics(pb.GetMetricsRequest(tenant_id="x" * 4 * 2**20)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "tenant_id" in violations(err)
    for i in range(200):
        request = pb.GetMetricsRequest(tenant_id=f"made-up-{i}")
        assert _code(lambda r=request: stub.GetMetrics(r, timeout=10))[0] == (
            grpc.StatusCode.NOT_FOUND
        )
    assert server.app.facts._tables == {}
    assert server.app.directory._known == set()


@pytest.mark.parametrize(
    "request_",
    [
        pb.GetMetricsRequest(tenant_id="*"),
        pb.ListTicketsRequest(tenant_id="*"),
        pb.GetWeeklyDigestRequest(tenant_id="*"),
        pb.UpdateTenantSettingsRequest(settings=pb.TenantSettings(tenant_id="*")),
    ],
)
def test_star_is_never_a_tenant_id(stub, request_):
    method = {
        pb.GetMetricsRequest: stub.GetMetrics,
        pb.ListTicketsRequest: stub.ListTickets,
        pb.GetWeeklyDigestRequest: stub.GetWeeklyDigest,
        pb.UpdateTenantSettingsRequest: stub.UpdateTenantSettings,
    }[type(request_)]
    code, err = _code(lambda: method(request_, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert any("reserved" in d for d in violations(err).values())


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("GetTicket", pb.GetTicketRequest(tenant_id="t", external_id="\x00"), "external_id"),
        ("GetIssue", pb.GetIssueRequest(tenant_id="t", issue_id="a\x00"), "issue_id"),
        (
            "GetMetrics",
            pb.GetMetricsRequest(tenant_id="t", filter=pb.TicketFilter(customer_id="\x00c")),
            "filter.customer_id",
        ),
    ],
)
def test_a_nul_byte_in_a_lookup_is_invalid_not_internal(stub, method, request_, field):
    """Found by the request fuzz on PostgreSQL: text there cannot hold NUL, so the
    driver raised where SQLite found nothing."""
    code, err = _code(lambda: getattr(stub, method)(request_, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(err)[field] == "must not contain a NUL byte"


def test_ingest_refuses_tenant_star(stub):
    ticket_ = good_ticket(tenant_id="*")
    code, err = _code(lambda: stub.IngestTicket(pb.IngestTicketRequest(ticket=ticket_)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "ticket.tenant_id" in violations(err)


def test_keys_create_refuses_tenant_star(tmp_path, capsys):
    from ticketminer.cli import main

    db = fresh_db(tmp_path, "keys")
    assert main(["keys", "create", "--tenant", "*", "--scope", "read", "--db", db]) == 2
    assert "--all-tenants" in capsys.readouterr().err


# -- 8: a foreign-tenant item sinks nothing else --------------------------------------


def test_a_foreign_tenant_item_after_a_full_chunk_loses_nothing(settings):
    srv = Server(replace(settings, auth="keys")).start()
    try:
        _, token = srv.app.api_keys.create(["a"], "write")
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            meta = (("authorization", f"Bearer {token}"),)
            items = [
                pb.IngestTicketRequest(ticket=good_ticket(f"a{i}", tenant_id="a"))
                for i in range(1500)
            ]
            items.insert(1200, pb.IngestTicketRequest(ticket=good_ticket("b0", tenant_id="b")))
            report = stub.IngestTickets(iter(items), metadata=meta, timeout=60)
            assert (report.created, report.rejected) == (1500, 1)
            assert report.errors[0].index == 1200
            listed = stub.ListTickets(
                pb.ListTicketsRequest(tenant_id="a", page_size=1), metadata=meta, timeout=10
            )
            assert listed.total_size == 1500
    finally:
        srv.stop(grace=1)


# -- 9: a state without updated_at keeps the stored one -----------------------------


def test_missing_updated_at_never_clears_the_stale_check(app):
    app.tickets.ingest(ticket("a", 0, updated_at=at(300), subject="newest"))
    assert app.tickets.ingest(ticket("a", 0, subject="no time")).outcome == IngestOutcome.UPDATED
    stale = app.tickets.ingest(ticket("a", 0, updated_at=at(100), subject="oldest"))
    assert stale.outcome == IngestOutcome.STALE
    stored = app.tickets.get("default", "a").ticket
    assert stored.subject == "no time" and stored.updated_at == at(300)


# -- 10: every parse of a user value is INVALID_ARGUMENT ------------------------------

_Y9999 = Timestamp(seconds=253402300799)
_Y1 = Timestamp(seconds=-62135596800)


def _window(start: Timestamp, end: Timestamp) -> pb.TicketFilter:
    return pb.TicketFilter(start_time=start, end_time=end)


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("GetAnomaly", pb.GetAnomalyRequest(anomaly_id="9" * 5000)),
        ("GetAnomaly", pb.GetAnomalyRequest(anomaly_id="18446744073709551616")),
        ("ListAnomalies", pb.ListAnomaliesRequest(page_token="18446744073709551616")),
        ("ListTickets", pb.ListTicketsRequest(page_token="eyJjIjogMWU0MDAsICJwIjogMX0")),
        ("ListTickets", pb.ListTicketsRequest(page_token="W1tbW1tbW1tbW1tbW11dXV1dXV1dXV1dXV1d")),
        ("GetWeeklyDigest", pb.GetWeeklyDigestRequest(time_zone="Asia")),
        ("GetWeeklyDigest", pb.GetWeeklyDigestRequest(time_zone="../../etc/passwd")),
        ("GetWeeklyDigest", pb.GetWeeklyDigestRequest(iso_week="9999-W52")),
        ("GetMetrics", pb.GetMetricsRequest(time_zone="Asia\x00")),
        (
            "GetMetrics",
            pb.GetMetricsRequest(
                filter=_window(Timestamp(seconds=_Y9999.seconds - 86400 * 30), _Y9999),
                granularity=pb.GRANULARITY_DAY,
            ),
        ),
        (
            "GetMetrics",
            pb.GetMetricsRequest(
                filter=_window(_Y1, Timestamp(seconds=_Y1.seconds + 86400 * 30)),
                granularity=pb.GRANULARITY_WEEK,
                time_zone="America/New_York",
            ),
        ),
        ("ListIssues", pb.ListIssuesRequest(start_time=_Y1, end_time=_Y9999)),
        ("GetCustomerInsights", pb.GetCustomerInsightsRequest(end_time=_Y9999)),
    ],
)
def test_extreme_values_are_invalid_argument_not_internal(stub, method, request_):
    stub.IngestTicket(pb.IngestTicketRequest(ticket=good_ticket()), timeout=10)
    code, _ = _code(lambda: getattr(stub, method)(request_, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_ticket_at_year_9999_is_refused_and_scans_go_on(stub):
    far = Timestamp(seconds=_Y9999.seconds - 1800)
    late = good_ticket("late", created_at=far, solved_at=Timestamp(seconds=far.seconds + 60))
    del late.messages[:]
    code, err = _code(lambda: stub.IngestTicket(pb.IngestTicketRequest(ticket=late)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "ticket.created_at" in violations(err)
    stub.IngestTicket(pb.IngestTicketRequest(ticket=good_ticket()), timeout=10)
    stub.ScanAnomalies(pb.ScanAnomaliesRequest(), timeout=60)


# -- 11: a thousand violations still come back as INVALID_ARGUMENT -------------------


def test_a_thousand_violations_fit_a_default_clients_trailers(stub):
    bad = good_ticket()
    del bad.messages[:]
    for _ in range(1000):
        bad.messages.add(author_role=pb.AUTHOR_ROLE_AGENT, body="no time")
    code, err = _code(lambda: stub.IngestTicket(pb.IngestTicketRequest(ticket=bad), timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    found = violations(err)
    assert "ticket.messages[0].created_at" in found
    assert any(d.startswith("and ") and d.endswith("more violations") for d in found.values())


# -- 12: responses stay under the send limit -----------------------------------------


def test_list_tickets_pages_large_tickets_under_the_send_limit(stub):
    text = "x" * 64 * 1024
    for i in range(8):
        big = good_ticket(f"big{i}", description=text, subject=text)
        big.attributes.clear()
        big.attributes.update({f"k{j}": text for j in range(63)})
        stub.IngestTicket(pb.IngestTicketRequest(ticket=big), timeout=30)
    seen, token = [], ""
    while True:
        page = stub.ListTickets(pb.ListTicketsRequest(page_token=token), timeout=30)
        assert page.ByteSize() < 16 * 2**20
        seen += [t.ticket.external_id for t in page.tickets]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == [f"big{i}" for i in range(8)]
    assert len(seen) == len(set(seen))


def test_stream_report_of_300_items_with_1000_violations_each_is_answered(stub):
    def items():
        for i in range(300):
            bad = good_ticket(f"bad{i}")
            del bad.messages[:]
            for _ in range(1000):
                bad.messages.add(author_role=pb.AUTHOR_ROLE_AGENT)
            yield pb.IngestTicketRequest(ticket=bad)
        yield pb.IngestTicketRequest(ticket=good_ticket("fine"))

    report = stub.IngestTickets(items(), timeout=120)
    assert (report.created, report.rejected) == (1, 300)
    assert report.errors_truncated
    assert all(len(e.field_violations) == 10 for e in report.errors)


# -- 13: one stray old ticket does not make GetIssue's daily series huge ------------


def test_get_issue_without_a_window_survives_a_ticket_from_1970(app):
    old = replace(
        ticket("old", 0, subject="parcel late"), created_at=datetime(1970, 1, 2, tzinfo=UTC)
    )
    recent = [ticket(f"r{i}", i * 60, subject="parcel late again") for i in range(30)]
    app.tickets.ingest_bulk(iter([old, *recent]))
    app.issues.recluster("default", n_issues=1)
    (issue,) = app.issues.list_issues("default", None, None).issues
    detail = app.issues.get_issue("default", issue.record.issue_id, None, None)
    assert 1 <= len(detail.daily) <= 367


def test_get_issue_window_helper_keeps_explicit_windows(app):
    tickets = [ticket(f"r{i}", i * 60 * 24, subject="refund missing") for i in range(10)]
    app.tickets.ingest_bulk(iter(tickets))
    app.issues.recluster("default", n_issues=1)
    (issue,) = app.issues.list_issues("default", None, None).issues
    midnight = at(0).replace(hour=0)
    window = (midnight, midnight + timedelta(days=10))
    detail = app.issues.get_issue("default", issue.record.issue_id, *window)
    assert len(detail.daily) == 10


def test_jobs_for_made_up_tenants_leave_no_lock_files(stub, server):
    url = server.app.settings.db_url
    folder = Path(url.removeprefix("sqlite:///") + ".locks")

    def lock_files() -> set[str]:
        return {p.name for p in folder.iterdir()} if folder.exists() else set()

    stub.IngestTicket(pb.IngestTicketRequest(ticket=good_ticket()), timeout=10)
    stub.ScanAnomalies(pb.ScanAnomaliesRequest(), timeout=60)  # a real tenant's lock
    before = lock_files()
    for i in range(30):
        for call in (
            lambda i=i: stub.ScanAnomalies(
                pb.ScanAnomaliesRequest(tenant_id=f"ghost-{i}"), timeout=10
            ),
            lambda i=i: stub.ReclusterIssues(
                pb.ReclusterIssuesRequest(tenant_id=f"ghost-{i}"), timeout=10
            ),
        ):
            assert _code(call)[0] == grpc.StatusCode.NOT_FOUND
    assert lock_files() == before
    if not url.startswith("postgres"):
        assert before  # the real tenant's scan did take a file lock
