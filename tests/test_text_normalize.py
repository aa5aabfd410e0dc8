"""normalize(): Unicode folding and removal of quoted replies, signatures and boilerplate."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketminer.text import normalize, to_simplified
from ticketminer.text.normalization import _NFKC_HARMLESS, _nfkc_needed


def test_full_width_to_half_width_and_case_folding() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("Ｏｒｄｅｒ　ＮＯＴ　Ｒｅｃｅｉｖｅｄ") == "order not received"
    assert normalize("STRASSE Straße") == "strasse strasse"


def test_traditional_to_simplified() -> None:
    assert normalize("訂單") == "订单"
    assert normalize("我的訂單還沒到，物流太慢了") == "我的订单还没到，物流太慢了"
    assert to_simplified("no chinese here") == "no chinese here"


def test_compatibility_characters_and_invisibles() -> None:
    assert normalize("①②③ ﬁle") == "123 file"
    assert normalize("\ufeff退款") == "退款"  # the BOM of a CSV's first cell
    assert normalize("pass\u200bword") == "password"
    assert normalize("it’s") == "it's"
    assert normalize("cafe\u0301") == "café"  # decomposed accents are composed


def test_chinese_punctuation_is_left_alone_but_harmless() -> None:
    # The common full-width punctuation skips NFKC (speed); the tokenizer drops it either way.
    assert normalize("太慢了，！？") == "太慢了，！？"
    assert normalize("太慢了，ＡＢＣ") == "太慢了,abc"


def test_empty_and_whitespace() -> None:
    assert normalize("") == ""
    assert normalize(" \n\t ") == ""
    assert normalize("a\r\nb") == "a\nb"


ENGLISH_REPLY = """Hi team,

My refund for order #884213 still hasn't arrived. It's been 14 days since you confirmed it.
Can you check what happened?

Thanks,
Sarah Miller
Senior Buyer | Acme Corp
+1 415 555 2671

Sent from my iPhone

On Mon, Mar 4, 2024 at 9:12 AM Support <support@shop.example> wrote:
> Hello Sarah,
> Your refund has been approved and will arrive in 5-7 business days.
"""

OUTLOOK_REPLY = """Hello,

The app crashes every time I open the settings page.

Best regards,
Tom

-----Original Message-----
From: Helpdesk <help@example.com>
Sent: Tuesday, March 5, 2024 10:00 AM
To: Tom <tom@example.com>
Subject: RE: crash

Please send us a screenshot of the settings page.
"""

CHINESE_REPLY = """您好，

我上周买的耳机左边没有声音，申请换货一直没人处理。

此致
敬礼
张伟

发件人: 客服中心 <service@example.cn>
发送时间: 2024年3月5日 10:00
收件人: 张伟
主题: 回复: 耳机问题

请提供订单号，我们会尽快为您处理。
"""

QQ_MAIL_TRADITIONAL = """退款什麼時候到帳？已經等了兩個星期了。

------------------ 原始郵件 ------------------
發件人: "客服" <kefu@example.com>
發送時間: 2024年3月1日(星期五) 下午3:00
我們已經為您辦理退款。
"""

GMAIL_CHINESE = """还是没收到货，麻烦再查一下

在 2024年3月4日 09:12，客服 <kefu@example.com> 写道：
> 您好，已经发货了
"""

WRAPPED_ON_WROTE = """The invoice total is wrong again.

On Mon, Mar 4, 2024 at 9:12 AM Billing Team <
billing@example.com> wrote:
> We corrected the invoice.
"""

DISCLAIMER = """Our API key stopped working after the plan change.

This email and any attachments are confidential and intended solely for the addressee.
If you are not the intended recipient, please notify the sender and delete it.

Please consider the environment before printing this email.
"""

CHINESE_DISCLAIMER = """发票抬头开错了，需要重新开具。

