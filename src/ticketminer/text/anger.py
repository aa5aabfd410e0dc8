"""Per-ticket anger: how hostile the customer's words are, apart from how bad the problem is.

Why: the sentiment score (`sentiment.py`) learns from reviews, where "it arrived broken" and
"delivery is too slow" are as negative as it gets, so it reads a polite, factual problem report as
strongly negative: 15-30 % of the ordinary tickets of most topics score below -0.8. A surge of
angry customers (a dozen in a few days on a busy issue) then barely moves that share. Anger shows
instead in what people add to the problem: insults and contempt ("garbage", "太差了"), accusations
("scam", "骗人"), threats to escalate ("I want to file a complaint", "投诉") and exasperation
("fed up", "失望"), often with repeated exclamation marks. This scorer counts those markers only;
greetings, thanks and the words of the problem itself neither add nor take away anything, so
politeness cannot hide anger and a factual complaint does not read as anger.

A marker right after a negation ("not disappointed", "没有投诉") does not count. Deterministic and
stateless: regular expressions over the normalised text, about 20 us a ticket.
"""

from __future__ import annotations

import math
import re

from .normalization import normalize

__all__ = ["ANGRY_THRESHOLD", "AngerScorer", "default_anger"]

#: `is_angry` cut-off: one strong marker, or two weak ones.
ANGRY_THRESHOLD = 0.5

_STRONG, _WEAK = 1.0, 0.5
# Chinese markers, matched as substrings (no word boundaries in Chinese); kept to words and
# phrases that are hostile wherever they appear, so that "破损" (damaged) or "坑洼" never count.
_ZH_STRONG = (
    # contempt and insult
    "垃圾 太差 很差 真差 最差 差劲 烂透 稀烂 什么破 恶心 无语 离谱 坑人 坑爹 太坑 恶劣 "
    "糟糕透 不专业 什么服务 什么态度 什么体验 "
    # accusation
    "骗子 骗人 骗钱 欺骗 诈骗 忽悠 套路 黑心 奸商 "
    # threats to escalate or leave
    "投诉 消协 12315 曝光 起诉 律师 差评 再也不 "
    # exasperation
    "失望 气死 愤怒 恼火 受够 忍无可忍 太过分 敷衍 推诿 踢皮球"
)
_ZH_WEAK = "太慢了 到底还要 到底要 搞什么 凭什么"
_ZH: dict[str, float] = {
    **dict.fromkeys(_ZH_STRONG.split(), _STRONG),
    **dict.fromkeys(_ZH_WEAK.split(), _WEAK),
}
# English markers, matched as whole words or phrases ("|" separates them: phrases have spaces).
_EN_STRONG = (
    # contempt and insult
    "terrible|awful|horrible|worst|garbage|trash|rubbish|pathetic|disgusting|useless|"
    "incompetent|unacceptable|ridiculous|a joke|joke of a|shameful|disgrace|appalling|outrageous|"
    # accusation
    "scam|scams|scammed|fraud|fraudulent|rip-off|ripoff|ripped off|rip off|cheated|liars|lying|"
    "fake|"
    # threats to escalate or leave
    "complaint|complaints|file a complaint|lawyer|sue|chargeback|never again|never buy|"
    "never order|bad review|"
    # exasperation
    "disappointed|disappointing|fed up|furious|outraged|angry|sick of|sick and tired|"
    "losing my patience|lost my patience|unbelievable"
)
_EN_WEAK = "still waiting|how long do i have to wait|seriously"
_EN: dict[str, float] = {
    **dict.fromkeys(_EN_STRONG.split("|"), _STRONG),
    **dict.fromkeys(_EN_WEAK.split("|"), _WEAK),
}
_NEGATORS_ZH = ("不", "没", "没有", "别", "无", "未", "并不", "并没有")
_NEGATORS_EN = ("not", "no", "never", "nothing", "without")
_EXCLAIM = re.compile(r"[!！]{2,}|[?？][!！]|[!！][?？]")
_EXCLAIM_WEIGHT = _WEAK


def _alternation(words: dict[str, float]) -> str:
    # Longest first, so "file a complaint" wins over "complaint" and counts once.
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ZH_MARKER = re.compile(f"({_alternation(_ZH)})")
_EN_MARKER = re.compile(rf"(?<![a-z])({_alternation(_EN)})(?![a-z])")
_ZH_NEGATED = re.compile(f"(?:{'|'.join(_NEGATORS_ZH)})$")
# A negator, or a contraction's "n't", one or two words before the marker.
_EN_NEGATED = re.compile(rf"(?:\b(?:{'|'.join(_NEGATORS_EN)})|n't)\s+(?:\w+\s+)?$")


class AngerScorer:
    """Anger in [0, 1) from the hostility markers of a text; stateless, so thread-safe.

    Each marker adds its weight (1 strong, 0.5 weak) once, however often it is repeated (a
    ticket's description is often repeated in its first message); repeated "!!"/"?!" add 0.5.
    The sum s becomes 1 - exp(-s * ln 2): one strong marker gives 0.5, two 0.75.
    """

    def __init__(self, angry_threshold: float = ANGRY_THRESHOLD) -> None:
        self.angry_threshold = angry_threshold

    def __repr__(self) -> str:
        return f"AngerScorer(angry_threshold={self.angry_threshold})"

    def markers(self, text: str) -> set[str]:
        """The distinct markers found in `text` (negated ones left out)."""
        folded = normalize(text)
        found: set[str] = set()
        for match in _ZH_MARKER.finditer(folded):
            if not _ZH_NEGATED.search(folded, 0, match.start()):
                found.add(match.group(1))
        for match in _EN_MARKER.finditer(folded):
            before = folded[max(0, match.start() - 40) : match.start()]
            if not _EN_NEGATED.search(before):
                found.add(match.group(1))
        if _EXCLAIM.search(folded):
            found.add("!!")
        return found

    def score(self, text: str) -> float:
        """0 for a text without markers, 0.5 for one strong marker, towards 1 for more."""
        if not text:
            return 0.0
        total = sum(_weight(m) for m in self.markers(text))
        return 1.0 - math.exp(-total * math.log(2.0))

    def is_angry(self, text: str) -> bool:
        """Whether `score(text)` reaches `angry_threshold`."""
        return self.score(text) >= self.angry_threshold


def _weight(marker: str) -> float:
    if marker == "!!":
        return _EXCLAIM_WEIGHT
    return _ZH.get(marker) or _EN.get(marker, 0.0)


_default = AngerScorer()


def default_anger() -> AngerScorer:
    """The process-wide scorer (stateless, built at import)."""
    return _default
