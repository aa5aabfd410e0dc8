"""Readers for the labelled real text in ../shared/data (never copied into the repo)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BANKING77 = DATA / "banking77"
SHOPPING_ZIP = DATA / "online_shopping_10_cats" / "online_shopping_10_cats.zip"


def banking77(split: str = "test") -> tuple[list[str], list[str]]:
    """(texts, intents) of Banking77 `split` ("test" or "train")."""
    with (BANKING77 / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def online_shopping(label: str | None = "0") -> tuple[list[str], list[str]]:
    """(reviews, categories); label "0" keeps the negative reviews (our stand-in for
    complaint tickets), None keeps all. Empty reviews are dropped."""
    with zipfile.ZipFile(SHOPPING_ZIP) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        text = zf.read(name).decode("utf-8-sig")  # the first header carries a BOM
    texts, cats = [], []
    for row in csv.DictReader(io.StringIO(text)):
        review = (row.get("review") or "").strip()
        if review and (label is None or row["label"] == label):
            texts.append(review)
            cats.append(row["cat"])
    return texts, cats


def available() -> bool:
    return (BANKING77 / "test.csv").exists() and SHOPPING_ZIP.exists()


TWEETEVAL_SENTIMENT = DATA / "tweeteval_sentiment"


def tweeteval_sentiment(split: str = "test") -> tuple[list[str], list[int]]:
    """(tweets, labels 0 negative / 1 neutral / 2 positive) of TweetEval sentiment `split`
    ("val" or "test"; there is no train split here)."""
    folder = TWEETEVAL_SENTIMENT
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise ValueError(f"tweeteval {split}: {len(texts)} texts but {len(labels)} labels")
    return [t.strip() for t in texts], [int(x) for x in labels]
