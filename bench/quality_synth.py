"""Issue discovery on synthetic bilingual helpdesk histories with known topics (part of
bench.quality).

Each preset's tickets (`ticketminer.synth`) are clustered with automatic k, with and
without semantic vectors, and scored against the generator's topic of every ticket:

- issues / topics: how many issues per ground-truth topic (issue 17: at most 1.5);
- per-topic share: for each topic, the share of its tickets that sit in the issue
  where it is the majority (the largest such issue when it leads several; 0 when it
  leads none, i.e. it was merged into another topic's issue); the smallest over topics
  is reported (target at least 0.90);
- bilingual share: for each topic with both Chinese and English tickets, in that same
  issue, the smaller of the share of its Chinese tickets and of its English tickets;
  the smallest over those topics (target at least 0.90). A ticket is Chinese when its
  embedding text has more Han characters than Latin words (code-switched Chinese is
  Chinese), English otherwise;
- NMI / ARI against the topics (unclustered tickets are one extra group).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

HAN = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
# A topic counts as bilingual when it has at least this many tickets in each language.
MIN_LANGUAGE_TICKETS = 10


def text_language(text: str) -> str:
    """ "zh" when Han characters outnumber Latin words, else "en"."""
    return "zh" if len(HAN.findall(text)) > len(LATIN_WORD.findall(text)) else "en"


def topic_shares(
    topics: Sequence[str], languages: Sequence[str], labels: np.ndarray
) -> dict[str, Any]:
    """Per topic: its issue (where it is the majority), the share of its tickets there
    and, for bilingual topics, the smaller of its Chinese and English shares there."""
    labels = np.asarray(labels)
    names, t = np.unique(np.asarray(topics), return_inverse=True)
    lang = np.asarray(languages)
    issues = np.unique(labels[labels >= 0])
    counts = np.zeros((len(issues), len(names)), dtype=np.int64)
    if len(issues):
        inside = labels >= 0
        np.add.at(counts, (np.searchsorted(issues, labels[inside]), t[inside]), 1)
    majority = counts.argmax(axis=1) if len(issues) else np.zeros(0, dtype=np.int64)
    out: dict[str, Any] = {}
    for j, name in enumerate(names.tolist()):
        mine = t == j
        led = np.flatnonzero(majority == j)
        best = int(led[np.argmax(counts[led, j])]) if len(led) else -1
        in_best = mine & (labels == issues[best]) if best >= 0 else np.zeros_like(mine)
        row: dict[str, Any] = {
            "tickets": int(mine.sum()),
            "issue": int(issues[best]) if best >= 0 else None,
            "issue_size": int(counts[best].sum()) if best >= 0 else 0,
            "share": float(in_best.sum() / mine.sum()),
            "issues_led": len(led),
        }
        zh, en = mine & (lang == "zh"), mine & (lang == "en")
        row["zh_tickets"], row["en_tickets"] = int(zh.sum()), int(en.sum())
        if min(zh.sum(), en.sum()) >= MIN_LANGUAGE_TICKETS:
            row["zh_share"] = float((in_best & zh).sum() / zh.sum())
            row["en_share"] = float((in_best & en).sum() / en.sum())
            row["bilingual_share"] = min(row["zh_share"], row["en_share"])
        out[name] = row
    return out


def _worst(per_topic: dict[str, Any], key: str) -> tuple[float | None, str | None]:
    rows = [(v[key], k) for k, v in per_topic.items() if key in v]
    if not rows:
        return None, None
    value, name = min(rows)
    return value, name


def measure_preset(name: str, embedder: Any, seed: int = 0, **params: Any) -> dict[str, Any]:
    """Generate preset `name`, embed (cached) and cluster it both ways; the scores."""
    from bench.quality import scores
    from bench.vector_cache import cached_vectors
    from ticketminer.issues.clustering import IssueClusterer
    from ticketminer.issues.embedding_text import ticket_embedding_text
    from ticketminer.issues.ticket_text import ticket_tokens
    from ticketminer.synth import generate, preset

    started = time.perf_counter()
    result = generate(preset(name, **params))
    tickets = result.tickets
    generate_s = time.perf_counter() - started
    topics = [result.topic_of[t.external_id] for t in tickets]
    started = time.perf_counter()
    docs = [ticket_tokens(t) for t in tickets]
    texts = [ticket_embedding_text(t) for t in tickets]
    tokens_s = time.perf_counter() - started
    languages = [text_language(x) for x in texts]
    vectors, embedding = cached_vectors(embedder, texts, f"synth-{name}")
    n_topics = len(set(topics))
    entry: dict[str, Any] = {
        "tickets": len(tickets),
        "topics": n_topics,
        "scenario": {"seed": result.frame.scenario.seed, "weeks": result.frame.scenario.weeks,
                     "tickets_per_day": result.frame.scenario.tickets_per_day},
        "zh_share": round(float(np.mean(np.asarray(languages) == "zh")), 3),
        "generate_s": round(generate_s, 2),
        "tokens_and_text_s": round(tokens_s, 2),
        "embedding": embedding,
        "random_state": seed,
    }  # fmt: skip
    for method, semantic in (("semantic", vectors), ("lexical", None)):
        started = time.perf_counter()
        model = IssueClusterer(random_state=seed).fit(docs, semantic=semantic)
        fit_s = time.perf_counter() - started
        labels = model.labels_
        per_topic = topic_shares(topics, languages, labels)
        min_share, worst = _worst(per_topic, "share")
        min_bi, worst_bi = _worst(per_topic, "bilingual_share")
        m = scores(topics, labels)
        entry[method] = {
            "issues": int(model.n_issues_),
            "sub_issues": int(model.n_sub_issues_),
            "issues_per_topic": round(model.n_issues_ / n_topics, 3),
            "min_topic_share": round(min_share, 4) if min_share is not None else None,
            "worst_topic": worst,
            "min_bilingual_share": round(min_bi, 4) if min_bi is not None else None,
            "worst_bilingual_topic": worst_bi,
            "bilingual_topics": sum("bilingual_share" in v for v in per_topic.values()),
            "nmi": round(m["nmi"], 2),
            "ari": round(m["ari"], 2),
            "acc": round(float(m["acc"]), 2),
            "unclustered_pct": round(100 * float(np.mean(labels < 0)), 2),
            "fit_s": round(fit_s, 2),
            "per_topic": {
                k: {kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                for k, v in per_topic.items()
            },
        }
        print(
            f"synth {name} {method}: {model.n_issues_} issues for {n_topics} topics, "
            f"min topic share {min_share:.3f} ({worst}), min bilingual "
            f"{min_bi if min_bi is None else round(min_bi, 3)} ({worst_bi}), "
            f"NMI {m['nmi']:.1f} ARI {m['ari']:.1f}, fit {fit_s:.1f} s",
            flush=True,
        )
    return entry
