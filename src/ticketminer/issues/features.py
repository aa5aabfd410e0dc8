"""Token lists -> dense, L2-normalised document vectors (word + character n-gram LSA).

Why this shape: tickets are short, so exact word overlap is sparse. Stemmed words carry
the meaning, character n-grams (`char_wb` 2-4) tie together morphology, typos and
Chinese compounds that share characters, and a truncated SVD (LSA) of the sublinear
TF-IDF matrix turns co-occurrence into similarity.

Every feature here belongs to one token, so a document's TF-IDF row is a weighted sum
of per-token rows, and its LSA vector a weighted sum of per-token *embeddings*
(`token_vectors`, V x d). Embedding a document is then one sparse-dense product (or,
for one document, a handful of row additions): fast enough to assign millions of
tickets, and with no sklearn on the per-ticket path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp
import Stemmer
from sklearn.decomposition import TruncatedSVD

Docs = Sequence[Sequence[str]]

_LATIN = re.compile(r"^[a-z][a-z0-9'\-]*$")
_stemmer = Stemmer.Stemmer("english")

# Tokens longer than this are ids or garbage; they only bloat the persisted vocabulary.
MAX_TOKEN_CHARS = 40


def is_placeholder(token: str) -> bool:
    """PII placeholders such as `<email>`: kept as features, never shown in labels."""
    return len(token) > 2 and token[0] == "<" and token[-1] == ">"


def stem(token: str) -> str:
    """English stem for Latin words; other scripts (Chinese) and placeholders as they are."""
    return _stemmer.stemWord(token) if _LATIN.match(token) else token


def char_ngrams(token: str, lo: int = 2, hi: int = 4) -> list[str]:
    """sklearn's `char_wb` n-grams of one word (padded with spaces)."""
    padded = f" {token} "
    out = []
    for n in range(lo, hi + 1):
        if n > len(padded):
            break
        out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


def build_vocabulary(docs: Iterable[Sequence[str]], min_count: int, max_size: int) -> list[str]:
    """The `max_size` most frequent tokens seen at least `min_count` times, in a fixed order
    (count desc, then token) so the same docs always give the same vocabulary."""
    counts = Counter(chain.from_iterable(docs))
    kept = [(c, t) for t, c in counts.items() if c >= min_count and len(t) <= MAX_TOKEN_CHARS]
    kept.sort(key=lambda ct: (-ct[0], ct[1]))
    return [t for _, t in kept[:max_size]]


def count_matrix(docs: Docs, index: dict[str, int], n_tokens: int) -> sp.csr_matrix:
    """Sublinear (1 + log tf) token counts, docs x vocabulary; unknown tokens are dropped.

    Token lookup runs in C (`map(dict.get, ...)`), so this costs ~50 ns per token."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    total = int(lengths.sum())
    ids = np.fromiter(
        map(index.get, chain.from_iterable(docs), repeat(-1)), dtype=np.int64, count=total
    )
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    known = ids >= 0
    mat = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float32), (rows[known], ids[known])),
        shape=(len(docs), n_tokens),
    )
    mat.sum_duplicates()
    np.log(mat.data, out=mat.data)
    mat.data += 1.0
    return mat


def _token_features(vocab: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Binary map token -> [stem feature | char n-gram features], and a mask of the
    char columns (their block gets its own weight)."""
    feature_index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    is_char: list[bool] = []

    def col(name: str, char: bool) -> int:
        j = feature_index.get(name)
        if j is None:
            j = feature_index[name] = len(feature_index)
            is_char.append(char)
        return j

    for i, token in enumerate(vocab):
        rows.append(i)
        cols.append(col("w:" + stem(token), False))
        if is_placeholder(token):
            continue
        for gram in dict.fromkeys(char_ngrams(token)):  # ordered: set order varies by run
            rows.append(i)
            cols.append(col("c:" + gram, True))
    mat = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(len(vocab), len(feature_index)),
    )
    return mat, np.asarray(is_char, dtype=bool)


