"""Form-like ticket text for the "forms" preset: the same topics, written the way web
forms, in-app feedback pages, pre-chat surveys and contact-form relay e-mails write
them.

Such tickets are mostly a fixed template: field labels, boilerplate and a coarse
"issue type" from a drop-down (shared by several topics, and often left at "Other"),
with the problem itself in one short phrase. Every form-rendered ticket of a language
carries the same words whatever its topic, which is what makes them hard to cluster.

Only scenarios with `text_style="forms"` call this module, so the text of every other
scenario is what it was before it existed.
"""

from __future__ import annotations

import random

from ticketminer.synth import wording
from ticketminer.synth.topics import Topic
from ticketminer.synth.wording import Voice, below, pick

# The share of a channel's tickets that arrive as a form (the rest are written freely).
FORM_SHARE = {"web": 1.0, "app": 1.0, "email": 0.7, "chat": 0.6, "phone": 0.0}
# How often a customer leaves the drop-down at "Other" instead of picking the category.
OTHER_CATEGORY_RATE = 0.2
# How often the phrase is one of the topic's sentences rather than a subject line.
SENTENCE_RATE = 0.3

CATEGORIES = {
    "delivery": ("物流配送", "Shipping & delivery"),
    "payment": ("支付与退款", "Payments & refunds"),
    "after_sales": ("售后与退换货", "Returns & after-sales"),
    "account": ("账户与App", "Account & app"),
    "other": ("其他", "Other"),
}
TOPIC_CATEGORY = {
    "shipping_delay": "delivery",
    "address_change": "delivery",
    "payment_failure": "payment",
    "refund_request": "payment",
    "coupon_not_applied": "payment",
    "invoice": "payment",
    "damaged_item": "after_sales",
    "wrong_item": "after_sales",
    "return_label": "after_sales",
    "warranty_repair": "after_sales",
    "account_locked": "account",
    "app_crash": "account",
    "app_login_loop": "account",
    "account_activation": "account",
}
OPERATING_SYSTEMS = ("iOS 17.4", "iOS 18.1", "Android 13", "Android 14", "HarmonyOS 4.2")
NAMES = {
    "zh": ("王先生", "李女士", "张三", "陈女士", "刘先生", "匿名用户"),
    "en": ("Customer", "A. Chen", "J. Smith", "Maria L.", "Anonymous", "K. Wong"),
}
NO_ORDER = {"zh": "无", "en": "N/A"}

# (subject, body) per form and language; slots: {category} {order} {phrase} {phone}
# {version} {os} {name} {email}.
FORMS = {
    "web": {
        "zh": (
            "在线表单：{category}",
            "【在线表单】\n订单号：{order}\n问题类型：{category}\n问题描述：{phrase}\n"
            "联系电话：{phone}\n提交页面：帮助中心 > 联系我们",
        ),
        "en": (
            "Web form: {category}",
            "[Web form]\nOrder number: {order}\nIssue type: {category}\nDescription: {phrase}\n"
            "Phone: {phone}\nSubmitted from: Help Center > Contact us",
        ),
    },
    "app": {
        "zh": (
            "App意见反馈",
            "App意见反馈\n版本：{version}\n系统：{os}\n反馈类别：{category}\n"
            "反馈内容：{phrase}\n（来自App内“我的 > 意见反馈”）",
        ),
        "en": (
            "App feedback",
            "App feedback\nVersion: {version}\nOS: {os}\nCategory: {category}\n"
            "Message: {phrase}\n(sent from the in-app Me > Feedback page)",
        ),
    },
    "relay": {
        "zh": (
            "官网联系表单留言 - {category}",
            "此邮件由官网联系表单自动发送，请勿直接回复。\n姓名：{name}\n邮箱：{email}\n"
            "订单号：{order}\n主题：{category}\n留言：{phrase}\n——————\n"
            "本邮件可能包含个人信息，请妥善保管。服务条款与隐私政策详见官网。",
        ),
        "en": (
            "Contact form message - {category}",
            "This message was sent automatically from the contact form on our website. "
            "Please do not reply to this email.\nName: {name}\nEmail: {email}\n"
            "Order number: {order}\nTopic: {category}\nMessage: {phrase}\n----\n"
            "This email may contain personal data. See our website for our terms of "
            "service and privacy policy.",
        ),
    },
    "prechat": {
        "zh": (
            "在线咨询：{category}",
            "咨询前表单\n订单号：{order}\n问题类型：{category}\n请简要描述您的问题：{phrase}",
        ),
        "en": (
            "Chat: {category}",
            "Pre-chat form\nOrder number: {order}\nIssue type: {category}\n"
            "Briefly describe your question: {phrase}",
        ),
    },
}
CHANNEL_FORM = {"web": "web", "app": "app", "email": "relay", "chat": "prechat"}


def form_ticket(
    rng: random.Random, topic: Topic, voice: Voice, channel: str
) -> tuple[str, str] | None:
    """(subject, description) of a form-rendered ticket, or None when this ticket is
    written freely (phone calls always; other channels at 1 - `FORM_SHARE`)."""
    share = FORM_SHARE.get(channel, 0.0)
    if share <= 0.0 or rng.random() >= share:
        return None
    lang = voice.base
    slots = voice.slots(lang)
    category = TOPIC_CATEGORY.get(topic.key, "other")
    if rng.random() < OTHER_CATEGORY_RATE:
        category = "other"
    subject, body = FORMS[CHANNEL_FORM[channel]][lang]
    values = {
        **slots,
        "category": CATEGORIES[category][lang == "en"],
        "order": slots["order"] if topic.has_order else NO_ORDER[lang],
        "phrase": _phrase(rng, topic, voice),
        "os": pick(rng, OPERATING_SYSTEMS),
        "name": pick(rng, NAMES[lang]),
    }
    return subject.format(**values), body.format(**values)


def _phrase(rng: random.Random, topic: Topic, voice: Voice) -> str:
    """The problem in a few words: a subject line of the topic (or of the incident's
    story), sometimes one of its sentences, with the ticket's typos and code-switching."""
    lang = voice.base
    source = voice.story if voice.story is not None and rng.random() < 0.5 else topic
    words = source.en if lang == "en" else source.zh
    pool = words.sentences if rng.random() < SENTENCE_RATE else words.subjects
    text = pool[below(rng, len(pool))].format(**voice.slots(lang))
    return wording._finish(rng, voice, text)
