"""Issue 21: praise is not politeness. The scorer keeps polite complaints (both languages) below
the praise line and negative; over gRPC, GetCustomerInsights counts no polite complaint without
a CSAT as praise and ranks no politeness word as a praise driver, and GetMetrics reports the
mean sentiment and the negative share of the scored tickets per issue."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from builders import T0
from databases import fresh_db

from ticketminer.domain.lifecycle import POSITIVE_SENTIMENT
from ticketminer.domain.model import Ticket, TicketStatus
from ticketminer.text.sentiment import NEGATIVE_THRESHOLD, default_scorer
from ticketminer.text.support_signals import (
    COMPLAINT_CEILING,
    POLITENESS_TERMS,
    complaint_signals,
    has_complaint,
)

POLITE_COMPLAINTS_EN = [
    "My phone arrived with a cracked screen. Please help asap, thanks.",
    "The item arrived broken. Thank you so much in advance, I really appreciate your great help, "
    "you are the best!",
    "Hi team, I cannot log in since the update. Would really appreciate your help, thank you!",
    "Sorry to bother you, I am still waiting for my refund. Many thanks, you are wonderful.",
]
POLITE_COMPLAINTS_ZH = [
    "收到的杯子坏了，麻烦尽快退款，辛苦了，谢谢",
    "您好，登录一直循环进不去，麻烦帮忙看看，非常感谢！",
    "亲，快递一周了还没收到，麻烦帮忙查一下，谢谢您，你们最棒了！",
    "谢谢！上次说修好了，但是问题还没解决，麻烦重开一下工单。",
]
PRAISE_EN = [
    "Amazing support, super friendly and fast. I love this shop, great job!",
    "The agent was wonderful and fixed everything in minutes. Excellent service, thank you!",
]
PRAISE_ZH = [
    "东西质量非常好，包装也很精美，很满意，好评！",
    "服务态度特别好，耐心又专业，非常满意！",
]


@pytest.fixture(scope="module")
def scorer():
    return default_scorer()


@pytest.mark.parametrize("text", POLITE_COMPLAINTS_EN + POLITE_COMPLAINTS_ZH)
def test_polite_complaints_are_negative_not_praise(scorer, text: str) -> None:
    score = scorer.score(text)
    assert score <= COMPLAINT_CEILING < NEGATIVE_THRESHOLD, score
    assert has_complaint(text)


@pytest.mark.parametrize("text", PRAISE_EN + PRAISE_ZH)
def test_explicit_praise_stays_positive(scorer, text: str) -> None:
    assert scorer.score(text) > 0.5
    assert not has_complaint(text), complaint_signals(text)


@pytest.mark.parametrize(
    "text",
    ["Please help, thanks!", "Thank you so much, I appreciate it.", "麻烦您了，谢谢，辛苦了"],
)
def test_politeness_alone_is_neutral(scorer, text: str) -> None:
    assert abs(scorer.score(text)) < 0.3, scorer.score(text)


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("The screen is not broken, it just looks dim.", []),
        ("It doesn't work and I want a refund", ["doesn't work", "refund"]),
        ("没坏，只是有点脏", []),
        ("还没收到 退款", ["还没收到", "退款"]),  # stored tokens: spaces between Chinese words
        ("没 收到 货", ["没收到"]),
    ],
)
def test_complaint_signals(text: str, signals: list[str]) -> None:
    assert complaint_signals(text) == signals


def test_bench_politeness_set_keeps_every_polite_complaint_below_the_line(scorer) -> None:
    from bench.sentiment_eval import support_set

    rows = support_set()
    polite = [text for kind, _, text in rows if kind == "polite_complaint"]
    assert len(rows) >= 40 and len({lang for _, lang, _ in rows}) == 2
    assert max(scorer.score(t) for t in polite) < POSITIVE_SENTIMENT


def _tickets(seed: int = 3) -> tuple[list[Ticket], dict[str, str]]:
    """Polite complaints and explicit praise, none with a CSAT, over three weeks; plus
    neutral questions. Praise says "help" too, so only the politeness filter keeps it out."""
    rng = random.Random(seed)
    kinds = {
        "complaint": (POLITE_COMPLAINTS_EN + POLITE_COMPLAINTS_ZH, 120),
        "praise": (
            [
                "Amazing help, super friendly and fast. I love this shop, great job!",
                "Wonderful help from your agent, excellent service, thank you so much!",
                "服务态度特别好，帮忙很耐心又专业，非常满意，好评！",
            ],
            60,
        ),
        "question": (["How do I change my delivery address?", "请问怎么修改收货地址？"], 120),
    }
    out, kind_of = [], {}
    for kind, (texts, count) in kinds.items():
        for k in range(count):
            created = T0 + timedelta(hours=rng.uniform(0, 24 * 21))
            text = texts[k % len(texts)]
            ticket = Ticket(
                external_id=f"{kind}-{k}",
                created_at=created,
                subject=text[:40],
                description=text,
                status=TicketStatus.SOLVED,
                solved_at=created + timedelta(hours=3),
            )
            out.append(ticket)
            kind_of[ticket.external_id] = kind
    return out, kind_of


def test_insights_and_metrics_over_grpc(tmp_path) -> None:
    import grpc
    from conftest import history_settings

    from ticketminer.server import Server
    from ticketminer.v1 import ticketminer_pb2 as pb
    from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

    tickets, kind_of = _tickets()
    db = fresh_db(tmp_path, "praise")
    srv = Server(replace(history_settings(db), port=0, anomaly_scan_seconds=0)).start()
    try:
        assert srv.app.tickets.ingest_bulk(iter(tickets)).rejected == 0
        srv.app.issues.recluster("default")
        with grpc.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = pb_grpc.TicketMinerStub(channel)
            metrics = pb.GetMetricsRequest(group_by="issue")
            before = stub.GetMetrics(metrics, timeout=60)
            # Nothing scored yet: no value rather than a made-up neutral one.
            assert before.overall.sentiment_scored == 0
            assert not before.overall.HasField("sentiment_mean")
            assert not before.overall.HasField("negative_share")

            stub.ScanAnomalies(pb.ScanAnomaliesRequest(), timeout=300)
            answer = stub.GetCustomerInsights(pb.GetCustomerInsightsRequest(top=20), timeout=60)
            assert answer.tickets == len(tickets)
            evidence = [e for d in answer.praise for e in d.evidence_ticket_ids]
            assert evidence and all(kind_of[e] == "praise" for e in evidence)
            # Every praise ticket reads as praise; not one polite complaint does.
            assert answer.praise_tickets == 60
            terms = [d.term for d in answer.praise if d.kind == "term"]
            assert terms and not set(terms) & POLITENESS_TERMS, terms

            after = stub.GetMetrics(metrics, timeout=60)
            overall = after.overall
            assert overall.sentiment_scored == len(tickets)
            assert overall.negative_share == pytest.approx(120 / 300)
            by_kind: dict[str, list[float]] = {}
            for group in after.groups:
                listed = stub.ListTickets(
                    pb.ListTicketsRequest(filter=group.drill_down, page_size=500), timeout=60
                )
                kinds = {kind_of[t.ticket.external_id] for t in listed.tickets}
                assert len(kinds) == 1, kinds  # the three kinds never share an issue
                m = group.metrics
                assert m.sentiment_scored == m.volume
                by_kind.setdefault(kinds.pop(), []).append(m.negative_share)
            assert set(by_kind["complaint"]) == {1.0}
            assert set(by_kind["praise"]) == {0.0} and set(by_kind["question"]) == {0.0}
            assert math.isfinite(overall.sentiment_mean) and overall.sentiment_mean < 0.3
            names = {d.name for d in after.definitions}
            assert "sentiment" in names
    finally:
        srv.stop(grace=1)


def test_a_stale_high_score_with_complaint_tokens_is_not_praise() -> None:
    """Scores stored before the complaint ceiling stay until the ticket changes: the stored
    tokens (Chinese words space-separated) still keep such a complaint out of praise."""
    import numpy as np

    from ticketminer.services.lifecycle import _explicit_praise

    stored = np.array([0.93, 0.95, 0.95, 0.5])
    tokens = [
        "item arrived broken <follow_ups> help asap",
        "收到 杯子 坏 尽快 退款",
        "love packaging gift box beautiful",
        "love it",
    ]
    assert _explicit_praise(stored, tokens).tolist() == [False, False, True, False]
