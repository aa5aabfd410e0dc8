"""Valid requests that once froze, crashed or exhausted the server (issue "Hardening"),
as families of calls for the reliability suite's hostile-input round.

Not a test module (pytest puts this directory on sys.path, as for builders.py). Every
call is valid on the wire; each family names the finding it replays.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TENANT = "hostile"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_Y9999 = Timestamp(seconds=253402300799)


@dataclass(frozen=True)
class Family:
    name: str
    calls: Callable[[pb_grpc.TicketMinerStub], Iterator[Callable[[], object]]]


def _ticket(external_id: str, created: datetime, **fields) -> pb.Ticket:
    ticket = pb.Ticket(tenant_id=TENANT, external_id=external_id, channel="email", **fields)
    ticket.created_at.FromDatetime(created)
    return ticket


def _ingest(stub, ticket: pb.Ticket) -> Callable[[], object]:
    return lambda: stub.IngestTicket(pb.IngestTicketRequest(ticket=ticket), timeout=60)


def spaces(stub) -> Iterator[Callable[[], object]]:
    """1: runs of spaces after an order keyword and after 'external', 2,000 chars each,
    then the digest that quotes them."""
    for i in range(20):
        text = "ticket 12 order" + " " * 2000 + "!"
        lines = "external" + " " * 2000 + "x\nplease help"
        ticket = _ticket(f"sp-{i}", T0 + timedelta(hours=i), subject=text, description=lines)
        for _ in range(6):
            ticket.messages.add(author_role=pb.AUTHOR_ROLE_CUSTOMER, body=text, public=True)
            ticket.messages[-1].created_at.FromDatetime(T0 + timedelta(hours=i))
        yield _ingest(stub, ticket)
    yield lambda: stub.ReclusterIssues(pb.ReclusterIssuesRequest(tenant_id=TENANT), timeout=120)
    yield lambda: stub.GetWeeklyDigest(
        pb.GetWeeklyDigestRequest(tenant_id=TENANT, iso_week="2026-W10"), timeout=120
    )


def wide_attributes(stub) -> Iterator[Callable[[], object]]:
    """2: 63 attributes a ticket from 156 keys, a surge, then a scan (the root-cause
    lattice)."""
    rng = random.Random(2)
    keys = [f"key{j:03d}" for j in range(156)]

    def batch(day: int, n: int) -> Iterator[pb.IngestTicketRequest]:
        for i in range(n):
            attrs = {k: f"v{rng.randrange(4)}" for k in rng.sample(keys, 63)}
            attrs["carrier"] = "EMS" if i >= 20 else rng.choice(["SF", "JD"])
            created = T0 + timedelta(days=day - 35, minutes=10 * i)
            yield pb.IngestTicketRequest(
                ticket=_ticket(f"wa-{day}-{i}", created, subject="parcel late", attributes=attrs)
            )

    for day in range(35):
        n = 80 if day >= 33 else 20
        yield lambda d=day, n=n: stub.IngestTickets(batch(d, n), timeout=120)
    yield lambda: stub.ScanAnomalies(pb.ScanAnomaliesRequest(tenant_id=TENANT), timeout=120)


def unknown_keys(stub) -> Iterator[Callable[[], object]]:
    """3: attribute filters and group-bys naming keys no ticket has."""
    for i in range(1000):
        flt = pb.TicketFilter(attributes={f"nokey-{i}": "x"})
        yield lambda f=flt: stub.GetMetrics(
            pb.GetMetricsRequest(tenant_id=TENANT, filter=f), timeout=60
        )
    many = pb.TicketFilter(attributes={f"nokey-{i}": "x" for i in range(999)})
    yield lambda: stub.GetMetrics(pb.GetMetricsRequest(tenant_id=TENANT, filter=many), timeout=60)


def groups_by_days(stub) -> Iterator[Callable[[], object]]:
    """4: 500 carriers x 2,000 days as a daily grouped series."""

    def spread() -> Iterator[pb.IngestTicketRequest]:
        for i in range(1000):
            created = T0 - timedelta(days=2 * i)
            attrs = {"carrier": f"c{i % 500}"}
            yield pb.IngestTicketRequest(ticket=_ticket(f"gd-{i}", created, attributes=attrs))

    yield lambda: stub.IngestTickets(spread(), timeout=120)
    request = pb.GetMetricsRequest(
        tenant_id=TENANT, group_by="attributes.carrier", granularity=pb.GRANULARITY_DAY
    )
    for _ in range(5):
        yield lambda: stub.GetMetrics(request, timeout=60)


def huge_ids(stub) -> Iterator[Callable[[], object]]:
    """5, 6, 10: 4 MiB tenant ids, '*', 5,000-digit ids, overflowing tokens, odd zones
    and year-9999 windows."""
    for _ in range(40):
        yield lambda: stub.GetMetrics(pb.GetMetricsRequest(tenant_id="t" * 4 * 2**20), timeout=60)
    yield _ingest(stub, _ticket("star", T0))  # a valid ticket...
    star = pb.Ticket(tenant_id="*", external_id="s", created_at=Timestamp(seconds=1_772_442_000))
    yield _ingest(stub, star)  # ...and one for tenant "*"
    # The rest name a known tenant: an unseen one is NOT_FOUND before its arguments count.
    yield lambda: stub.GetAnomaly(
        pb.GetAnomalyRequest(tenant_id=TENANT, anomaly_id="9" * 5000), timeout=60
    )
    token = "18446744073709551616"
    yield lambda: stub.ListAnomalies(
        pb.ListAnomaliesRequest(tenant_id=TENANT, page_token=token), timeout=60
    )
    yield lambda: stub.GetWeeklyDigest(
        pb.GetWeeklyDigestRequest(tenant_id=TENANT, time_zone="Asia"), timeout=60
    )
    end = pb.TicketFilter(start_time=Timestamp(seconds=_Y9999.seconds - 86400), end_time=_Y9999)
    yield lambda: stub.GetMetrics(
        pb.GetMetricsRequest(tenant_id=TENANT, filter=end, granularity=pb.GRANULARITY_DAY),
        timeout=60,
    )
    far = _ticket("far", T0)
    far.created_at.CopyFrom(Timestamp(seconds=_Y9999.seconds - 1800))
    yield _ingest(stub, far)


def many_violations(stub) -> Iterator[Callable[[], object]]:
    """11, 12: 1,000 violations in one ticket, and a stream of 300 such tickets."""
    bad = _ticket("bad", T0)
    for _ in range(1000):
        bad.messages.add(author_role=pb.AUTHOR_ROLE_AGENT, body="no time")
    yield _ingest(stub, bad)

    def stream() -> Iterator[pb.IngestTicketRequest]:
        for i in range(300):
            item = pb.Ticket()
            item.CopyFrom(bad)
            item.external_id = f"bad-{i}"
            yield pb.IngestTicketRequest(ticket=item)

    yield lambda: stub.IngestTickets(stream(), timeout=120)


def large_tickets(stub) -> Iterator[Callable[[], object]]:
    """12: 8 tickets at the size limits, then ListTickets with the default page."""
    text = "x" * 64 * 1024
    for i in range(8):
        attrs = {f"k{j}": text for j in range(63)}
        ticket = _ticket(f"big-{i}", T0, subject=text, description=text, attributes=attrs)
        yield _ingest(stub, ticket)
    for _ in range(3):
        yield lambda: stub.ListTickets(pb.ListTicketsRequest(tenant_id=TENANT), timeout=60)


def old_ticket(stub) -> Iterator[Callable[[], object]]:
    """13: one ticket from 1970, a re-cluster, then GetIssue with no window."""
    old = _ticket("old", datetime(1970, 1, 2, tzinfo=UTC), subject="parcel late")
    yield _ingest(stub, old)
    yield lambda: stub.ReclusterIssues(pb.ReclusterIssuesRequest(tenant_id=TENANT), timeout=120)

    yield lambda: _get_issue_of(stub, "old")


def _get_issue_of(stub, external_id: str) -> object:
    got = stub.GetTicket(pb.GetTicketRequest(tenant_id=TENANT, external_id=external_id), timeout=60)
    request = pb.GetIssueRequest(tenant_id=TENANT, issue_id=got.issue.issue_id or "1")
    return stub.GetIssue(request, timeout=60)


FAMILIES = [
    Family("1 regex: 2,000-space runs (ingest, digest)", spaces),
    Family("2 root cause: 63 of 156 keys a ticket (scan)", wide_attributes),
    Family("3 unknown attribute keys (GetMetrics)", unknown_keys),
    Family("4 500 groups x 2,000 days (GetMetrics)", groups_by_days),
    Family("5/6/10 huge ids, '*', extreme values", huge_ids),
    Family("11/12 1,000 violations, 300 x 1,000 in a stream", many_violations),
    Family("12 8 tickets at the size limits (ListTickets)", large_tickets),
    Family("13 a ticket from 1970 (GetIssue)", old_ticket),
]
