"""Zammad webhooks, sent by a trigger's "Webhook" action.

Signature (https://admin-docs.zammad.org/en/latest/manage/webhook/payload.html):
with a signature token set on the webhook, Zammad sends X-Hub-Signature:
`sha1=<hex HMAC-SHA1(token, body)>`, plus X-Zammad-Delivery (a random id) and
X-Zammad-Trigger. The signature covers no time, so an accepted body is remembered
and the same body again is refused; a replay older than that memory carries the
ticket's old `updated_at` and is STALE.

Payload: `ticket` (the ticket now) and `article` (the article that fired the
trigger; `{}` or absent when none did). The mapping is the export reader's
(`importers.zammad`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ticketminer.importers import json_values as jv
from ticketminer.importers.zammad import article_message, ticket_event
from ticketminer.webhooks.base import SignatureRejected, Update
from ticketminer.webhooks.signatures import hmac_digest, replay_key, same

NAME = "zammad"
SIGNATURE_HEADER = "x-hub-signature"


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature of a delivery."""
    return "sha1=" + hmac_digest(secret, body, "sha1").hex()


class ZammadSource:
    name = NAME

    def verify(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
        secret: str,
        now: datetime,
    ) -> str | None:
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise SignatureRejected(
                "missing X-Hub-Signature: set a signature token on the Zammad webhook"
            )
        if not same(sign(secret, body), signature.strip().lower()):
            raise SignatureRejected("the Zammad X-Hub-Signature does not match the body")
        return replay_key(NAME, body)

    def update(self, body: bytes, now: datetime) -> Update | None:
        payload = jv.obj(jv.load_json(body), "body")
        article = jv.obj(payload.get("article"), "article", required=False)
        message = article_message(article, "article")
        return ticket_event(payload.get("ticket"), [message] if message else [], "ticket")
