"""Politeness and complaint signals of support text, in Chinese and English.

Why: lexicons and models learned on reviews and tweets read "please", "thanks", "appreciate",
"谢谢" and "辛苦了" as praise, and support tickets are full of them, so a polite complaint ("the
item arrived broken, thank you so much in advance") scored as praise. Politeness words are
therefore neutral for the sentiment scorer, and a complaint signal (something is broken, missing,
late, charged wrongly, to be refunded) caps a text's sentiment: a complaint is never praise,
however kindly it is put. The same regular expression reads raw text (the scorer) and the stored
tokens of a ticket (the praise rankings), so both agree on what a complaint is.
"""

from __future__ import annotations

import re

from .normalization import HAN_CLASS, normalize

__all__ = [
    "COMPLAINT_CEILING",
    "POLITENESS_EN",
    "POLITENESS_TERMS",
    "POLITENESS_ZH",
    "complaint_signals",
    "has_complaint",
    "normalized_complaint_signals",
]

#: The highest sentiment a text with a complaint signal gets: below NEGATIVE_THRESHOLD (-0.25),
#: so a polite complaint counts as a negative ticket, far from the praise line (0.9).
COMPLAINT_CEILING = -0.3

#: English politeness and request words (VADER gives "thanks" +1.9, "please" +1.3, "help" +1.7).
_POLITE_EN = (
    "please pls plz thanks thank thanked thx ty appreciate appreciated appreciates appreciating "
    "appreciation grateful gratefully kindly kind regards sorry apologies apologise apologize "
    "help helping hope hopefully asap advance dear hello hi hey welcome"
)
POLITENESS_EN = frozenset(_POLITE_EN.split())
#: Chinese politeness and request words ("麻烦" is "sorry to bother you" in a ticket).
_POLITE_ZH = (
    "谢谢 谢谢您 谢谢你 谢了 感谢 多谢 感激 辛苦 辛苦了 麻烦 劳烦 拜托 请 请问 您好 你好 亲 "
    "帮忙 帮帮忙 帮 尽快 赶紧 希望 抱歉 不好意思 打扰"
)
POLITENESS_ZH = frozenset(_POLITE_ZH.split())
#: Words that never rank as praise drivers, whatever tickets they come with.
POLITENESS_TERMS = POLITENESS_EN | POLITENESS_ZH

# Complaint signals. English: whole words or phrases; a "not"/"no"/"never"/"n't" one or two
# words before a single word cancels it ("not broken"); phrases that start with a negation are
# the complaint themselves ("not working").
_EN_WORDS = (
    "broken|broke|cracked|damaged|defective|faulty|smashed|shattered|leaking|leaks|missing|"
    "refund|refunded|refunds|chargeback|overcharged|undelivered|unusable|unresponsive|"
    "crash|crashes|crashed|crashing|freezes|frozen|error|errors|failed|fails|failing|failure|"
    "stuck|loop|looping|bug|buggy|glitch|late|delayed|delay|lost|stolen|scam|wrong|"
    "reopen|reopened|cancelled|declined|locked"
)
_EN_PHRASES = (
    r"not (?:working|work|arrived|received|delivered|charging|loading|responding|resolved|fixed)|"
    r"(?:does|did|do|is|was|are|were|has|have|had|ca|can|could|wo)n'?t "
    r"(?:work|working|arrive|arrived|receive|received|load|open|connect|charge|log ?in|sign ?in)|"
    r"(?:can ?not|cannot|unable to) (?:log ?in|sign ?in|access|open|pay|connect|use|find|reach)|"
    r"stopped working|never (?:arrived|came|received|got)|still (?:waiting|not|no|broken)|"
    r"no (?:reply|response|answer|update|refund)|nobody (?:answers|replied|responds)|"
    r"charged twice|double[- ]charged|wrong (?:item|size|colou?r|order|address)"
)
_EN_NEGATION = re.compile(r"(?:\b(?:not|no|never|without)|n't)\s+(?:\w+\s+)?$")
_EN_COMPLAINT = re.compile(rf"(?<![a-z'])(?:({_EN_PHRASES})|({_EN_WORDS}))(?![a-z])")
# A cheap pre-check (one findall and a set intersection) spares most texts the alternation
# above, whose lookbehind Python's regex engine tries at every position: the words, and the
# first words of the phrases.
_EN_WORD = re.compile(r"[a-z]+")
_EN_PHRASE_STARTS = (
    "not|t|cant|dont|doesnt|didnt|wont|isnt|cannot|can|unable|stopped|never|still|no|nobody|"
    "charged|double"
)
_EN_FIRST_WORDS = frozenset(f"{_EN_WORDS}|{_EN_PHRASE_STARTS}".split("|"))
# Chinese: substrings (no word boundaries); a negator right before cancels ("没坏").
_ZH_TERMS = (
    "坏 损坏 破损 碎 裂开 摔坏 漏液 漏水 没收到 未收到 收不到 没到货 还没到 还没收到 "
    "一直没 迟迟 漏发 少发 错发 发错 缺件 少了 丢件 丢失 退款 退货 退钱 换货 赔偿 多扣 扣错 重复扣 "
    "乱扣 扣了两次 用不了 不能用 没法用 打不开 登不上 登录不了 进不去 无法 失败 报错 闪退 崩溃 "
    "死机 卡死 卡顿 黑屏 白屏 循环 故障 没反应 不显示 重开 延迟 超时 太慢 投诉 还没解决 没解决 "
    "没有解决 不退 拒绝 没声音 没有声音 打不通 没发货 不发货"
)
_ZH_TERM_LIST = sorted(set(_ZH_TERMS.split()), key=len, reverse=True)
_ZH_NEGATORS = "没不未无别"
_ZH_COMPLAINT = re.compile("|".join(_ZH_TERM_LIST))
_HAN_GAP = re.compile(f"(?<=[{HAN_CLASS}]) (?=[{HAN_CLASS}])")


def complaint_signals(text: str) -> list[str]:
    """The complaint signals in `text` (raw text, or tokens joined by spaces: the spaces
    between Chinese tokens are closed first), negated ones left out."""
    return normalized_complaint_signals(_HAN_GAP.sub("", normalize(text)))


def normalized_complaint_signals(folded: str) -> list[str]:
    """`complaint_signals` of text that `normalize` has folded already (the scorer's)."""
    found: list[str] = []
    if not _EN_FIRST_WORDS.isdisjoint(_EN_WORD.findall(folded)):
        for match in _EN_COMPLAINT.finditer(folded):
            before = folded[max(0, match.start() - 30) : match.start()]
            if match.group(1) or not _EN_NEGATION.search(before):
                found.append(match.group(0))
    first = _ZH_COMPLAINT.search(folded)  # the regex's literal alternation is quick to rule out
    if first is not None:
        for match in _ZH_COMPLAINT.finditer(folded, first.start()):
            start, term = match.start(), match.group(0)
            if term[0] in _ZH_NEGATORS or start == 0 or folded[start - 1] not in _ZH_NEGATORS:
                found.append(term)
    return found


def has_complaint(text: str) -> bool:
    """Whether `text` says something is wrong (see `complaint_signals`)."""
    return bool(complaint_signals(text))
