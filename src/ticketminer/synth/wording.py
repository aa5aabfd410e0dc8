"""Ticket text: a topic's phrasings with their slots filled, plus what real tickets
also carry (greetings, contact details, typos, code-switching, anger) so that the
same issue rarely reads the same way twice."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ticketminer.synth.topics import Story, Topic, Wording

T = TypeVar("T")

GREETINGS = {
    "zh": ("你好，", "您好，", "客服你好，", "在吗？", "", ""),
    "en": ("Hi,", "Hello,", "Hi team,", "Dear support,", "", ""),
}
CLOSINGS = {
    "zh": ("谢谢！", "麻烦尽快处理，谢谢。", "辛苦了。", "等你们回复。"),
    "en": ("Thanks.", "Thanks in advance!", "Please help asap.", "Regards."),
}
CONTACTS = {
    "zh": ("我的手机号是{phone}。", "联系电话{phone}，有问题打给我。", "邮箱：{email}。"),
    "en": ("You can reach me at {phone}.", "My email is {email}.", "Call me on {phone} if needed."),
}
ANGRY = {
    "zh": ("太差了！", "非常失望。", "我要投诉！", "什么服务态度。"),
    "en": ("Terrible service.", "Very disappointed.", "I want to file a complaint.", "A joke."),
}
ANGRY_SUBJECT = {
    "zh": ("【投诉】{}", "{}！！！", "{}，太差了"),
    "en": ("Complaint: {}", "URGENT: {}"),
}
PHONE_NOTE = {"zh": "来电记录：", "en": "Call summary: "}
BOT = {
    "zh": "您好，我们已收到您的问题（工单号 {ticket}），客服将尽快为您处理。",
    "en": "Hi! We got your request ({ticket}); an agent will reply shortly.",
}
FOLLOW_UPS = {
    "zh": ("还是没解决，有进展吗？", "照片已经发过去了，请查收。", "请问处理得怎么样了？"),
    "en": ("Any update on this?", "I've attached the photos you asked for.", "Still waiting."),
}
ANGRY_FOLLOW_UPS = {
    "zh": ("到底还要等多久？太差了！", "再不处理我就投诉了。"),
    "en": ("How long do I have to wait? This is terrible.", "I'm losing my patience."),
}
AGENT_FOLLOW_UPS = {
    "zh": (
        "已收到，正在为您跟进，请耐心等待。",
        "已经转交{team}处理，有结果第一时间通知您。",
        "麻烦提供一下订单截图，方便我们核实。",
    ),
    "en": (
        "Thanks, I'm following up on this for you.",
        "I've passed this to our {team}; we'll update you as soon as we hear back.",
        "Could you send a screenshot of the order so we can check?",
    ),
}
APOLOGY = {"zh": "非常抱歉给您带来不好的体验。", "en": "I'm really sorry about this experience. "}
THANKS = {
    "zh": ("好的，谢谢！", "收到，解决了，谢谢。"),
    "en": ("Great, thanks!", "That worked, thanks."),
}
REOPENS = {
    "zh": ("问题又出现了，还是不行。", "上次说解决了，但其实没有。"),
    "en": ("The problem is back.", "This isn't actually fixed."),
}
NOTES = {
    "zh": "转{team}跟进，客户等级{segment}。",
    "en": "Escalated to the {team}; customer segment {segment}.",
}
# Mixed tickets swap some Chinese words for the English ones customers type.
CODE_SWITCH = (
    ("订单", "order"),
    ("退款", "refund"),
    ("发票", "invoice"),
    ("优惠券", "coupon"),
    ("闪退", "crash"),
    ("登录", "login"),
    ("付款", "pay"),
    ("物流", "tracking"),
    ("保修", "warranty"),
    ("地址", "address"),
    ("快递", "package"),
)
# Common Chinese misspellings (homophones, variant characters).
ZH_TYPOS = (
    ("登录", "登陆"),
    ("账号", "帐号"),
    ("已经", "以经"),
    ("收到", "收倒"),
    ("麻烦", "麻繁"),
    ("订单", "定单"),
    ("退款", "退欵"),
)
TYPO_RATE = 0.12
CONTACT_RATE = 0.2
CLOSING_RATE = 0.5
MIXED_ENGLISH_SENTENCE_RATE = 0.5
CODE_SWITCH_RATE = 0.6


@dataclass(frozen=True, slots=True)
class Voice:
    """How one ticket is written: its language ("zh", "en" or "mixed"), whether in
    anger, the incident story it tells (if any) and the slot values."""

    language: str
    negative: bool
    story: Story | None
    fill: dict[str, str]  # Chinese slot values
    fill_en: dict[str, str]  # English slot values

    @property
    def base(self) -> str:
        """The language of the topic phrasings used (mixed writes Chinese)."""
        return "en" if self.language == "en" else "zh"

    def slots(self, lang: str) -> dict[str, str]:
        return self.fill_en if lang == "en" else self.fill


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """`rng.choice` without its overhead: the full path picks a few dozen times a ticket."""
    return items[int(rng.random() * len(items))]


def below(rng: random.Random, n: int) -> int:
    """A uniform integer in [0, n), cheaper than `rng.randrange`."""
    return int(rng.random() * n)


def _wording(item: Topic | Story, lang: str) -> Wording:
    return item.en if lang == "en" else item.zh


def _join(lang: str, parts: list[str]) -> str:
    return (" " if lang == "en" else "").join(p for p in parts if p)


def _code_switch(rng: random.Random, text: str) -> str:
    for zh, en in CODE_SWITCH:
        if zh in text and rng.random() < CODE_SWITCH_RATE:
            text = text.replace(zh, en, 1)
    return text


def _typo(rng: random.Random, text: str, lang: str) -> str:
    """One misspelling as people make them: a common Chinese variant, or two
    swapped letters in an English word."""
    if lang != "en":
        found = [pair for pair in ZH_TYPOS if pair[0] in text]
        if not found:
            return text
        right, wrong = pick(rng, found)
        return text.replace(right, wrong, 1)
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = pick(rng, long)
    j = 1 + below(rng, len(words[i]) - 3)
    w = words[i]
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _finish(rng: random.Random, voice: Voice, text: str) -> str:
    if voice.language == "mixed":
        text = _code_switch(rng, text)
    if rng.random() < TYPO_RATE:
        text = _typo(rng, text, voice.base)
    return text


def subject(rng: random.Random, topic: Topic, voice: Voice) -> str:
    lang = voice.base
    source = voice.story if voice.story is not None and rng.random() < 0.5 else topic
    text = pick(rng, _wording(source, lang).subjects).format(**voice.slots(lang))
    if voice.negative and rng.random() < 0.6:
        text = pick(rng, ANGRY_SUBJECT[lang]).format(text)
    return _finish(rng, voice, text)


def description(rng: random.Random, topic: Topic, voice: Voice, phone_call: bool) -> str:
    """A greeting, one to three of the topic's sentences, the incident's story, anger,
    contact details and a closing, in the ticket's language."""
    lang = voice.base
    slots = voice.slots(lang)
    wording = _wording(topic, lang)
    count = min(len(wording.sentences), pick(rng, (1, 2, 2, 3)))
    body = [s.format(**slots) for s in rng.sample(wording.sentences, count)]
    if voice.story is not None:
        line = pick(rng, _wording(voice.story, lang).sentences).format(**slots)
        body.insert(below(rng, len(body) + 1), line)
    if voice.negative:
        pool = wording.angry + ANGRY[lang]
        body.insert(below(rng, len(body) + 1), pick(rng, pool).format(**slots))
    parts = [pick(rng, GREETINGS[lang]), *body]
    if rng.random() < CONTACT_RATE:
        parts.append(pick(rng, CONTACTS[lang]).format(**slots))
    if rng.random() < CLOSING_RATE:
        parts.append(pick(rng, wording.closings or CLOSINGS[lang]))
    text = _finish(rng, voice, _join(lang, parts))
    if voice.language == "mixed" and rng.random() < MIXED_ENGLISH_SENTENCE_RATE:
        text += " " + pick(rng, topic.en.sentences).format(**voice.fill_en)
    return PHONE_NOTE[lang] + text if phone_call else text


