"""Human-readable descriptions of issues: distinctive terms, a short label, a medoid.

Terms are ranked by class-based TF-IDF (BERTopic's c-TF-IDF): how frequent a term is in
the issue, discounted by how frequent it is in all issues, so words every ticket uses
("help", "问题") do not describe any one issue. English words are grouped by stem and
shown in their most frequent surface form ("cards"/"card" -> "card").

The label is a phrase the tickets share, written as the language writes it (see
`phrases`): chosen by meaning when the tickets have semantic vectors, and given in both
languages ("退款没到账 / refund not received") when the issue is bilingual.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ticketminer.issues import phrases as ph
from ticketminer.issues.features import is_placeholder, stem
from ticketminer.issues.graph_ops import normalize_rows
from ticketminer.issues.phrases import PhraseEmbedder

# A language gets its own share of the terms when at least this share of the issue's
# tickets use it.
BILINGUAL_SHARE = 0.2
# A bigram becomes the label when at least this share of the issue's tickets contain it.
BIGRAM_SHARE = 0.15


@dataclass(frozen=True)
class IssueDescription:
    terms: tuple[str, ...]  # most distinctive terms, best first
    label: str  # a frequent bigram, or the top 2-3 terms joined
    medoid: int  # index into docs of the most representative doc; -1 for an empty issue


_is_cjk = ph.is_cjk
_is_latin = ph.is_latin


def _ctfidf(
    docs: Sequence[Sequence[str]], labels: np.ndarray, n_issues: int
) -> tuple[list[Counter[str]], dict[str, float], dict[str, str]]:
    """Per-issue stem counts, the c-TF-IDF idf of each stem, and stem -> shown surface."""
    per_issue: list[Counter[str]] = [Counter() for _ in range(n_issues)]
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for doc, lab in zip(docs, labels.tolist(), strict=True):
        if lab < 0:
            continue
        for token in doc:
            if is_placeholder(token):
                continue
            key = stem(token)
            per_issue[lab][key] += 1
            surfaces[key][token] += 1
    total: Counter[str] = Counter()
    for counts in per_issue:
        total.update(counts)
    avg_words = sum(total.values()) / max(1, sum(1 for c in per_issue if c))
    idf = {t: float(np.log(1.0 + avg_words / f)) for t, f in total.items()}
    shown = {k: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for k, c in surfaces.items()}
    return per_issue, idf, shown


def _language_counts(docs: Sequence[Sequence[str]], members: np.ndarray) -> tuple[int, int]:
    """Docs written mostly in Chinese and mostly in a Latin script. By majority, so the
    odd "谢谢" in an English ticket does not make its issue bilingual."""
    cjk = latin = 0
    for i in members.tolist():
        n_cjk = sum(1 for t in docs[i] if _is_cjk(t))
        n_latin = sum(1 for t in docs[i] if not is_placeholder(t) and _is_latin(t))
        if n_cjk > n_latin:
            cjk += 1
        elif n_latin > n_cjk:
            latin += 1
    return cjk, latin


def _interleave(first: list[str], second: list[str], top_n: int) -> list[str]:
    out: list[str] = []
    for a, b in zip(first, second, strict=False):
        out.extend((a, b))
    longer = first if len(first) > len(second) else second
    out.extend(longer[min(len(first), len(second)) :])
    return out[:top_n]


def _phrase_label(
    docs: Sequence[Sequence[str]],
    members: np.ndarray,
    languages: Sequence[bool],
    centroid: np.ndarray | None,
    embed: PhraseEmbedder | None,
    subjects: Sequence[str] | None = None,
) -> str:
    """Per language (`languages` lists cjk=True/False, dominant first), the shared
    phrase that best says what the tickets mean, joined by " / "; "" if none.
    Candidates: word runs the tickets share, and subjects several of them share."""
    chosen: list[str] = []
    for cjk in languages:
        found = ph.candidates(docs, members, cjk)
        if subjects is not None:
            found = list(dict.fromkeys([*found, *ph.subject_candidates(subjects, members, cjk)]))
        if found and centroid is not None and embed is not None:
            found = ph.rank_by_meaning(found, centroid, embed, top_n=1)
        if found:
            chosen.append(found[0])
    return " / ".join(chosen)


def _label(docs: Sequence[Sequence[str]], members: np.ndarray, terms: Sequence[str]) -> str:
    """The most common adjacent pair of top terms if enough tickets share it, else the
    top terms joined (Chinese without spaces)."""
    if not terms:
        return ""
    # A single Chinese character ("不", "好") is a fine feature but a poor label.
    terms = [t for t in terms if not (_is_cjk(t) and len(t) == 1)] or list(terms)
    top = set(terms[: min(6, len(terms))])
    pairs: Counter[tuple[str, str]] = Counter()
    for i in members.tolist():
        doc = docs[i]
        seen = {(a, b) for a, b in itertools.pairwise(doc) if a in top and b in top and a != b}
        pairs.update(seen)
    if pairs:
        (a, b), count = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if count >= max(2, BIGRAM_SHARE * len(members)):
            return ph.join_tokens([a, b])
    return ph.join_tokens(list(terms[: 3 if len(terms[0]) <= 2 else 2]))


def _medoid(embeddings: np.ndarray, members: np.ndarray) -> int:
    """Member closest to the issue's mean direction (cheap stand-in for the true medoid)."""
    vecs = np.asarray(embeddings[members], dtype=np.float64)
    center = vecs.sum(axis=0)
    return int(members[int(np.argmax(vecs @ center))])


