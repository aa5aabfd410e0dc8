"""WeCom (WeChat Work) group bots ("群机器人配置说明", developer.work.weixin.qq.com).

Shape: POST {"msgtype": "markdown", "markdown": {"content": ...}} to the webhook
(…/cgi-bin/webhook/send?key=…). content is UTF-8 and at most 4096 bytes (WeCom
answers errcode 40058 "markdown.content exceed max length 4096" beyond).
The answer is HTTP 200 with {"errcode": 0, "errmsg": "ok"}; any other errcode is a
failure (45009 frequency limit and -1 system busy are retried). 20 messages a minute
per bot. WeCom bots have no signing secret: the key in the URL is the credential.
"""

from __future__ import annotations

from ticketminer.deliverers.base import DigestMessage, fit_bytes
from ticketminer.deliverers.http import check_vendor_code, post_json

MAX_CONTENT_BYTES = 4096
RETRYABLE = frozenset({45009, -1})


def payload(message: DigestMessage) -> dict:
    return {
        "msgtype": "markdown",
        "markdown": {"content": fit_bytes(message.markdown, MAX_CONTENT_BYTES)},
    }


class WeComDeliverer:
    def __init__(self, url: str, timeout: float) -> None:
        self._url, self._timeout = url, timeout

    def send(self, message: DigestMessage) -> None:
        reply = post_json(self._url, payload(message), self._timeout)
        check_vendor_code(reply, "WeCom", ("errcode",), RETRYABLE)
