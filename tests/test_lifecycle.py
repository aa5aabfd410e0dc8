"""GetCustomerInsights on a small bilingual helpdesk with a known truth: activation
trouble hits new customers, packaging is praised, refunds are the minefield."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from builders import T0
from databases import fresh_db

from ticketminer.domain.errors import InvalidArgument
from ticketminer.domain.model import Ticket, TicketStatus

TOPICS = {
    "activation": (
        [
            "cannot activate my new account, the activation code is invalid",
            "activation email never arrived, cannot log in to the new account",
        ],
        ["新账号无法激活，激活码无效", "收不到激活邮件，新账号登录不了"],
    ),
    "shipping": (
        [
            "my package is delayed and the tracking is not updated",
            "parcel stuck in transit, courier tracking shows no movement",
        ],
        ["快递延迟，物流信息一直没有更新", "包裹卡在中转站，物流不动了"],
    ),
    "packaging": (
        [
            "love the packaging, the gift box is beautiful",
            "beautiful packaging, the gift box made my day",
        ],
        ["包装很精美，礼盒太漂亮了", "礼盒包装精美，送人很有面子"],
    ),
    "refund": (
        [
            "refund still not received after two weeks",
            "where is my refund, it has been weeks since the return",
        ],
        ["退款两周了还没到账", "退货后一直没有收到退款"],
    ),
}
FILLER = ["please help", "thanks", "asap", "hello", "order", "today", "again", "any update"]


def _tickets(seed: int = 7) -> tuple[list[Ticket], dict[str, str]]:
    rng = random.Random(seed)
    plan = [("activation", 120, 0.85), ("shipping", 300, 0.1), ("packaging", 120, 0.15),
            ("refund", 160, 0.1)]  # fmt: skip
    out, topic_of = [], {}
    for topic, count, new_share in plan:
        en, zh = TOPICS[topic]
        for k in range(count):
            created = T0 + timedelta(hours=rng.uniform(0, 24 * 28))
            age = rng.uniform(0, 20) if rng.random() < new_share else rng.uniform(120, 900)
            text = rng.choice(en if k % 2 else zh)
            csat = {"packaging": 5, "refund": rng.choice([1, 2, 3])}.get(topic, rng.choice([3, 4]))
            ticket = Ticket(
                external_id=f"{topic}-{k}",
                created_at=created,
                subject=text,
                description=f"{text} {rng.choice(FILLER)}",
                status=TicketStatus.SOLVED,
                solved_at=created + timedelta(hours=5),
                reopen_count=1 if topic == "refund" and rng.random() < 0.5 else 0,
                csat=csat,
                customer_since=created - timedelta(days=age),
            )
            out.append(ticket)
            topic_of[ticket.external_id] = topic
    return out, topic_of


@pytest.fixture(scope="module")
def insights(tmp_path_factory):
    from conftest import history_settings

    from ticketminer.app import App

    tickets, topic_of = _tickets()
    db = fresh_db(tmp_path_factory.mktemp("lifecycle"), "l")
    app = App.open(history_settings(db))
    try:
        assert app.tickets.ingest_bulk(iter(tickets)).rejected == 0
        app.issues.recluster("default")
        found = app.lifecycle.insights("default", None, None)
        by_tenure = {
            name: app.issues.list_issues("default", None, None, tenure_buckets=buckets)
            for name, buckets in (("new", ("first_30_days",)), ("all", ()))
        }
        listed = {
            i: {t.ticket.external_id for t in app.tickets.list("default", d, page_size=500).tickets}
            for i, d in ((n.issue_id, n.drill_down) for n in found.new_customer_issues)
        }
    finally:
        app.close()
    return found, topic_of, listed, db, by_tenure


def _topic(ids, topic_of) -> str:
    return Counter(topic_of[e] for e in ids).most_common(1)[0][0]


def test_new_customers_are_tripped_up_by_activation(insights) -> None:
    found, topic_of, listed, _, _ = insights
    assert found.new_bucket == "first_30_days" and found.tickets == 700
    top = found.new_customer_issues[0]
    assert _topic(top.evidence_ticket_ids, topic_of) == "activation"
    assert top.lift > 3 and top.pvalue < 1e-6 and top.share_new > top.share_other
    # The drill-down lists exactly the issue's new-customer tickets.
    assert len(listed[top.issue_id]) == top.new_tickets == top.metrics_new.volume
    assert all(topic_of[e] == "activation" for e in listed[top.issue_id])


def test_praise_is_packaging_in_both_languages(insights) -> None:
    found, topic_of, _, _, _ = insights
    issues = [d for d in found.praise if d.kind == "issue"]
    assert _topic(issues[0].evidence_ticket_ids, topic_of) == "packaging"
    terms = [d.term for d in found.praise if d.kind == "term"]
    assert {"packaging", "gift"} & set(terms[:6]) and {"包装", "礼盒"} & set(terms[:6])


def test_minefield_is_refunds(insights) -> None:
    found, topic_of, _, _, _ = insights
    issues = [d for d in found.minefields if d.kind == "issue"]
    assert _topic(issues[0].evidence_ticket_ids, topic_of) == "refund"
    assert issues[0].rate > 0.5 and issues[0].lift > 2
    terms = [d.term for d in found.minefields if d.kind == "term"]
    assert {"refund", "退款"} & set(terms[:6])


def test_bad_top_is_invalid(app) -> None:
    with pytest.raises(InvalidArgument):
        app.lifecycle.insights("default", None, None, top=51)


def test_insights_on_the_wire(insights) -> None:
    from dataclasses import replace

    import grpc
    from conftest import history_settings
    from grpc_helpers import violations

    from ticketminer.server import Server
    from ticketminer.v1 import ticketminer_pb2 as pb
    from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

    found, _, _, db, _ = insights
    srv = Server(replace(history_settings(db), port=0, anomaly_scan_seconds=0)).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            answer = stub.GetCustomerInsights(pb.GetCustomerInsightsRequest(), timeout=60)
            assert answer.tickets == 700 and answer.new_customer_bucket == "first_30_days"
            top = answer.new_customer_issues[0]
            assert top.issue_id == str(found.new_customer_issues[0].issue_id)
            assert list(top.drill_down.tenure_buckets) == ["first_30_days"]
            assert top.new_customer_metrics.volume == top.new_customer_tickets
            assert [d.label for d in answer.praise] == [d.label for d in found.praise]
            assert answer.minefields[0].evidence_ticket_ids
            bad = pb.GetCustomerInsightsRequest(top=99, start_time={"seconds": 10}, end_time={})
            with pytest.raises(grpc.RpcError) as err:
                stub.GetCustomerInsights(bad, timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "end_time" in violations(err.value)
            issues = stub.ListIssues(
                pb.ListIssuesRequest(tenure_buckets=["first_30_days"]), timeout=60
            )
            assert issues.total_tickets == found.new_customer_tickets
            with pytest.raises(grpc.RpcError) as err:
                stub.ListIssues(pb.ListIssuesRequest(tenure_buckets=["newbies"]), timeout=10)
            assert "tenure_buckets[0]" in violations(err.value)
    finally:
        srv.stop(grace=1)


def test_list_issues_counts_only_the_chosen_customers(insights) -> None:
    found, topic_of, _, _, by_tenure = insights
    new, everyone = by_tenure["new"], by_tenure["all"]
    assert new.total_tickets == found.new_customer_tickets < everyone.total_tickets == 700
    volumes = {s.record.issue_id: s.metrics.volume for s in new.issues}
    assert sum(volumes.values()) + new.unassigned_tickets == new.total_tickets
    # Among new customers, the activation issues are the largest.
    top = new.issues[0]
    assert topic_of[top.sample_ticket_ids[0]] == "activation"
    assert all(topic_of[e] == "activation" for e in top.sample_ticket_ids)
    assert top.trend.last_28d <= top.metrics.volume