def first_reply(rng: random.Random, topic: Topic, voice: Voice) -> str:
    lang = voice.base
    text = pick(rng, _wording(topic, lang).replies).format(**voice.slots(lang))
    return APOLOGY[lang] + text if voice.negative else text


def agent_follow_up(rng: random.Random, topic: Topic, voice: Voice) -> str:
    lang = voice.base
    return pick(rng, AGENT_FOLLOW_UPS[lang]).format(team=topic.team[lang == "en"])


def customer_follow_up(rng: random.Random, topic: Topic, voice: Voice) -> str:
    """The customer's next message: angry, the topic's own (a compliment's), or generic."""
    if voice.negative:
        pool = ANGRY_FOLLOW_UPS[voice.base]
    else:
        pool = _wording(topic, voice.base).follow_ups or FOLLOW_UPS[voice.base]
    return _finish(rng, voice, pick(rng, pool))


def thanks(rng: random.Random, voice: Voice) -> str:
    return pick(rng, THANKS[voice.base])


def reopen(rng: random.Random, voice: Voice) -> str:
    return _finish(rng, voice, pick(rng, REOPENS[voice.base]))


def bot_reply(voice: Voice, ticket_id: str) -> str:
    return BOT[voice.base].format(ticket=ticket_id)


def internal_note(topic: Topic, voice: Voice, segment: str) -> str:
    lang = voice.base
    return NOTES[lang].format(team=topic.team[lang == "en"], segment=segment)
