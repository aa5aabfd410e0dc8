"""Any URL: the digest as canonical JSON (the WeeklyDigest message in proto3 JSON)
with its Markdown, for systems of one's own.

With a secret, the receiver can check origin and freshness:
X-Ticketminer-Timestamp is the send time in Unix seconds, and X-Ticketminer-Signature
is "sha256=" + hex(HMAC-SHA256(key=secret, message=f"{timestamp}.".encode() + body)),
over the exact body bytes. Any 2xx answer is success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from ticketminer.deliverers.base import DigestMessage
from ticketminer.deliverers.http import post

SIGNATURE_HEADER = "X-Ticketminer-Signature"
TIMESTAMP_HEADER = "X-Ticketminer-Timestamp"


def body_of(message: DigestMessage) -> bytes:
    document = {
        "tenant_id": message.tenant_id,
        "schedule_id": message.schedule_id,
        "iso_week": message.iso_week,
        "time_zone": message.time_zone,
        "subject": message.subject,
        "markdown": message.markdown,
        "digest": message.digest,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookDeliverer:
    def __init__(self, url: str, secret: str, timeout: float) -> None:
        self._url, self._secret, self._timeout = url, secret, timeout

    def send(self, message: DigestMessage) -> None:
        body = body_of(message)
        headers = {}
        if self._secret:
            timestamp = int(time.time())
            headers = {
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            }
        post(self._url, body, self._timeout, headers)
