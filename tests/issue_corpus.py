"""Small synthetic ticket corpora with known topics, in English, Chinese and both."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ticketminer.domain.model import AuthorRole, Message, Ticket

BASE = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# Each topic is a bag of its own words and short phrases; a ticket draws a few of
# them, so a topic is a cloud of varied texts rather than a few repeated sentences.
TOPICS: dict[str, list[str]] = {
    "card_arrival": [
        "card",
        "new card",
        "not arrived",
        "delivery",
        "debit card",
        "post",
        "dispatched",
        "replacement card",
        "still waiting",
        "mail",
        "envelope",
        "never came",
        "where is my card",
        "card arrive",
    ],
    "password_reset": [
        "password",
        "reset password",
        "reset link",
        "expired",
        "locked out",
        "login",
        "forgot password",
        "cannot log in",
        "verification code",
        "email link",
        "sign in",
        "two factor",
        "credentials",
    ],
    "refund": [
        "refund",
        "money back",
        "returned item",
        "credited",
        "refund amount",
        "wrong amount",
        "return parcel",
        "reimburse",
        "refund request",
        "not refunded",
        "refund delay",
        "charge back",
    ],
    "shipping_delay": [
        "快递",
        "物流",
        "没到",
        "太慢",
        "包裹",
        "运输中",
        "发货延迟",
        "没有更新",
        "到货",
        "催了",
        "配送",
        "快递员",
        "物流信息",
    ],
    "screen_broken": [
        "屏幕",
        "碎了",
        "裂痕",
        "坏点",
        "花屏",
        "显示屏",
        "摔了",
        "划痕",
        "触摸失灵",
        "黑屏",
        "屏幕坏了",
        "换屏",
    ],
    "app_crash": [
        "app",
        "闪退",
        "crash",
        "crashes",
        "崩溃",
        "打开",
        "startup",
        "更新之后",
        "keeps crashing",
        "卡死",
        "force close",
        "无法启动",
        "app 打不开",
    ],
}

NEW_TOPIC: dict[str, list[str]] = {
    "invoice": [
        "invoice",
        "vat invoice",
        "tax number",
        "company invoice",
        "invoice copy",
        "accounting",
        "invoice address",
        "billing document",
        "receipt",
        "download invoice",
        "issue invoice",
    ],
}

# Words any ticket may carry, whatever its topic: they blur the topics the way real
# tickets do, so a topic is a cloud of texts rather than a few repeated phrases.
FILLER_EN = [
    "today",
    "yesterday",
    "again",
    "still",
    "already",
    "please",
    "help",
    "urgent",
    "order",
    "account",
    "app",
    "website",
    "week",
    "days",
    "customer",
    "service",
    "team",
    "asap",
    "soon",
    "really",
]
FILLER_ZH = [
    "今天",
    "昨天",
    "还是",
    "已经",
    "帮忙",
    "尽快",
    "订单",
    "客服",
    "一下",
    "真的",
    "几天",
    "处理",
    "问题",
]


def topic_tickets(
    topics: dict[str, list[str]],
    per_topic: int,
    seed: int = 0,
    prefix: str = "t",
    tenant_id: str = "default",
    start: datetime = BASE,
) -> tuple[list[Ticket], dict[str, str]]:
    """Tickets whose subject and description come from one topic; returns the
    tickets and the true topic of each external id."""
    rng = random.Random(seed)
    tickets: list[Ticket] = []
    truth: dict[str, str] = {}
    for name, phrases in topics.items():
        for i in range(per_topic):
            ext = f"{prefix}-{name}-{i}"
            words = rng.sample(phrases, rng.randrange(4, 7))
            subject = " ".join(words[:2])
            created = start + timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
            filler = rng.sample(FILLER_EN, 2) + rng.sample(FILLER_ZH, 2)
            description = " ".join(words[2:] + rng.sample(filler, rng.randrange(1, 3)))
            tickets.append(
                Ticket(
                    external_id=ext,
                    tenant_id=tenant_id,
                    created_at=created,
                    subject=subject,
                    description=description,
                    messages=[Message(AuthorRole.CUSTOMER, created, description)],
                )
            )
            truth[ext] = name
    rng.shuffle(tickets)
    return tickets, truth
