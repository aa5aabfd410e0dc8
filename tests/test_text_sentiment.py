"""Per-ticket sentiment: clear cases in Chinese and English, negation, intensifiers, placeholders,
mixed text, determinism, and accuracy floors on real reviews and the hand-written fixture."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ticketminer.text.sentiment import NEGATIVE_THRESHOLD, SentimentScorer, default_scorer

ROOT = Path(__file__).resolve().parents[1]
EN_FIXTURE = ROOT / "tests" / "fixtures" / "sentiment_en.tsv"
SHOPPING = (
    ROOT.parent / "shared" / "data" / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
)
# Their reviews are verbatim in the Chinese training corpus (see bench/sentiment_eval.py).
OVERLAPPING_CATEGORIES = {"书籍", "计算机", "酒店"}

NEGATIVE_ZH = [
    "等了一个星期还没发货，太差劲了，我要投诉！",
    "垃圾产品，用了两天就坏了",
    "客服态度恶劣，非常失望",
    "退款一直没到账，客服也不回复",
    "这次的体验非常糟糕",
]
POSITIVE_ZH = [
    "客服态度很好，问题解决了，谢谢",
    "东西收到了，质量很好，很满意",
    "物流很快，包装完好，好评",
    "非常感谢你们的耐心帮助",
]
NEGATIVE_EN = [
    "Terrible service, I will never order from you again.",
    "I was charged twice and nobody answers my emails. Unacceptable!",
    "The app keeps crashing, this is so frustrating.",
    "My package never arrived and I am very disappointed.",
]
POSITIVE_EN = [
    # Thanks alone no longer counts (politeness is neutral, issue 21): the praise must be said.
    "Thank you so much, the issue is resolved and everything works perfectly now.",
    "Great support, the agent was very helpful!",
]
NEUTRAL = [
    "请问如何修改收货地址？",
    "发票什么时候能开？",
    "请帮我把订单<order_no>取消",
    "Hi, how do I change the delivery address on my order?",
    "Please send me a copy of the invoice for order <order_no>.",
]


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return default_scorer()


@pytest.mark.parametrize("text", NEGATIVE_ZH + NEGATIVE_EN)
def test_clear_negatives(scorer: SentimentScorer, text: str) -> None:
    assert scorer.is_negative(text), scorer.score(text)


@pytest.mark.parametrize("text", POSITIVE_ZH + POSITIVE_EN)
def test_clear_positives(scorer: SentimentScorer, text: str) -> None:
    assert scorer.score(text) > 0.2


@pytest.mark.parametrize("text", NEUTRAL)
def test_support_questions_are_not_negative(scorer: SentimentScorer, text: str) -> None:
    assert not scorer.is_negative(text), scorer.score(text)


def test_traditional_chinese_scores_like_simplified(scorer: SentimentScorer) -> None:
    assert scorer.score("東西收到了，質量很好，很滿意") == scorer.score(
        "东西收到了，质量很好，很满意"
    )
    assert scorer.is_negative("客服態度惡劣，非常失望")


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("很满意", "不满意"),
        ("收到货了", "一直没有收到货"),
        ("质量好", "质量不好"),
        ("The service was good.", "The service was not good."),
        ("I am happy with it.", "I am not happy with it."),
    ],
)
def test_negation_flips_the_sign(scorer: SentimentScorer, plain: str, negated: str) -> None:
    assert scorer.score(plain) > 0 > scorer.score(negated)


def test_negation_ends_at_the_clause(scorer: SentimentScorer) -> None:
    """ "没有" negates "问题" but not the praise after the comma."""
    assert scorer.score("没有问题，很满意") > 0


@pytest.mark.parametrize(
    ("plain", "intensified"),
    [("质量差", "质量非常差"), ("服务好", "服务非常好"), ("It is bad.", "It is extremely bad.")],
)
def test_intensifiers_strengthen(scorer: SentimentScorer, plain: str, intensified: str) -> None:
    assert abs(scorer.score(intensified)) > abs(scorer.score(plain))
    assert np.sign(scorer.score(intensified)) == np.sign(scorer.score(plain))


@pytest.mark.parametrize(
    ("masked", "plain"),
    [
        ("订单<order_no>还没发货，太慢了", "订单还没发货，太慢了"),
        ("My order <order_no> is late, contact me at <email>.", "My order is late, contact me at."),
        ("<phone> 谢谢 <url> <card> <tracking_no> <number>", "谢谢"),
    ],
)
def test_placeholders_do_not_change_the_score(
    scorer: SentimentScorer, masked: str, plain: str
) -> None:
    assert scorer.score(masked) == scorer.score(plain)


@pytest.mark.parametrize("text", ["", "   ", "\n", "<order_no>", "<email> <number>", "12345"])
def test_empty_or_contentless_text_scores_zero(scorer: SentimentScorer, text: str) -> None:
    assert scorer.score(text) == 0.0
    assert not scorer.is_negative(text)


def test_mixed_chinese_english(scorer: SentimentScorer) -> None:
    assert scorer.is_negative("the app crashes 每次都闪退，太烦了")
    assert scorer.is_negative("Refund still not received, 客服也不回复，太失望了")
    assert scorer.score("问题已经解决了，thanks a lot, great support!") > 0.2


def test_scores_are_bounded_and_deterministic(scorer: SentimentScorer) -> None:
    texts = NEGATIVE_ZH + POSITIVE_ZH + NEGATIVE_EN + POSITIVE_EN + NEUTRAL
    first = scorer.score_many(texts)
    assert first.dtype == np.float64 and first.shape == (len(texts),)
    assert np.all((first >= -1) & (first <= 1))
    assert np.array_equal(first, scorer.score_many(texts))


def test_score_many_equals_score(scorer: SentimentScorer) -> None:
    texts = NEGATIVE_ZH + POSITIVE_EN + NEUTRAL + ["", "不好 not good"]
    assert scorer.score_many(texts).tolist() == [scorer.score(t) for t in texts]
    assert scorer.score_many([]).shape == (0,)


def test_concurrent_scoring_matches_sequential(scorer: SentimentScorer) -> None:
    texts = (NEGATIVE_ZH + POSITIVE_ZH + NEGATIVE_EN + POSITIVE_EN + NEUTRAL) * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(scorer.score, texts))
    assert concurrent == [scorer.score(t) for t in texts]


def test_default_scorer_is_a_cached_singleton(scorer: SentimentScorer) -> None:
    assert default_scorer() is scorer
    assert scorer.negative_threshold == NEGATIVE_THRESHOLD < 0


def test_hand_written_english_fixture_accuracy(scorer: SentimentScorer) -> None:
    """60 hand-written support sentences (written with the support vocabulary: optimistic).
    Measured 0.90 at the threshold; the floor leaves room for a VADER lexicon update."""
    rows = [
        line.split("\t", 1)
        for line in EN_FIXTURE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(rows) >= 60
    correct = [scorer.is_negative(text) == (label == "neg") for label, text in rows]
    assert np.mean(correct) >= 0.85


def _shopping_sample(per_label: int) -> tuple[list[str], np.ndarray]:
    """A seeded, balanced sample of reviews outside the overlapping categories; 1 = negative."""
    with zipfile.ZipFile(SHOPPING) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        text = zf.read(name).decode("utf-8-sig")
    pools: dict[str, list[str]] = {"0": [], "1": []}
    for row in csv.DictReader(io.StringIO(text)):
        review = (row["review"] or "").strip()
        if review and row["cat"] not in OVERLAPPING_CATEGORIES:
            pools[row["label"]].append(review)
    rng = random.Random(1)
    negative, positive = rng.sample(pools["0"], per_label), rng.sample(pools["1"], per_label)
    return negative + positive, np.array([1] * per_label + [0] * per_label)


@pytest.mark.data
def test_accuracy_on_real_chinese_reviews(scorer: SentimentScorer) -> None:
    """500 online_shopping_10_cats reviews (evaluation only, never trained on). Measured on this
    sample: accuracy 0.87 by sign, 0.84 at the threshold; floors a few points lower."""
    if not SHOPPING.exists():
        pytest.skip(f"{SHOPPING} is missing: ../shared/data is not next to the repository")
    texts, negative = _shopping_sample(250)
    scores = scorer.score_many(texts)
    assert np.mean((scores < 0) == negative) >= 0.83
    assert np.mean((scores < NEGATIVE_THRESHOLD) == negative) >= 0.80
