"""DingTalk group robots ("自定义机器人接入", open.dingtalk.com).

Shape: POST {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}} to the
webhook (…/robot/send?access_token=…). With signing ("加签"), two query parameters
are added: timestamp (milliseconds) and sign = urlencode(base64(HMAC-SHA256(
key=secret, message=f"{timestamp}\\n{secret}"))).
The answer is HTTP 200 with {"errcode": 0, "errmsg": "ok"}; any other errcode is a
failure (310000 bad signature or keyword; 130101 "send too fast", retried).
Limits: 20 messages a minute per robot (then 10 minutes' silence). The markdown size
limit is not stated in the guide; 20,000 bytes is the commonly given bound.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from ticketminer.deliverers.base import DigestMessage, fit_bytes
from ticketminer.deliverers.http import check_vendor_code, post_json

MAX_TEXT_BYTES = 20_000
RETRYABLE = frozenset({130101, -1})  # send too fast; system busy


def sign(timestamp_ms: int, secret: str) -> str:
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str, now: float | None = None) -> str:
    if not secret:
        return url
    timestamp = int((time.time() if now is None else now) * 1000)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={sign(timestamp, secret)}"


def payload(message: DigestMessage) -> dict:
    text = fit_bytes(message.markdown, MAX_TEXT_BYTES)
    return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}


class DingTalkDeliverer:
    def __init__(self, url: str, secret: str, timeout: float) -> None:
        self._url, self._secret, self._timeout = url, secret, timeout

    def send(self, message: DigestMessage) -> None:
        reply = post_json(signed_url(self._url, self._secret), payload(message), self._timeout)
        check_vendor_code(reply, "DingTalk", ("errcode",), RETRYABLE)
