"""TextPipeline: stop words, Traditional/Simplified equivalence, ticket texts, robustness."""

from __future__ import annotations

import threading
import time
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.text import TextPipeline, Tokenizer, default_pipeline


@cache
def pipeline(backend: str = "rjieba") -> TextPipeline:
    return TextPipeline(Tokenizer(backend))


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_traditional_equals_simplified(backend: str) -> None:
    p = pipeline(backend)
    assert p.tokens("我的訂單還沒到，物流太慢了") == p.tokens("我的订单还没到，物流太慢了")
    assert p.tokens("我的订单还没到，物流太慢了") == ["订单", "没", "到", "物流", "太慢"]


def test_stop_words_numbers_and_short_latin_are_dropped() -> None:
    assert pipeline().tokens(
        "Hi, I think the app is NOT working on my iPhone 15 at all, thanks!"
    ) == [
        "think",
        "app",
        "not",
        "working",
        "iphone",
    ]
    assert pipeline().tokens("您好，请问我的快递到哪里了？谢谢") == ["快递", "到"]
    assert pipeline().tokens("a b c 1 22 333 x-y") == ["xy"]


def test_single_han_characters_are_kept_unless_stop_words() -> None:
    # 碎 (broken) and 烫 (hot) are content; 了 and 的 are not.
    assert pipeline().tokens("屏幕碎了，手机烫的") == ["屏幕", "碎", "手机", "烫"]


def test_stop_words_can_be_kept() -> None:
    keep = TextPipeline(pipeline().tokenizer, stop_words=False)
    assert keep.tokens("我的订单") == ["我", "的", "订单"]
    assert keep.tokens("the 15 cards") == ["the", "cards"]


def test_pii_is_masked_in_tokens() -> None:
    tokens = pipeline().tokens("请联系我 13800138000 或者发邮件到 zhang.wei@example.com")
    assert tokens == ["联系", "<phone>", "发邮件", "到", "<email>"]


def test_ticket_tokens_dedupes_repeated_texts() -> None:
    description = "App登录的时候一直提示网络错误"
    reply = description + "\n\n发自我的iPhone\n\n> 您好，请重启试试"
    tokens = pipeline().ticket_tokens(
        "Re: 回复: 登录失败", description, [description, reply, "还是不行，重启也没用"]
    )
    assert tokens == [
        "登录",
        "失败",
        "app",
        "登录",
        "提示",
        "网络",
        "错误",
        "不行",
        "重启",
        "没用",
    ]


def test_ticket_tokens_with_empty_parts() -> None:
    assert pipeline().ticket_tokens("", "") == []
    assert pipeline().ticket_tokens("Card declined", "", ["", "  "]) == ["card", "declined"]


def test_default_pipeline_is_one_instance_across_threads() -> None:
    seen: list[TextPipeline] = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        seen.append(default_pipeline())

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8
    assert all(p is seen[0] for p in seen)
    assert seen[0].tokenizer.backend_name == "rjieba"
    assert seen[0].tokenizer.hmm is False


def test_concurrent_use_gives_the_same_tokens() -> None:
    p = default_pipeline()
    texts = [f"订单{i}号的物流太慢了 order {i} not delivered" for i in range(200)]
    expected = [p.tokens(t) for t in texts]
    results: dict[int, list[list[str]]] = {}

    def work(k: int) -> None:
        results[k] = [p.tokens(t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


# --- Robustness -----------------------------------------------------------------------------

_whitespace = st.text(
    alphabet=" \t\n\r\x0b\x0c\u3000\xa0\u2028\u200b\ufeff", min_size=1, max_size=3000
)
_any_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.one_of(st.text(max_size=30), _whitespace), max_size=6).map("".join),
    st.text(alphabet="\x00>-@.:/#订單號0123456789 \n<>phone_email", max_size=200),
)


def _check(tokens: list[str]) -> None:
    assert isinstance(tokens, list)
    for token in tokens:
        assert isinstance(token, str)
        assert token
        assert not any(ch.isspace() for ch in token)
        assert "\x00" not in token


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_any_text)
def test_tokens_never_raise_and_are_clean(text: str) -> None:
    p = pipeline()
    _check(p.tokens(text))
    _check(p.tokenizer.tokens(text))
    _check(p.ticket_tokens(text, text, [text]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_any_text)
def test_backends_agree_on_arbitrary_text(text: str) -> None:
    assert pipeline("rjieba").tokens(text) == pipeline("jieba").tokens(text)


def test_pathological_inputs() -> None:
    p = pipeline()
    assert p.tokens("\x00" * 1000) == []
    assert p.tokens(" " * 200_000) == []
    assert set(p.tokens("好" * 50_000)) == {"好好"}
    assert p.tokens("-" * 10_000 + "a" * 3) == ["aaa"]
    assert p.tokens("1 " * 20_000) == []
    assert p.tokens(">" * 5000) == []


@pytest.mark.parametrize(
    "text",
    [
        "x@" + "a" * 20_000,  # quadratic before the e-mail regex got its lookbehind
        "x@" + "a." * 10_000,
        "@a" * 10_000,
        "www." + "a." * 10_000,
        "order " + "1-" * 10_000,
        "1 " * 20_000,
        "(1)" * 10_000,
        "thanks,\n" * 5_000,
        "hi\n" + "from: a\n" * 5_000,
        "x wrote: " + "on " * 10_000,
        "on " + "x " * 5_000 + " wrote:\n> q",
    ],
    ids=lambda t: repr(t[:12]),
)
def test_adversarial_inputs_stay_linear(text: str) -> None:
    started = time.perf_counter()
    _check(pipeline().tokens(text))
    assert time.perf_counter() - started < 2.0


def test_token_parts_split_the_opening_from_later_customer_messages() -> None:
    from ticketminer.issues.stored_tokens import all_tokens, opening_tokens, stored_text

    opening, later = pipeline().ticket_token_parts(
        "Card declined",
        "My card was declined twice",
        ["My card was declined twice", "上次说修好了"],
    )
    assert opening == ["card", "declined", "card", "declined", "twice"]
    assert later and "card" not in later  # the repeated description counts once, in the opening
    stored = stored_text(opening + later, len(opening))
    assert all_tokens(stored) == opening + later
    assert opening_tokens(stored) == opening
    assert opening_tokens(" ".join(opening + later)) == opening + later  # stored before markers
    assert stored_text(opening, len(opening)) == " ".join(opening)
    # Without a description the first message opens the ticket.
    first, rest = pipeline().ticket_token_parts("", "", ["refund please", "still waiting"])
    assert (first, rest) == (["refund"], ["waiting"])
