"""Feishu / Lark custom bots ("自定义机器人使用指南", open.feishu.cn).

Shape: POST {"msg_type": "interactive", "card": {"header": {"title": {"tag":
"plain_text", "content": ...}}, "elements": [{"tag": "markdown", "content": ...}]}},
plus "timestamp" and "sign" when the bot checks signatures: sign =
base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", message=b"")), timestamp in
seconds and within an hour of Feishu's clock.
The answer is HTTP 200 with {"code": 0, "msg": "success"}; any other code is a
failure (19021 bad signature, 9499 bad request, 11232 rate limited: retried).
Limits: a request body of at most 20 KB; 100 messages a minute, 5 a second per bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from ticketminer.deliverers.base import DigestMessage, fit_bytes
from ticketminer.deliverers.http import check_vendor_code, post_json

MAX_BODY_BYTES = 20 * 1024
MAX_MARKDOWN_BYTES = MAX_BODY_BYTES - 2 * 1024  # room for the card, the title and JSON escapes
RETRYABLE = frozenset({11232})  # frequency limited


def sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def payload(message: DigestMessage, secret: str = "", now: float | None = None) -> dict:
    card = {
        "header": {"title": {"tag": "plain_text", "content": message.subject}},
        "elements": [
            {"tag": "markdown", "content": fit_bytes(message.markdown, MAX_MARKDOWN_BYTES)}
        ],
    }
    body: dict = {"msg_type": "interactive", "card": card}
    if secret:
        timestamp = int(time.time() if now is None else now)
        body |= {"timestamp": str(timestamp), "sign": sign(timestamp, secret)}
    return body


class FeishuDeliverer:
    def __init__(self, url: str, secret: str, timeout: float) -> None:
        self._url, self._secret, self._timeout = url, secret, timeout

    def send(self, message: DigestMessage) -> None:
        reply = post_json(self._url, payload(message, self._secret), self._timeout)
        check_vendor_code(reply, "Feishu", ("code", "StatusCode"), RETRYABLE)
