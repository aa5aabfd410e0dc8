"""mask_pii(): typed placeholders for personal data and identifiers, also under random text."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.text import TextPipeline, Tokenizer, mask_pii, normalize
from ticketminer.text.pii import PLACEHOLDERS, luhn_valid


@cache
def pipeline() -> TextPipeline:
    return TextPipeline(Tokenizer("auto"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at Zhang.Wei+vip@Example.co.uk.", "mail me at <email>."),
        ("邮箱13800138000@163.com谢谢", "邮箱<email>谢谢"),
        ("see https://shop.example.com/o/123?x=1 now", "see <url> now"),
        ("链接http://t.cn/A6abc看一下", "链接<url>看一下"),
        ("go to www.example.org/help", "go to <url>"),
        ("track at example.com/track/998877", "track at <url>"),
        ("手机13800138000打不通", "手机<phone>打不通"),
        ("call +86 138 0013 8000 now", "call <phone> now"),
        ("call +1 (415) 555-2671 or 415.555.2671", "call <phone> or <phone>"),
        ("ring +44 20 7946 0958", "ring <phone>"),
        ("座机 010-62345678", "座机 <phone>"),
        ("热线400-800-8888", "热线<phone>"),
        ("card 4111 1111 1111 1111 declined", "card <card> declined"),
        ("card 4111-1111-1111-1111", "card <card>"),
        ("卡号6212261202011584340被冻结", "卡号<card>被冻结"),
        ("amex 3782 822463 10005", "amex <card>"),
        ("order #884213 missing", "order #<order_no> missing"),
        ("Order number: A-20240315-7788", "Order number: <order_no>"),
        ("订单号 123456789 没发货", "订单号 <order_no> 没发货"),
        ("订单号：20240315001，谢谢", "订单号：<order_no>，谢谢"),
        ("快递单号SF1234567890123", "快递单号<tracking_no>"),
        ("顺丰SF1234567890123还没到", "顺丰<tracking_no>还没到"),
        ("京东JDVA01234567890", "京东<tracking_no>"),
        ("圆通YT1234567890123", "圆通<tracking_no>"),
        ("ups 1Z999AA10123456784", "ups <tracking_no>"),
        ("EMS EE123456789CN", "EMS <tracking_no>"),
        ("tracking number is 9400111899223197428490", "tracking number is <tracking_no>"),
        ("运单号 773012345678901", "运单号 <tracking_no>"),
        ("reference 1234567890123", "reference <number>"),
        ("card 4111 1111 1111 1112", "card <number>"),  # card-shaped, fails Luhn
    ],
)
def test_each_kind_is_masked(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "iPhone 15 Pro Max 256GB",
        "error code 0x0000007B on Windows 11",
        "2024-03-15 at 10:30",
        "received 3 of 5 items, paid 129.99",
        "买了2件，第3天到的",
        "order 2 items",  # no ID after the keyword
        "version 1.2.3",
        "",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")


def test_placeholders_are_single_tokens_and_raw_values_are_gone() -> None:
    text = (
        "Email zhang.wei@example.com, call 13800138000, card 4111 1111 1111 1111, "
        "order #884213, 快递单号SF1234567890123, 见 https://example.com/x?id=998877"
    )
    tokens = pipeline().tokens(text)
    for placeholder in ("<email>", "<phone>", "<card>", "<order_no>", "<tracking_no>", "<url>"):
        assert placeholder in tokens
    joined = " ".join(tokens)
    for raw in ("zhang", "13800138000", "4111", "884213", "sf1234567890123", "998877"):
        assert raw not in joined
    assert set(PLACEHOLDERS) >= {t for t in tokens if t.startswith("<")}


# --- Property tests -------------------------------------------------------------------------------

_text = st.text(max_size=60)


@st.composite
def phones(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["cn", "cn_spaced", "cn_intl", "nanp", "uk"]))
    if kind == "nanp":
        area = draw(st.integers(200, 999))
        exchange = draw(st.integers(200, 999))
        line = draw(st.integers(0, 9999))
        return f"+1 ({area}) {exchange}-{line:04d}"
    if kind == "uk":
        return f"+44 20 {draw(st.integers(1000, 9999))} {draw(st.integers(0, 9999)):04d}"
    mobile = "1" + draw(st.sampled_from("3456789")) + draw(st.from_regex(r"\A[0-9]{9}\Z"))
    if kind == "cn_spaced":
        return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    if kind == "cn_intl":
        return "+86" + mobile
    return mobile


@st.composite
def cards(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from("3456")) + draw(st.from_regex(r"\A[0-9]{14}\Z"))
    check = next(str(d) for d in range(10) if luhn_valid(body + str(d)))
    number = body + check
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


@st.composite
def urls(draw: st.DrawFn) -> str:
    host = draw(st.from_regex(r"\A[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,2}\.(com|cn|io|net)\Z"))
    path = draw(st.from_regex(r"\A(/[A-Za-z0-9_.~%-]{1,12}){0,3}(\?[a-z]{1,5}=[0-9]{1,9})?\Z"))
    return draw(st.sampled_from(["https://", "http://", "www."])) + host + path


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


def _assert_masked(prefix: str, value: str, suffix: str, check_digits: bool) -> None:
    text = f"{prefix} {value} {suffix}"
    masked = mask_pii(normalize(text))
    assert value.lower() not in masked
    tokens = pipeline().tokens(text)
    for token in tokens:
        assert value.lower() not in token
        if check_digits:
            assert _digits(value) not in token


_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(_text, st.emails(), _text)
def test_injected_email_never_survives(prefix: str, email: str, suffix: str) -> None:
    _assert_masked(prefix, email, suffix, check_digits=False)


@_settings
@given(_text, phones(), _text)
def test_injected_phone_never_survives(prefix: str, phone: str, suffix: str) -> None:
    _assert_masked(prefix, phone, suffix, check_digits=True)


@_settings
@given(_text, cards(), _text)
def test_injected_card_never_survives(prefix: str, card: str, suffix: str) -> None:
    _assert_masked(prefix, card, suffix, check_digits=True)


@_settings
@given(_text, urls(), _text)
def test_injected_url_never_survives(prefix: str, url: str, suffix: str) -> None:
    _assert_masked(prefix, url, suffix, check_digits=False)