@dataclass(frozen=True)
class EmbeddingModel:
    """What `embed` needs: the vocabulary and one LSA vector per token."""

    vocab: tuple[str, ...]
    token_vectors: np.ndarray  # float32, V x d (rounded through float16 for compact state)

    @property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab)}

    @property
    def dim(self) -> int:
        return int(self.token_vectors.shape[1])


def fit_embedding(
    sample: Docs,
    vocab: Sequence[str],
    n_components: int,
    random_state: int,
    char_weight: float = 1.0,
    svd_docs: int = 20_000,
) -> EmbeddingModel:
    """Fit IDF and the LSA projection on `sample`, return per-token vectors.

    The char block is rescaled globally so that, on average, it weighs `char_weight`
    times the word block (a per-document split normalisation would not be linear)."""
    index = {t: i for i, t in enumerate(vocab)}
    token_feats, is_char = _token_features(vocab)
    counts = count_matrix(sample, index, len(vocab))
    raw = (counts @ token_feats).tocsr()
    n_docs = raw.shape[0]
    df = np.bincount(raw.indices, minlength=raw.shape[1])
    # char n-grams seen in a single document only add noise and columns
    keep = (df >= 2) | ~is_char
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    idf[~keep] = 0.0
    weighted = raw @ sp.diags(idf.astype(np.float32))
    weighted = weighted.tocsr()
    sq = weighted.multiply(weighted)
    word_norm = np.sqrt(np.asarray(sq[:, ~is_char].sum(axis=1)).ravel())
    char_norm = np.sqrt(np.asarray(sq[:, is_char].sum(axis=1)).ravel())
    scale = np.ones(raw.shape[1], dtype=np.float64)
    if char_norm.mean() > 0 and word_norm.mean() > 0:
        scale[is_char] = char_weight * word_norm.mean() / char_norm.mean()
    col_weight = (idf * scale).astype(np.float32)
    x = (raw @ sp.diags(col_weight)).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x = sp.diags((1.0 / norms).astype(np.float32)) @ x
    used = np.flatnonzero(col_weight > 0)
    x = x[:, used]
    dims = max(1, min(n_components, x.shape[0] - 1, x.shape[1] - 1))
    svd = TruncatedSVD(dims, algorithm="randomized", n_iter=4, random_state=random_state)
    # IDF needs the whole sample; the subspace is found as well from fewer rows, and the
    # sparse products of the randomized SVD are the costliest step of a large fit.
    svd.fit(x[:svd_docs])
    per_token = (token_feats[:, used] @ sp.diags(col_weight[used])).tocsr()
    vectors = np.asarray(per_token @ svd.components_.T.astype(np.float32), dtype=np.float32)
    # Persisted as float16; use the rounded values from the start so a state round trip
    # reproduces every output exactly.
    vectors = vectors.astype(np.float16).astype(np.float32)
    return EmbeddingModel(tuple(vocab), vectors)


def embed_counts(counts: sp.csr_matrix, token_vectors: np.ndarray) -> np.ndarray:
    """Rows of `counts @ token_vectors`, L2-normalised; documents with no known token
    stay all-zero (callers treat them as unclusterable)."""
    out = np.asarray(counts @ token_vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1)
    nz = norms > 0
    out[nz] /= norms[nz, None]
    return out


def embed_one(
    tokens: Sequence[str], index: dict[str, int], token_vectors: np.ndarray
) -> np.ndarray:
    """Fast path for a single document: no sparse matrix, no sklearn (~10 us)."""
    tf: dict[int, int] = {}
    for t in tokens:
        i = index.get(t)
        if i is not None:
            tf[i] = tf.get(i, 0) + 1
    vec = np.zeros(token_vectors.shape[1], dtype=np.float32)
    if not tf:
        return vec
    ids = np.fromiter(tf.keys(), dtype=np.int64, count=len(tf))
    weights = 1.0 + np.log(np.fromiter(tf.values(), dtype=np.float32, count=len(tf)))
    vec = weights @ token_vectors[ids]
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec
