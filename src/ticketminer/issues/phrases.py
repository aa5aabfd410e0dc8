"""Label phrases a person would write: short, in the tickets' language, chosen by
meaning.

Candidates are the word runs (two or three adjacent tokens) that many of an issue's
tickets share, shown the way the language writes them: Chinese words joined without
spaces ("退款没到账"), English words with them. With a sentence encoder the phrase
closest in meaning to the issue's tickets wins, and the next ones are picked by
maximal marginal relevance (KeyBERT's MMR), so the terms do not repeat one idea; without
one, the most frequent distinctive phrase wins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ticketminer.issues.features import is_placeholder

# Turns phrases into unit vectors in the space of the tickets' semantic vectors.
PhraseEmbedder = Callable[[Sequence[str]], np.ndarray]

MIN_DOC_SHARE = 0.08  # a candidate must occur in this share of the issue's tickets
MIN_SUBJECT_SHARE = 0.02  # subjects are whole phrases: a few repeats are enough
MAX_SUBJECT_CHARS = 40
MAX_CANDIDATES = 24  # per issue and language, embedded and ranked
MMR_DIVERSITY = 0.3


def is_cjk(token: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in token)


def is_latin(token: str) -> bool:
    return any(ch.isascii() and ch.isalpha() for ch in token)


def join_tokens(tokens: Sequence[str]) -> str:
    """Tokens as written: a space only between two Latin words."""
    out = ""
    for i, token in enumerate(tokens):
        if i and is_latin(tokens[i - 1]) and is_latin(token) and not is_cjk(token):
            out += " "
        out += token
    return out


def candidates(docs: Sequence[Sequence[str]], members: np.ndarray, cjk: bool) -> list[str]:
    """Word runs (2 or 3 tokens, all of one script) shared by enough tickets, most
    shared first. A Chinese run neither starts nor ends with a one-character word:
    "包裹不" is a fragment, "退款没到账" a phrase."""
    counts: Counter[tuple[str, ...]] = Counter()
    for i in members.tolist():
        doc = [t for t in docs[i] if not is_placeholder(t)]
        seen: set[tuple[str, ...]] = set()
        for n in (2, 3):
            for start in range(len(doc) - n + 1):
                gram = tuple(doc[start : start + n])
                if len(set(gram)) < n:
                    continue
                if all(is_cjk(t) == cjk and (cjk or is_latin(t)) for t in gram) and (
                    not cjk or (len(gram[0]) > 1 and len(gram[-1]) > 1)
                ):
                    seen.add(gram)
        counts.update(seen)
    floor = max(2, MIN_DOC_SHARE * len(members))
    ranked = sorted(
        (gram for gram, c in counts.items() if c >= floor),
        key=lambda g: (-counts[g], -len(g), g),
    )
    return [join_tokens(g) for g in ranked[:MAX_CANDIDATES]]


def rank_by_meaning(
    phrases: Sequence[str], centroid: np.ndarray, embed: PhraseEmbedder, top_n: int = 3
) -> list[str]:
    """The phrase closest to `centroid`, then MMR picks: relevant but unlike the picked."""
    if not phrases:
        return []
    vectors = np.asarray(embed(list(phrases)), dtype=np.float32)
    relevance = vectors @ centroid
    picked = [int(np.argmax(relevance))]
    while len(picked) < min(top_n, len(phrases)):
        similarity = vectors @ vectors[picked].T
        score = (1 - MMR_DIVERSITY) * relevance - MMR_DIVERSITY * similarity.max(axis=1)
        score[picked] = -np.inf
        picked.append(int(np.argmax(score)))
    return [phrases[i] for i in picked]


def subject_candidates(subjects: Sequence[str], members: np.ndarray, cjk: bool) -> list[str]:
    """Subjects that several of the issue's tickets share, in one script, short enough
    for a label: a customer's "物流信息一直不更新" often says it best. `subjects` are
    normalised and masked; ones with a placeholder or too long are skipped."""
    counts: Counter[str] = Counter()
    for i in members.tolist():
        text = subjects[i].strip(" .!?,;:。！？，；：")
        if not text or "<" in text or len(text) > MAX_SUBJECT_CHARS:
            continue
        if any(is_cjk(ch) for ch in text) != cjk or (not cjk and not is_latin(text)):
            continue
        counts[text] += 1
    floor = max(2, MIN_SUBJECT_SHARE * len(members))
    ranked = sorted((t for t, c in counts.items() if c >= floor), key=lambda t: (-counts[t], t))
    return ranked[:MAX_CANDIDATES]
