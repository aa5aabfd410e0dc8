"""rjieba gives the same tokens as jieba (HMM off): a golden file and 2,000 real reviews.

Regenerate the golden file (from the jieba backend, the reference) after an intended change:
    .venv/bin/python tests/test_text_golden.py
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from functools import cache
from pathlib import Path

import pytest

from ticketminer.text import TextPipeline, Tokenizer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "text"
LINES = FIXTURES / "tickets_mixed.txt"
GOLDEN = FIXTURES / "tickets_mixed.tokens.jsonl"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REVIEWS_ZIP = SHARED_DATA / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
REVIEWS_TO_CHECK = 2_000


@cache
def tokenizer(backend: str, hmm: bool = False) -> Tokenizer:
    return Tokenizer(backend, hmm=hmm)


def golden_record(text: str, tok: Tokenizer) -> dict[str, object]:
    """What the golden file stores per line: raw tokenizer tokens and pipeline tokens."""
    return {"text": text, "tokens": tok.tokens(text), "pipeline": TextPipeline(tok).tokens(text)}


def fixture_lines() -> list[str]:
    return [line for line in LINES.read_text(encoding="utf-8").splitlines() if line.strip()]


def regenerate() -> None:
    tok = Tokenizer("jieba")
    with GOLDEN.open("w", encoding="utf-8") as out:
        for text in fixture_lines():
            out.write(json.dumps(golden_record(text, tok), ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}")


def test_fixture_is_the_size_we_think() -> None:
    lines = fixture_lines()
    assert 55 <= len(lines) <= 70
    golden = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert [json.loads(g)["text"] for g in golden] == lines, "golden file is stale: regenerate"


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
def test_golden_tokens(backend: str) -> None:
    tok = tokenizer(backend)
    mismatches = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        expected = json.loads(line)
        got = golden_record(expected["text"], tok)
        if got != expected:
            mismatches.append((expected, got))
    assert not mismatches, mismatches[:3]


def test_backends_agree_with_hmm_on_the_fixture() -> None:
    # Not golden (HMM output is not part of the contract), but the two must still agree.
    for text in fixture_lines():
        assert tokenizer("rjieba", True).tokens(text) == tokenizer("jieba", True).tokens(text)


def read_reviews(limit: int) -> list[str]:
    """The first `limit` reviews (CSV cat,label,review; the first review starts with a BOM)."""
    if not REVIEWS_ZIP.exists():
        pytest.skip(f"real data not available: {REVIEWS_ZIP} is missing (see ../shared/data)")
    with zipfile.ZipFile(REVIEWS_ZIP) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        with zf.open(name) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            next(reader)  # header
            reviews = []
            for row in reader:
                reviews.append(row[2])
                if len(reviews) == limit:
                    break
    return reviews


@pytest.mark.data
def test_backends_agree_on_real_reviews() -> None:
    reviews = read_reviews(REVIEWS_TO_CHECK)
    assert len(reviews) == REVIEWS_TO_CHECK
    rj, jb = tokenizer("rjieba"), tokenizer("jieba")
    differ = [r for r in reviews if rj.tokens(r) != jb.tokens(r)]
    assert not differ, f"{len(differ)}/{len(reviews)} reviews differ, e.g. {differ[:3]}"


@pytest.mark.data
def test_raw_segmenters_agree_on_real_reviews() -> None:
    """The libraries themselves agree on whole reviews too (HMM off), punctuation included."""
    import jieba
    import rjieba

    tokenizer("jieba")  # loads jieba's dictionary quietly
    reviews = read_reviews(REVIEWS_TO_CHECK)
    differ = [r for r in reviews if rjieba.cut(r, False) != jieba.lcut(r, HMM=False)]
    assert not differ, f"{len(differ)}/{len(reviews)} reviews differ, e.g. {differ[:3]}"


if __name__ == "__main__":
    regenerate()
