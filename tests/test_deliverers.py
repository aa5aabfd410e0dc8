"""Each delivery backend against a real receiver on loopback: the JSON shape and the
signature its vendor documents, its size limit, and which failures are worth a retry
(chat vendors answer HTTP 200 with an error code in the body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import unquote_plus

import pytest
from delivery_receivers import Receiver, SmtpSink
from digest_sample import sample_digest

from ticketminer.config import ConfigError, parse_setting
from ticketminer.deliverers import DeliveryError, DigestMessage, Outbox, SmtpRelay
from ticketminer.deliverers.base import TRUNCATED, fit_bytes
from ticketminer.deliverers.dingtalk import DingTalkDeliverer
from ticketminer.deliverers.email import EmailDeliverer
from ticketminer.deliverers.feishu import FeishuDeliverer
from ticketminer.deliverers.slack import MAX_SECTION_CHARS, SlackDeliverer, to_mrkdwn
from ticketminer.deliverers.webhook import WebhookDeliverer, signature
from ticketminer.deliverers.wecom import WeComDeliverer
from ticketminer.digest.html import render_html
from ticketminer.digest.markdown import render_markdown
from ticketminer.domain.digest_delivery import Channel, DigestSchedule

TIMEOUT = 5.0


@pytest.fixture(scope="module")
def message() -> DigestMessage:
    d = sample_digest()
    return DigestMessage(
        tenant_id="shop",
        schedule_id="weekly",
        iso_week=d.iso_week,
        time_zone=d.time_zone,
        subject=f"Weekly digest — shop — {d.iso_week}",
        markdown=render_markdown(d, "https://help.example/t/{external_id}"),
        html=render_html(d, ""),
        digest={"tenantId": "shop", "isoWeek": d.iso_week},
    )


def _failure(deliverer, message) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        deliverer.send(message)
    return caught.value


def test_slack_gets_text_and_mrkdwn_sections_within_its_limits(message) -> None:
    with Receiver() as slack:
        SlackDeliverer(slack.url("/services/T0/B0/x"), TIMEOUT).send(message)
    (req,) = slack.requests
    body = req.json
    assert body["text"] == "Weekly digest — shop — 2026-W46"
    blocks = body["blocks"]
    assert 1 < len(blocks) <= 50
    assert all(b["type"] == "section" and b["text"]["type"] == "mrkdwn" for b in blocks)
    assert all(len(b["text"]["text"]) <= MAX_SECTION_CHARS for b in blocks)
    text = "\n".join(b["text"]["text"] for b in blocks)
    assert "*Key numbers*" in text and "## Key numbers" not in text  # headings in bold
    assert "<https://help.example/t/T-230114|T-230114>" in text  # Slack's link syntax
    assert text.count("```") % 2 == 0  # every section closes the code blocks it opens
    for b in blocks:
        assert b["text"]["text"].count("```") % 2 == 0


def test_slack_mrkdwn_escapes_what_slack_reads_as_markup() -> None:
    assert to_mrkdwn("a **b** & \\<order\\_no\\> [x](<https://e.x/1>)") == (
        "a *b* &amp; &lt;order_no&gt; <https://e.x/1|x>"
    )


def test_slack_refusals_are_final_and_outages_retried(message) -> None:
    with Receiver((400, b"invalid_payload")) as slack:
        err = _failure(SlackDeliverer(slack.url(), TIMEOUT), message)
    assert not err.retryable and "HTTP 400: invalid_payload" in str(err)
    with Receiver((503, b"")) as slack:
        assert _failure(SlackDeliverer(slack.url(), TIMEOUT), message).retryable


def test_feishu_posts_a_signed_interactive_card(message) -> None:
    reply = b'{"code":0,"msg":"success","data":{}}'
    with Receiver((200, reply)) as feishu:
        FeishuDeliverer(feishu.url("/open-apis/bot/v2/hook/abc"), "s3cret", TIMEOUT).send(message)
    body = feishu.requests[0].json
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"] == {"tag": "plain_text", "content": message.subject}
    (element,) = body["card"]["elements"]
    assert element["tag"] == "markdown" and element["content"] == message.markdown
    ts = int(body["timestamp"])
    assert abs(ts - time.time()) < 60  # seconds, not milliseconds
    key = f"{ts}\ns3cret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def test_feishu_error_codes_in_a_200_are_failures(message) -> None:
    bad_sign = b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}'
    with Receiver((200, bad_sign)) as feishu:
        err = _failure(FeishuDeliverer(feishu.url(), "x", TIMEOUT), message)
    assert not err.retryable and str(err).startswith("Feishu error 19021: sign match fail")
    with Receiver((200, b'{"code":11232,"msg":"frequency limited"}')) as feishu:
        assert _failure(FeishuDeliverer(feishu.url(), "", TIMEOUT), message).retryable
    # Unsigned: no timestamp or sign in the body.
    with Receiver((200, b'{"code":0}')) as feishu:
        FeishuDeliverer(feishu.url(), "", TIMEOUT).send(message)
    assert "sign" not in feishu.requests[0].json


def test_dingtalk_signs_in_the_query_and_sends_markdown(message) -> None:
    with Receiver((200, b'{"errcode":0,"errmsg":"ok"}')) as ding:
        url = ding.url("/robot/send") + "?access_token=tok"
        DingTalkDeliverer(url, "SECabc", TIMEOUT).send(message)
    req = ding.requests[0]
    assert req.json == {
        "msgtype": "markdown",
        "markdown": {"title": message.subject, "text": message.markdown},
    }
    assert req.query["access_token"] == "tok"
    ts = req.query["timestamp"]
    assert abs(int(ts) / 1000 - time.time()) < 60  # milliseconds
    mac = hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()
    # parse_qs already undid the URL encoding once; the raw query carried it encoded.
    assert req.query["sign"] == base64.b64encode(mac).decode()
    with Receiver((200, b'{"errcode":310000,"errmsg":"sign not match"}')) as ding:
        err = _failure(DingTalkDeliverer(ding.url(), "x", TIMEOUT), message)
    assert not err.retryable and "310000" in str(err)
    with Receiver((200, b'{"errcode":130101,"errmsg":"send too fast"}')) as ding:
        assert _failure(DingTalkDeliverer(ding.url(), "", TIMEOUT), message).retryable


def test_dingtalk_sign_is_url_encoded_in_the_query() -> None:
    from ticketminer.deliverers.dingtalk import sign

    value = sign(1700000000000, "SECabc")
    assert "+" not in value and "/" not in value and "=" not in value  # all %-encoded
    mac = hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
    assert unquote_plus(value) == base64.b64encode(mac).decode()


def test_wecom_markdown_is_cut_to_4096_bytes(message) -> None:
    assert len(message.markdown.encode()) > 4096  # the sample digest is larger
    with Receiver((200, b'{"errcode":0,"errmsg":"ok"}')) as wecom:
        WeComDeliverer(wecom.url("/cgi-bin/webhook/send") + "?key=k", TIMEOUT).send(message)
    body = wecom.requests[0].json
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith(TRUNCATED) and content.startswith("# Weekly digest — shop")
    with Receiver((200, b'{"errcode":45009,"errmsg":"api freq out of limit"}')) as wecom:
        assert _failure(WeComDeliverer(wecom.url(), TIMEOUT), message).retryable


def test_fit_bytes_keeps_whole_lines_and_utf8() -> None:
    text = "标题\n" + "物流延迟" * 50 + "\nend"
    cut = fit_bytes(text, 100, note="…")
    assert len(cut.encode()) <= 100 and cut == "标题…"
    cut = fit_bytes("物" * 100, 30, note="…")  # one long line: cut on a character
    assert len(cut.encode()) <= 30 and cut.endswith("…")


def test_generic_webhook_posts_the_digest_json_signed(message) -> None:
    with Receiver((204, b"")) as hook:
        WebhookDeliverer(hook.url(), "k3y", TIMEOUT).send(message)
    req = hook.requests[0]
    body = req.json
    assert body["digest"] == message.digest and body["markdown"] == message.markdown
    assert (body["tenant_id"], body["schedule_id"], body["iso_week"]) == (
        "shop",
        "weekly",
        "2026-W46",
    )
    ts = int(req.headers["x-ticketminer-timestamp"])
    expected = hmac.new(b"k3y", f"{ts}.".encode() + req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-ticketminer-signature"] == f"sha256={expected}"
    assert signature("k3y", ts, req.body) == f"sha256={expected}"
    with Receiver() as hook:  # no secret, no signature
        WebhookDeliverer(hook.url(), "", TIMEOUT).send(message)
    assert "x-ticketminer-signature" not in hook.requests[0].headers


def test_http_failures_never_quote_the_url_and_redirects_are_not_followed(message) -> None:
    secret_path = "/services/T0/B0/very-secret-token"
    with Receiver((302, b"")) as hook:
        err = _failure(SlackDeliverer(hook.url(secret_path), TIMEOUT), message)
    assert "HTTP 302" in str(err) and not err.retryable and len(hook.requests) == 1
    with Receiver(delay=1.5) as slow:
        err = _failure(WebhookDeliverer(slow.url(secret_path), "", 0.3), message)
    assert err.retryable and "very-secret-token" not in str(err)
    refused = SlackDeliverer(f"http://127.0.0.1:1{secret_path}", TIMEOUT)
    err = _failure(refused, message)
    assert err.retryable and "very-secret-token" not in str(err)


def test_email_is_multipart_alternative_with_text_and_html(message) -> None:
    with SmtpSink() as sink:
        relay = SmtpRelay.parse(sink.url)
        rcpts = ("lead@example.com", "ops@example.org")
        EmailDeliverer(relay, "digest@ticketminer.example", rcpts, TIMEOUT).send(message)
        ((sender, to, mail),) = list(sink.messages())
    assert sender == "digest@ticketminer.example" and to == list(rcpts)
    assert mail["Subject"] == message.subject
    assert mail["To"] == "lead@example.com, ops@example.org"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n").strip() == message.markdown.strip()
    assert html.get_content().replace("\r\n", "\n").strip() == message.html.strip()


def test_smtp_permanent_and_temporary_refusals(message) -> None:
    with SmtpSink() as sink:
        relay = SmtpRelay.parse(sink.url)
        sink.refuse["gone@example.com"] = "550 5.1.1 mailbox unavailable"
        err = _failure(EmailDeliverer(relay, "d@x.example", ("gone@example.com",), 5), message)
        assert not err.retryable and str(err).startswith("SMTP 550")
        sink.data_replies.append("451 4.3.0 try again later")
        err = _failure(EmailDeliverer(relay, "d@x.example", ("a@example.com",), 5), message)
        assert err.retryable and str(err).startswith("SMTP 451")
        # One of two refused: the other got it, so no retry (it would repeat to them).
        err = _failure(
            EmailDeliverer(relay, "d@x.example", ("a@example.com", "gone@example.com"), 5),
            message,
        )
        assert not err.retryable and "1 of 2" in str(err)
        assert [to for _, to, _ in sink.received] == [["a@example.com"]]
    err = _failure(EmailDeliverer(relay, "d@x.example", ("a@example.com",), 5), message)
    assert err.retryable and "connection" in str(err).lower()  # the relay is gone


def test_smtp_url_parsing_and_a_bad_one_never_shows_its_password() -> None:
    relay = SmtpRelay.parse("smtps://digest%40corp:p%40ss@mail.example")
    assert (relay.host, relay.port, relay.implicit_tls) == ("mail.example", 465, True)
    assert (relay.user, relay.password) == ("digest@corp", "p@ss")
    assert SmtpRelay.parse("smtp://mail.example").port == 587
    with pytest.raises(ConfigError) as caught:
        parse_setting("smtp_url", "http://user:hunter2@mail.example", "TICKETMINER_SMTP_URL")
    assert "hunter2" not in str(caught.value) and "<hidden>" in str(caught.value)


def test_outbox_picks_the_channel_and_refuses_email_without_a_relay() -> None:
    base = DigestSchedule("t", "s", 1, 540, channel=Channel.EMAIL, recipients=("a@b.example",))
    with pytest.raises(DeliveryError) as caught:
        Outbox(None).deliverer_for(base)
    assert not caught.value.retryable
    wecom = DigestSchedule("t", "s", 1, 540, channel=Channel.WECOM, webhook_url="http://h/x")
    assert isinstance(Outbox(None).deliverer_for(wecom), WeComDeliverer)
