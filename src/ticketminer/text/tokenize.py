"""Tokenisation of mixed Chinese/English text and script detection.

One regex scan splits the text into placeholders, Han runs and other words. Only Han runs go to
the segmenter (jieba or its Rust port rjieba, same dictionary), all in one call per text. Feeding
the segmenter nothing but jieba's own Han range (U+4E00-U+9FD5) is what makes both backends
agree token for token: rjieba's wider Han range (extension A, U+9FD6-U+9FFF, compatibility and
supplementary ideographs) changes its HMM output for those characters, so the scanner emits them
as single-character tokens itself, exactly as jieba does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Literal

from .normalization import HAN_CLASS
from .pii import _EMAIL, _URL, PLACEHOLDERS

__all__ = ["MIXED_WORDS", "Script", "Tokenizer", "detect_script"]

# jieba's re_han_default range: what the segmenter sees. Other Han characters are single tokens.
_SEG_HAN = "\u4e00-\u9fd5"
_OTHER_HAN = "\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U0003134f"

#: jieba dictionary entries that mix Latin and Han, lowercased ("SIM卡", "U盘", "IP地址"...).
#: Segmenting only Han runs would split them, so the scanner matches them first. Names, slang and
#: Latin-only entries ("C++", "小S", "K党") are left out.
_MIXED = (
    "b超 t恤 t恤衫 a座 a股 a型 a轮 aa制 ab型 b座 b股 b型 b轮 bb机 bp机 c盘 c座 c语言 cd盒 cd机"
    " call机 d盘 d座 d版 e盘 e座 f盘 f座 g盘 h盘 h股 i盘 ic卡 ip卡 ip电话 ip地址 o型 pc机 ph值"
    " sim卡 u盘 visa卡 z盘 q版 qq号 rss订阅 t盘 x光 x光线 x射线 t型台 t台 4s店"
)
MIXED_WORDS: tuple[str, ...] = tuple(_MIXED.split())

_WORD_CHAR = f"[^\\W_{HAN_CLASS}]"
_PLACEHOLDER = "|".join(re.escape(p) for p in PLACEHOLDERS)
# Possessive: a word never gives characters back (nothing follows it in the patterns).
_WORD = f"{_WORD_CHAR}++(?:['\\-]{_WORD_CHAR}++)*+"
# Two groups, so that findall returns (other token, Han run) pairs without Match objects.
# The alternation order matters: placeholders, then mixed words, then single Han characters
# outside the segmenter's range, then words; Han runs are the second group.
_SCAN = re.compile(
    f"({_PLACEHOLDER}|"
    + "|".join(sorted(MIXED_WORDS, key=len, reverse=True))
    + f"|[{_OTHER_HAN}]|{_WORD})|([{_SEG_HAN}]+)"
)
# Text without Han characters: one findall does everything.
_SCAN_NO_HAN = re.compile(f"{_PLACEHOLDER}|{_WORD}")
_HAN_ANY = re.compile(f"[{HAN_CLASS}]")
_RUN_SEP = " "


_NEGATED_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}


def _split_word(word: str) -> list[str]:
    """Apostrophes and hyphens: drop a possessive "'s", split "n't" into its verb and "not",
    keep other contractions ("i'm") whole, split
    hyphenated words ("top-up" -> "top", "up", like the unhyphenated spelling) but glue one-letter
    parts to the next ("e-mail" -> "email", "t-shirt" -> "tshirt")."""
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("n't"):
        # One negation token for "not", "hasn't", "didn't", "can't": "didn't" -> "did", "not".
        stem = word[:-3]
        return [*_split_word(_NEGATED_STEMS.get(stem, stem)), "not"] if stem else ["not"]
    if "-" not in word:
        return [word]
    out: list[str] = []
    pending = ""
    for part in word.split("-"):
        if len(part) == 1:
            pending += part
        else:
            out.append(pending + part)
            pending = ""
    if pending:
        if out:
            out[-1] += pending
        else:
            out.append(pending)
    return out


Backend = Literal["auto", "rjieba", "jieba"]


def _load_segmenter(backend: str, hmm: bool) -> tuple[str, Callable[[str], list[str]]]:
    """The backend's name and a `cut(text) -> tokens` using its process-wide dictionary."""
    if backend == "auto":
        if hmm:
            # rjieba's HMM breaks Viterbi ties differently from jieba on repeated characters
            # ("赞赞赞赞赞": 5 of 62,774 real reviews), so the reference is the correct choice.
            backend = "jieba"
        else:
            try:
                import rjieba
            except ImportError:
                backend = "jieba"
            else:
                backend = "rjieba"
    if backend == "rjieba":
        import rjieba

        rcut = rjieba.cut

        def cut(text: str) -> list[str]:
            return rcut(text, hmm)

        return "rjieba", cut
    if backend == "jieba":
        import jieba

        # jieba logs its dictionary loading at DEBUG to stderr, where the server writes JSON logs.
        logging.getLogger("jieba").setLevel(logging.WARNING)
        jieba.dt.check_initialized()
        jcut = jieba.dt.cut

        def cut(text: str) -> list[str]:
            return list(jcut(text, False, hmm))

        return "jieba", cut
    raise ValueError(f"unknown tokenizer backend {backend!r} (expected auto, rjieba or jieba)")


