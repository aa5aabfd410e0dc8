"""The anger score: hostility markers count, the problem's own words and politeness do not.

The sentences are written for this test (not the synthetic generator's wording)."""

from __future__ import annotations

import pytest

from ticketminer.text.anger import ANGRY_THRESHOLD, AngerScorer, default_anger
from ticketminer.text.sentiment import default_scorer

ANGRY = [
    "This is the worst customer service I have ever dealt with.",
    "You people are incompetent, I'm filing a chargeback.",
    "Thanks in advance, but honestly this is a rip-off.",  # politeness hides nothing
    "I'm fed up with chasing you about this order",
    "等了半个月还没发货，你们就是骗钱的！",
    "客服一直踢皮球，我已经打12315了",
    "再不退款我就去消协。谢谢。",
    "這家店就是騙子",  # Traditional script folds to Simplified
    "到底还要等多久？？！失望",
]
POLITE = [
    "The package arrived broken, can I get a replacement? Thanks!",
    "物流太慢了，能不能帮我催一下快递？辛苦了。",
    "通电之后完全没反应，可能运输途中摔坏了。",
    "My order never arrived and the tracking hasn't updated in a week.",
    "Not disappointed at all, the replacement works fine.",
    "没有投诉的意思，只是想问一下退款进度。",
    "There is an issue with my invoice, could you check it?",  # "issue" is not "sue"
    "包装有破损，里面的耳机没事。",  # 破损 (damaged) is not 什么破
    "",
]


@pytest.mark.parametrize("text", ANGRY)
def test_hostile_tickets_are_angry(text: str) -> None:
    assert default_anger().is_angry(text), default_anger().markers(text)


@pytest.mark.parametrize("text", POLITE)
def test_factual_and_polite_complaints_are_not(text: str) -> None:
    assert not default_anger().is_angry(text), default_anger().markers(text)


def test_a_factual_complaint_can_read_very_negative_yet_calm() -> None:
    """Why anger is scored apart: the review-trained sentiment calls this strongly
    negative, though nobody is angry."""
    text = "物流太慢了，能不能帮我催一下快递？一直显示运输中，已经6天没有更新了。"
    assert default_scorer().score(text) < -0.8
    assert default_anger().score(text) < ANGRY_THRESHOLD


def test_score_scale_markers_count_once_and_weak_ones_need_company() -> None:
    scorer = AngerScorer()
    assert scorer.score("") == 0.0
    one = scorer.score("Terrible.")
    assert one == pytest.approx(0.5)
    assert scorer.score("Terrible. Terrible! terrible") == pytest.approx(one)
    assert scorer.score("Terrible, and a scam.") == pytest.approx(0.75)
    assert scorer.score("Where is it??!") == pytest.approx(1 - 2**-0.5)  # weak: not angry
    assert not scorer.is_angry("Where is it??!")
    assert scorer.is_angry("Where is it??! Still waiting")
    assert 0.0 <= scorer.score("太差了！垃圾！骗子！投诉！失望！！") < 1.0


def test_threshold_is_a_parameter() -> None:
    strict = AngerScorer(angry_threshold=0.7)
    assert not strict.is_angry("Terrible.")
    assert strict.is_angry("Terrible, and a scam.")
    assert "0.7" in repr(strict)