本邮件及其附件含有保密信息，仅限于发送给上面地址中列出的个人或群组。
如果您不是本邮件的收件人，请立即删除。
"""


@pytest.mark.parametrize(
    ("mail", "kept", "removed"),
    [
        (
            ENGLISH_REPLY,
            ["refund for order #884213", "can you check what happened?"],
            ["thanks", "sarah miller", "acme", "sent from", "wrote", "approved", "415"],
        ),
        (
            OUTLOOK_REPLY,
            ["the app crashes every time i open the settings page."],
            ["best regards", "tom", "original message", "helpdesk", "screenshot"],
        ),
        (
            CHINESE_REPLY,
            ["耳机左边没有声音", "申请换货"],
            ["此致", "敬礼", "张伟", "发件人", "客服中心", "订单号"],
        ),
        (QQ_MAIL_TRADITIONAL, ["退款什么时候到帐", "两个星期"], ["原始邮件", "客服", "办理"]),
        (GMAIL_CHINESE, ["还是没收到货"], ["写道", "已经发货"]),
        (WRAPPED_ON_WROTE, ["the invoice total is wrong again."], ["billing", "corrected"]),
        (DISCLAIMER, ["api key stopped working"], ["confidential", "recipient", "printing"]),
        (CHINESE_DISCLAIMER, ["发票抬头开错了"], ["保密", "收件人"]),
    ],
)
def test_quoted_replies_signatures_and_boilerplate_are_removed(
    mail: str, kept: list[str], removed: list[str]
) -> None:
    text = normalize(mail)
    for fragment in kept:
        assert fragment in text
    for fragment in removed:
        assert fragment not in text


def test_dash_dash_signature_and_mobile_footer() -> None:
    assert normalize("login fails with error 500\n-- \nJohn Smith\nIT Manager") == (
        "login fails with error 500"
    )
    assert normalize("屏幕有坏点\n\n发自我的iPhone") == "屏幕有坏点"
    assert normalize("屏幕坏了\n来自我的华为手机") == "屏幕坏了"
    assert normalize("问题\n发送自 Windows 10 版邮件应用") == "问题"
    assert normalize("app broken\n\nSent from my Samsung Galaxy smartphone.\n> old") == "app broken"
    # A flattened mail on one line.
    assert normalize("screen flickers Sent from my iPhone") == "screen flickers"
    assert normalize("无法登录 发自网易邮箱大师") == "无法登录"
    # Prose that merely starts like a footer stays.
    assert normalize("错误\n来自我的手机的照片无法上传") == "错误\n来自我的手机的照片无法上传"


def test_sent_from_in_prose_is_kept() -> None:
    assert normalize("i sent from my account 500 eur and it never arrived") == (
        "i sent from my account 500 eur and it never arrived"
    )
    text = normalize("Hello\nSent from my bank account three payments\nthat never arrived")
    assert text.endswith("that never arrived")


def test_forward_without_comment_keeps_the_forwarded_text() -> None:
    mail = """---------- Forwarded message ---------
From: Bank <noreply@bank.example>
Date: Mon, Mar 4, 2024
Subject: Your card has been blocked
To: <anna@example.com>

We blocked your card because of suspicious activity."""
    assert normalize(mail) == "we blocked your card because of suspicious activity."


def test_only_quoted_text_becomes_empty() -> None:
    assert normalize("> previous message\n> second line") == ""
    assert normalize("张先生 <zhang@example.com> 于2024年3月4日周一 上午9:12写道：\n> 请问") == ""


def test_closing_in_the_middle_is_not_a_signature() -> None:
    mail = """Thanks for the quick reply!
But the issue is not fixed: the card is still blocked and I cannot pay anywhere at all.
I tried three different shops today and every single payment was declined again.

Thanks,
Anna"""
    text = normalize(mail)
    assert text.startswith("thanks for the quick reply!")
    assert "declined again." in text
    assert "anna" not in text


def test_long_text_after_thanks_is_kept() -> None:
    mail = "Thanks,\n" + "\n".join(
        f"step {i}: the installer fails with a long error" for i in range(8)
    )
    assert "step 7" in normalize("Hello\n" + mail)


def test_from_line_in_the_body_is_not_a_header() -> None:
    text = normalize("I get an error\nfrom: the payment page\nwhen I pay")
    assert "when i pay" in text


# --- The NFKC shortcut -----------------------------------------------------------------------

_HARMLESS = str.maketrans({c: unicodedata.normalize("NFKC", c) for c in _NFKC_HARMLESS})


def test_nfkc_shortcut_misses_no_code_point() -> None:
    missed = [
        hex(cp)
        for cp in range(0x110000)
        if not 0xD800 <= cp < 0xE000
        and chr(cp) not in _NFKC_HARMLESS
        and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
        and not _nfkc_needed(chr(cp))
    ]
    assert not missed


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(),
            st.sampled_from("\u0301\u0308\u1161\u11a8\u0b3e\u0cd5가아ｅ，！…～\u3000"),
        )
    )
)
def test_nfkc_shortcut_is_exact(text: str) -> None:
    """When the shortcut skips NFKC, NFKC would only have changed harmless punctuation."""
    if not _nfkc_needed(text):
        assert unicodedata.normalize("NFKC", text) == text.translate(_HARMLESS)
