"""Secrets, signed headers and fixture deliveries shared by the webhook tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ticketminer.webhooks import zammad, zendesk

DATA = Path(__file__).parent / "data" / "webhooks"
SECRETS = {
    "zendesk": "zd-signing-secret",
    "zammad": "zm-signature-token",
    "freshdesk": "fd-shared-token",
    "chatwoot": "cw-shared-token",
    "generic": "gn-shared-token",
}
SECRETS_SETTING = ",".join(f"{k}={v}" for k, v in SECRETS.items())


def sequence(vendor: str) -> list[bytes]:
    """The recorded deliveries of one vendor, in order."""
    return [p.read_bytes() for p in sorted((DATA / vendor).glob("*.json"))]


def signed_headers(vendor: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """What the vendor would send with `body` (token vendors: the token header)."""
    secret = SECRETS[vendor]
    if vendor == "zendesk":
        stamp = timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "X-Zendesk-Webhook-Signature": zendesk.sign(secret, stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
    if vendor == "zammad":
        return {"X-Hub-Signature": zammad.sign(secret, body), "X-Zammad-Delivery": "d1"}
    return {"X-Webhook-Token": secret}
