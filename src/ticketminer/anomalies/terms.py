"""Words over-represented in an anomaly's tickets against its baseline tickets.

Document frequency, not term counts: one angry customer repeating a word must not
make it the story. Smoothed lift with minimum support keeps rare words out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from ticketminer.domain.anomalies import TermLift

MIN_DOCS = 3
MIN_SHARE = 0.05
MIN_LIFT = 1.5


def _doc_freq(docs: Iterable[str]) -> Counter[str]:
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc.split()))
    return df


def _is_word(term: str) -> bool:
    """Placeholders (<number>) and single CJK characters say nothing on their own."""
    if term.startswith("<"):
        return False
    return not (len(term) == 1 and not term.isascii())


def term_lifts(
    anomaly_docs: Sequence[str], baseline_docs: Sequence[str], top: int = 10
) -> list[TermLift]:
    """Terms of `anomaly_docs` (space-joined tokens) ranked by smoothed lift x support."""
    n_a, n_b = len(anomaly_docs), len(baseline_docs)
    if n_a == 0:
        return []
    df_a, df_b = _doc_freq(anomaly_docs), _doc_freq(baseline_docs)
    need = max(MIN_DOCS, MIN_SHARE * n_a)
    scored = []
    for term, a in df_a.items():
        if a < need or not _is_word(term):
            continue
        b = df_b.get(term, 0)
        lift = ((a + 0.5) / (n_a + 1)) / ((b + 0.5) / (n_b + 1))
        if lift >= MIN_LIFT:
            scored.append((lift * (a / n_a), term, a, b, lift))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [TermLift(term, a, b, round(lift, 3)) for _, term, a, b, lift in scored[:top]]