class Tokenizer:
    """Splits text into tokens: segmented Chinese words, lowercase Latin words, placeholders.

    Punctuation and whitespace are dropped; nothing is stemmed or filtered here (that is
    `TextPipeline`'s job). Thread-safe: it holds no mutable state. Both backends use their
    library's default dictionary, so `jieba.add_word` / `rjieba.add_word` elsewhere affect it.
    """

    def __init__(self, backend: Backend | str = "auto", hmm: bool = False) -> None:
        """`backend`: "rjieba" (Rust, ~20x faster), "jieba" (the reference) or "auto".

        "auto" is rjieba when importable and `hmm` is off (token-identical to jieba then), and
        jieba otherwise: with the HMM on, rjieba breaks Viterbi ties differently on runs of
        repeated characters ("赞赞赞赞赞"), so an explicit backend="rjieba", hmm=True is faster
        but not jieba-identical. `hmm`: jieba's guesser for out-of-dictionary words; off by
        default because it invents unstable "words" from typos and names."""
        self.hmm = hmm
        self.backend_name, self._cut = _load_segmenter(backend, hmm)

    def __repr__(self) -> str:
        return f"Tokenizer(backend={self.backend_name!r}, hmm={self.hmm})"

    def tokens(self, text: str) -> list[str]:
        """Tokens of `text` in reading order (Latin words lowercased)."""
        return self.tokens_lowercase(text.lower())

    def tokens_lowercase(self, text: str) -> list[str]:
        """`tokens` for text that is already lowercase (what `normalize` returns)."""
        if not _HAN_ANY.search(text):
            words = _SCAN_NO_HAN.findall(text)
            if "'" in text or "-" in text:
                return [piece for word in words for piece in _split_word(word)]
            return words
        items: list[str] = []  # tokens, with "" standing for the next Han run
        runs: list[str] = []
        for token, run in _SCAN.findall(text):
            if run:
                runs.append(run)
                items.append("")
            elif "'" in token or "-" in token:
                items.extend(_split_word(token))
            else:
                items.append(token)
        if not runs:
            return items
        segmented = self._cut(runs[0] if len(runs) == 1 else _RUN_SEP.join(runs))
        if len(runs) == len(items):  # nothing but Han runs (and punctuation)
            return (
                [piece for piece in segmented if piece != _RUN_SEP] if len(runs) > 1 else segmented
            )
        out: list[str] = []
        start = 0
        for item in items:
            if item:
                out.append(item)
                continue
            try:
                end = segmented.index(_RUN_SEP, start)
            except ValueError:
                end = len(segmented)
            out += segmented[start:end]
            start = end + 1
        return out


# --- Script detection -----------------------------------------------------------------------------

Script = Literal["zh", "en", "mixed", ""]
_HAN_CHAR = re.compile(f"[{HAN_CLASS}]")
_LATIN_LETTER = re.compile(
    "[a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\uff21-\uff3a\uff41-\uff5a]"
)
#: Han share of (Han characters + Latin letters) at or above which a text is "zh"; "en" at or
#: below 1 - this. Letters are counted as is, so "我的iPhone 15屏幕碎了" (6 Han, 6 Latin) is mixed.
ZH_SHARE = 0.8


def detect_script(text: str) -> Script:
    """ "zh", "en", "mixed", or "" when the text has neither Han characters nor Latin letters.

    Counts Han characters against Latin letters, ignoring URLs and e-mail addresses (their letters
    say nothing about the language the customer wrote in). Other scripts do not count.
    """
    if not text:
        return ""
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    han = len(_HAN_CHAR.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if han + latin == 0:
        return ""
    share = han / (han + latin)
    if share >= ZH_SHARE:
        return "zh"
    if share <= 1 - ZH_SHARE:
        return "en"
    return "mixed"
