"""Tokenizer, detect_script and the stop-word lists."""

from __future__ import annotations

import sys
from functools import cache

import pytest

from ticketminer.text import STOP_WORDS_EN, STOP_WORDS_ZH, Tokenizer, detect_script
from ticketminer.text.tokenize import MIXED_WORDS

BACKENDS = ["rjieba", "jieba"]


@cache
def tokenizer(backend: str, hmm: bool = False) -> Tokenizer:
    return Tokenizer(backend, hmm=hmm)


def test_auto_backend_prefers_rjieba() -> None:
    assert Tokenizer().backend_name == "rjieba"
    assert Tokenizer("jieba").backend_name == "jieba"
    with pytest.raises(ValueError, match="unknown tokenizer backend"):
        Tokenizer("pkuseg")


def test_auto_backend_falls_back_to_jieba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rjieba", None)  # makes `import rjieba` raise ImportError
    tok = Tokenizer()
    assert tok.backend_name == "jieba"
    assert tok.tokens("物流太慢") == ["物流", "太慢"]


def test_public_interface() -> None:
    import ticketminer.text as text

    for name in (
        "TextPipeline",
        "default_pipeline",
        "normalize",
        "mask_pii",
        "Tokenizer",
        "detect_script",
        "STOP_WORDS_EN",
        "STOP_WORDS_ZH",
    ):
        assert name in text.__all__
        assert getattr(text, name) is not None
    assert isinstance(text.STOP_WORDS_EN, frozenset)
    assert isinstance(text.STOP_WORDS_ZH, frozenset)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_chinese_english(backend: str) -> None:
    assert tokenizer(backend).tokens("我的iPhone 15屏幕碎了") == [
        "我",
        "的",
        "iphone",
        "15",
        "屏幕",
        "碎",
        "了",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_punctuation_and_whitespace_are_dropped(backend: str) -> None:
    assert tokenizer(backend).tokens("  物流太慢了！！！  Where is it?? \n\t（急）") == [
        "物流",
        "太慢",
        "了",
        "where",
        "is",
        "it",
        "急",
    ]


def test_placeholders_stay_whole() -> None:
    tok = tokenizer("rjieba")
    assert tok.tokens("请联系<phone>或<email>，订单<order_no>") == [
        "请",
        "联系",
        "<phone>",
        "或",
        "<email>",
        "订单",
        "<order_no>",
    ]
    assert tok.tokens("x<url>y <card><tracking_no><number>") == [
        "x",
        "<url>",
        "y",
        "<card>",
        "<tracking_no>",
        "<number>",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can't log in, don't know why", ["can", "not", "log", "in", "do", "not", "know", "why"]),
        ("the customer's card", ["the", "customer", "card"]),
        ("I'm stuck", ["i'm", "stuck"]),
        ("top-up failed", ["top", "up", "failed"]),
        ("e-mail and t-shirt", ["email", "and", "tshirt"]),
        ("wi-fi drops", ["wi", "fi", "drops"]),
        ("'quoted' -dash- trailing-", ["quoted", "dash", "trailing"]),
        ("Ünïcödé ÉCOLE", ["ünïcödé", "école"]),
    ],
)
def test_latin_words(text: str, expected: list[str]) -> None:
    assert tokenizer("rjieba").tokens(text) == expected


def test_mixed_dictionary_words_stay_whole() -> None:
    assert tokenizer("rjieba").tokens("买的U盘和SIM卡坏了，IP地址冲突") == [
        "买",
        "的",
        "u盘",
        "和",
        "sim卡",
        "坏",
        "了",
        "ip地址",
        "冲突",
    ]
    assert all(word == word.lower() for word in MIXED_WORDS)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("hmm", [False, True])
def test_han_outside_jiebas_range_is_one_token_per_character(backend: str, hmm: bool) -> None:
    # rjieba's own HMM would merge these into "㐀㐁" / "鿖鿗"; jieba yields them one by one.
    assert tokenizer(backend, hmm).tokens("㐀㐁你好鿖鿗世界") == [
        "㐀",
        "㐁",
        "你好",
        "鿖",
        "鿗",
        "世界",
    ]


def test_auto_backend_with_hmm_is_the_reference() -> None:
    # rjieba's Viterbi breaks ties differently on repeated characters; auto avoids it.
    assert Tokenizer(hmm=True).backend_name == "jieba"
    text = "赞赞赞赞赞"
    assert tokenizer("jieba", True).tokens(text) == ["赞赞", "赞赞赞"]
    assert tokenizer("rjieba", True).tokens(text) == ["赞赞赞", "赞赞"]  # documented difference
    assert tokenizer("rjieba").tokens(text) == tokenizer("jieba").tokens(text)  # HMM off


def test_hmm_flag_is_passed_through() -> None:
    text = "韩冰在鼓楼区开了一家店"  # a name only the HMM recognises as a word
    assert tokenizer("jieba", True).tokens(text) == tokenizer("rjieba", True).tokens(text)
    assert tokenizer("rjieba", True).tokens(text) != tokenizer("rjieba", False).tokens(text)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("我的订单还没到", "zh"),
        ("My order has not arrived", "en"),
        ("我的iPhone 15屏幕碎了", "mixed"),
        ("退款到账了吗 refund", "mixed"),
        ("邮箱 zhangwei.backup.account@example.com 收不到验证码", "zh"),
        ("see https://例子.cn/path for details", "en"),
        ("12345 !!!", ""),
        ("", ""),
        ("Привет", ""),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script


def test_stop_word_lists() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from ticketminer.text.stopwords import KEPT_FROM_SKLEARN, SKLEARN_ENGLISH_STOP_WORDS

    assert SKLEARN_ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS  # the vendored copy is current
    assert KEPT_FROM_SKLEARN <= ENGLISH_STOP_WORDS
    assert {"the", "and", "hello", "thanks", "please", "regards", "i'm"} <= STOP_WORDS_EN
    assert {"not", "no", "never", "cannot", "top", "up", "bill"}.isdisjoint(STOP_WORDS_EN)
    assert 150 <= len(STOP_WORDS_ZH) <= 350
    assert {"的", "了", "是", "我", "您好", "谢谢", "请", "麻烦", "什么", "怎么"} <= STOP_WORDS_ZH
    assert {"不", "没", "没有", "无法", "不能", "客服", "到"}.isdisjoint(STOP_WORDS_ZH)
    assert all(word and not word.isspace() for word in STOP_WORDS_ZH | STOP_WORDS_EN)
