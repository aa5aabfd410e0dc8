"""Form boilerplate leaves a ticket's text; what the customer wrote stays."""

from __future__ import annotations

from ticketminer.text import mask_pii, normalize
from ticketminer.text.form_fields import strip_form_fields


def clean(text: str) -> str:
    return strip_form_fields(mask_pii(normalize(text)))


def test_a_contact_form_relay_keeps_only_the_message():
    relay = (
        "This message was sent automatically from the contact form on our website. "
        "Please do not reply to this email.\nName: K. Wong\nEmail: j.lee25@126.com\n"
        "Order number: SO7931365180\nTopic: Other\nMessage: The X phone arrived with a "
        "cracked screen"
    )
    assert clean(relay) == "the x phone arrived with a cracked screen"


def test_a_chinese_form_keeps_its_sentence_and_drops_identity_and_notices():
    form = (
        "此邮件由官网联系表单自动发送，请勿直接回复。\n姓名：陈女士\n邮箱：chen.jie81@qq.com\n"
        "订单号：SO1673848049\n留言：包裹里的东西和定单完全不一样。\n——————\n"
        "本邮件可能包含个人信息，请妥善保管。"
    )
    assert clean(form) == "包裹里的东西和定单完全不一样。"


def test_free_text_with_a_colon_line_is_left_alone():
    mail = "Hi,\nMy app crashes at checkout.\nError: payment declined\nThanks"
    assert "error: payment declined" in clean(mail)
    assert clean("order: 12 items missing") == "order: 12 items missing"  # one line


def test_a_long_run_of_field_lines_is_linear():
    import time

    def seconds(n: int) -> float:
        text = "\n".join(f"field {i}: value" for i in range(n))
        started = time.process_time()
        for _ in range(5):
            strip_form_fields(text)
        return time.process_time() - started

    small, large = seconds(2000), seconds(16000)
    assert large < 24 * max(small, 1e-4)
