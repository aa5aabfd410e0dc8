"""Delivery backends for scheduled digests: one small interface (base.Deliverer),
one module per channel, and the factory that picks one for a schedule."""

from __future__ import annotations

from dataclasses import dataclass

from ticketminer.deliverers.base import Deliverer, DeliveryError, DigestMessage
from ticketminer.deliverers.dingtalk import DingTalkDeliverer
from ticketminer.deliverers.email import EmailDeliverer, SmtpRelay
from ticketminer.deliverers.feishu import FeishuDeliverer
from ticketminer.deliverers.slack import SlackDeliverer
from ticketminer.deliverers.webhook import WebhookDeliverer
from ticketminer.deliverers.wecom import WeComDeliverer
from ticketminer.domain.digest_delivery import Channel, DigestSchedule

__all__ = ["Deliverer", "DeliveryError", "DigestMessage", "Outbox", "SmtpRelay"]


@dataclass(frozen=True, slots=True)
class Outbox:
    """What the server knows about sending: its SMTP relay (None: no e-mail) and
    the timeout of one send."""

    smtp: SmtpRelay | None = None
    sender: str = "ticketminer@localhost"
    timeout_seconds: float = 30.0

    def deliverer_for(self, s: DigestSchedule) -> Deliverer:
        t = self.timeout_seconds
        if s.channel == Channel.EMAIL:
            if self.smtp is None:
                raise DeliveryError("the server has no --smtp-url", retryable=False)
            return EmailDeliverer(self.smtp, self.sender, s.recipients, t)
        if s.channel == Channel.SLACK:
            return SlackDeliverer(s.webhook_url, t)
        if s.channel == Channel.FEISHU:
            return FeishuDeliverer(s.webhook_url, s.secret, t)
        if s.channel == Channel.DINGTALK:
            return DingTalkDeliverer(s.webhook_url, s.secret, t)
        if s.channel == Channel.WECOM:
            return WeComDeliverer(s.webhook_url, t)
        if s.channel == Channel.WEBHOOK:
            return WebhookDeliverer(s.webhook_url, s.secret, t)
        raise DeliveryError(f"no deliverer for channel {s.channel.name}", retryable=False)
