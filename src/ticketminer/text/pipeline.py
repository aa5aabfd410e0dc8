"""The text pipeline: ticket text in, clustering tokens out."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from .form_fields import strip_form_fields
from .normalization import normalize
from .pii import mask_pii
from .stopwords import STOP_WORDS
from .tokenize import Tokenizer

__all__ = ["TextPipeline", "default_pipeline"]

_FIRST_CJK = "\u3400"  # Han ideographs (and Hangul syllables) sort at or above this
# Reply/forward prefixes of a subject: "Re: Fwd: 回复: ..." say nothing about the issue.
# Possessive whitespace keeps it linear on a subject of "re" and spaces (issue 19).
_SUBJECT_PREFIX = re.compile(
    r"^(?:\s*+(?:re|fwd?|aw|wg|回复|答复|转发)\s*+[:：])+\s*+", re.IGNORECASE
)


def strip_subject_prefix(subject: str) -> str:
    """The subject without its "Re:", "Fwd:", "回复：" prefixes."""
    return _SUBJECT_PREFIX.sub("", subject) if subject else ""


class TextPipeline:
    """normalize -> mask_pii -> tokenize -> filter. Thread-safe; build once, share."""

    def __init__(self, tokenizer: Tokenizer | None = None, stop_words: bool = True) -> None:
        """`tokenizer`: defaults to `Tokenizer()` (rjieba when installed, HMM off).
        `stop_words`: drop STOP_WORDS_EN | STOP_WORDS_ZH."""
        self.tokenizer = tokenizer if tokenizer is not None else Tokenizer()
        self.stop_words: frozenset[str] = STOP_WORDS if stop_words else frozenset()

    def __repr__(self) -> str:
        return f"TextPipeline({self.tokenizer!r}, stop_words={bool(self.stop_words)})"

    def _filter(self, tokens: list[str]) -> list[str]:
        """Drop stop words, numbers, and one-character tokens other than Han (CJK) ones."""
        stop = self.stop_words
        return [
            t
            for t in tokens
            if t not in stop and (t >= _FIRST_CJK if len(t) == 1 else not t.isdigit())
        ]

    def tokens(self, text: str) -> list[str]:
        """Clustering tokens of one text."""
        if not text:
            return []
        masked = mask_pii(normalize(text))
        return self._filter(self.tokenizer.tokens_lowercase(masked))

    def ticket_tokens(
        self, subject: str, description: str, customer_messages: Sequence[str] = ()
    ) -> list[str]:
        """Tokens of the text that defines a ticket's issue: subject, description and the bodies
        the customer wrote. Agent replies are the caller's to leave out (they describe fixes,
        not issues). A text whose normalised form was already seen (the description repeated as
        the first message, a reply that only quotes it) counts once."""
        opening, follow_ups = self.ticket_token_parts(subject, description, customer_messages)
        return opening + follow_ups

    def ticket_token_parts(
        self, subject: str, description: str, customer_messages: Sequence[str] = ()
    ) -> tuple[list[str], list[str]]:
        """`ticket_tokens` split into the opening (subject and description, or the first
        message when there is no description) and what the customer wrote later: a
        reopen's "still broken" says how it went, not what it was about."""
        seen: set[str] = set()
        parts: tuple[list[str], list[str]] = ([], [])
        subject = strip_subject_prefix(subject)
        opening = 2 if description else 3  # texts that open the ticket
        for i, text in enumerate((subject, description, *customer_messages)):
            if not text:
                continue
            normalized = normalize(text)
            key = " ".join(normalized.split())
            if not key or key in seen:
                continue
            seen.add(key)
            masked = strip_form_fields(mask_pii(normalized))
            tokens = self._filter(self.tokenizer.tokens_lowercase(masked))
            parts[i >= opening].extend(tokens)
        return parts


_default: TextPipeline | None = None
_default_lock = threading.Lock()


def default_pipeline() -> TextPipeline:
    """The process-wide pipeline (auto backend, HMM off, stop words on).

    The first call loads the segmenter dictionary (rjieba ~0.15 s, jieba ~1 s); later calls
    return the same instance. Safe to call from many threads at once.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = TextPipeline()
    return _default