def describe_issues(
    docs: Sequence[Sequence[str]],
    labels: np.ndarray | Sequence[int],
    embeddings: np.ndarray,
    n_issues: int,
    top_n: int = 10,
    semantic: np.ndarray | None = None,
    phrases: PhraseEmbedder | None = None,
    subjects: Sequence[str] | None = None,
) -> list[IssueDescription]:
    """One description per issue 0..n_issues-1 (docs labelled -1 are ignored).
    `semantic`: the docs' semantic vectors (all-zero rows for none), with `phrases`
    to embed candidate label phrases in the same space; `subjects`: the docs'
    normalised, masked subjects, also label candidates."""
    labels = np.asarray(labels, dtype=np.int64)
    per_issue, idf, shown = _ctfidf(docs, labels, n_issues)
    out: list[IssueDescription] = []
    for issue in range(n_issues):
        members = np.flatnonzero(labels == issue)
        counts = per_issue[issue]
        if not len(members) or not counts:
            medoid = _medoid(embeddings, members) if len(members) else -1
            out.append(IssueDescription((), "", medoid))
            continue
        size = sum(counts.values())
        ranked = sorted(counts, key=lambda t: (-(counts[t] / size) * idf[t], t))
        ranked_terms = [shown[t] for t in ranked]
        cjk_docs, latin_docs = _language_counts(docs, members)
        bilingual = min(cjk_docs, latin_docs) >= BILINGUAL_SHARE * len(members)
        if bilingual:
            cjk = [t for t in ranked_terms if _is_cjk(t)]
            latin = [t for t in ranked_terms if not _is_cjk(t)]
            first, second = (cjk, latin) if _is_cjk(ranked_terms[0]) else (latin, cjk)
            terms = _interleave(first, second, top_n)
        else:
            terms = ranked_terms[:top_n]
        dominant = cjk_docs >= latin_docs
        languages = [dominant, not dominant] if bilingual else [dominant]
        label = _phrase_label(
            docs, members, languages, _centroid(semantic, members), phrases, subjects
        )
        label = label or _label(docs, members, terms)
        out.append(IssueDescription(tuple(terms), label, _medoid(embeddings, members)))
    return out


def _centroid(semantic: np.ndarray | None, members: np.ndarray) -> np.ndarray | None:
    """The members' mean semantic direction (None without vectors)."""
    if semantic is None:
        return None
    rows = semantic[members]
    rows = rows[np.any(rows != 0, axis=1)]
    if not len(rows):
        return None
    return normalize_rows(rows.mean(axis=0, keepdims=True))[0].astype(np.float32)
