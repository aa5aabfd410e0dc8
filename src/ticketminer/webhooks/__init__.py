"""Helpdesk webhooks: one module per source behind the `WebhookSource` interface;
`routes.webhook_routes` serves them over HTTP."""

from __future__ import annotations

from ticketminer.webhooks.base import SignatureRejected, Update, WebhookSource
from ticketminer.webhooks.chatwoot import ChatwootSource
from ticketminer.webhooks.freshdesk import FreshdeskSource
from ticketminer.webhooks.generic import GenericSource
from ticketminer.webhooks.zammad import ZammadSource
from ticketminer.webhooks.zendesk import ZendeskSource

SOURCES: dict[str, WebhookSource] = {
    source.name: source
    for source in (
        ZendeskSource(),
        FreshdeskSource(),
        ZammadSource(),
        ChatwootSource(),
        GenericSource(),
    )
}

__all__ = ["SOURCES", "SignatureRejected", "Update", "WebhookSource"]
