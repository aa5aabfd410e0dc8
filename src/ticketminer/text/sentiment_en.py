"""English sentiment: VADER (vaderSentiment, MIT, ships its lexicon) plus support vocabulary.

VADER handles negation ("not good"), intensifiers ("very bad"), "but" and exclamation marks, but
its lexicon comes from social media and scores factual complaints as neutral: "the package never
arrived", "I was charged twice", "it doesn't work". A few such phrases become one synthetic word
with a negative valence here, so that VADER's own rules (intensifiers, "but") still apply to them.
Politeness words ("please", "thanks", "appreciate", "help") are taken out of the lexicon: support
tickets use them whatever they say (`support_signals`).
"""

from __future__ import annotations

import re

from .support_signals import POLITENESS_EN

__all__ = ["EnglishModel"]

# Valences on VADER's -4..4 scale, beside its "broken" -2.1 and "disappointed" -1.9.
_SUPPORT_WORDS: dict[str, float] = {
    "unusable": -2.0,
    "crashing": -1.7,  # VADER has "crash" but does not stem
    "crashes": -1.7,
    "crashed": -1.7,
    "overcharged": -2.0,
    "unresponsive": -1.5,
    "malfunctioning": -1.5,
}
_PHRASES: tuple[tuple[str, str, float], ...] = (
    (r"fed up", "xfedupx", -2.0),
    (r"charged twice|double[- ]charged", "xchargedtwicex", -2.0),
    (r"never (?:arrived|came|showed up|received|got)", "xneverarrivedx", -1.5),
    (
        r"(?:has ?n[o']t|have ?n[o']t|did ?n[o']t|not) (?:yet )?"
        r"(?:received|arrived|heard back|been (?:resolved|fixed|refunded|delivered))",
        "xnotreceivedx",
        -1.5,
    ),
    (
        r"(?:does ?n[o']t|did ?n[o']t|do ?n[o']t|is ?n[o']t|not|stopped|still not) work(?:ing|s)?",
        "xnotworkingx",
        -1.5,
    ),
    (
        r"(?:no|nobody|no one) (?:answers?|repl(?:y|ies)|responds?|response|update|called)",
        "xnoreplyx",
        -1.5,
    ),
    (r"still waiting", "xstillwaitingx", -1.2),
)
_PHRASE = re.compile(
    r"\b(?:" + "|".join(f"({pattern})" for pattern, _, _ in _PHRASES) + r")\b", re.IGNORECASE
)
_PHRASE_WORDS = [word for _, word, _ in _PHRASES]


class EnglishModel:
    """A VADER analyser with the support vocabulary; read-only after construction."""

    def __init__(self, neutral_politeness: bool = True) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(_SUPPORT_WORDS)
        self._vader.lexicon.update({word: valence for _, word, valence in _PHRASES})
        if neutral_politeness:  # "thanks" +1.9, "please" +1.3: the register of every ticket
            for word in POLITENESS_EN:
                self._vader.lexicon.pop(word, None)

    def score(self, text: str) -> float:
        """VADER's compound score in [-1, 1] of Latin-script text."""
        text = _PHRASE.sub(_replacement, text)
        return float(self._vader.polarity_scores(text)["compound"])


def _replacement(match: re.Match[str]) -> str:
    """The synthetic word of the phrase that matched (each phrase is one capturing group)."""
    return _PHRASE_WORDS[(match.lastindex or 1) - 1]
