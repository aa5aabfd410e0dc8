"""One vector per ticket from its lexical and its semantic vector.

Neither alone is enough (measured, k-means at the true k, BENCHMARKS.md): the
semantic model joins phrasings and languages but blurs domain words, the lexical
LSA knows the tenant's vocabulary but splits every phrasing. Both blocks are unit
vectors, scaled by sqrt(1 - w) and sqrt(w), so the cosine of two fused vectors is
(1 - w) x lexical cosine + w x semantic cosine. A ticket whose semantic vector is
not computed yet keeps only its lexical block, and is compared with the lexical
block of the centroids (`lexical_block`).
"""

from __future__ import annotations

import numpy as np

from ticketminer.issues.graph_ops import normalize_rows


def has_vector(semantic: np.ndarray) -> np.ndarray:
    """Rows that hold a semantic vector (missing ones are all-zero)."""
    return np.any(semantic != 0, axis=1)


def fuse(lexical: np.ndarray, semantic: np.ndarray, weight: float) -> np.ndarray:
    """(n, d_lex + d_sem) float32 unit rows; rows with no semantic vector get a zero
    semantic block and a unit lexical one."""
    lex = normalize_rows(np.asarray(lexical, dtype=np.float32))
    d_lex = lex.shape[1]
    out = np.empty((len(lex), d_lex + semantic.shape[1]), dtype=np.float32)
    out[:, d_lex:] = semantic  # one conversion from float16, in place
    sem = out[:, d_lex:]
    sem_norm = np.linalg.norm(sem, axis=1)
    present = sem_norm > 0
    sem *= (np.sqrt(weight) / np.where(present, sem_norm, 1.0)).astype(np.float32)[:, None]
    scale = np.where(present, np.sqrt(1.0 - weight), 1.0).astype(np.float32)[:, None]
    np.multiply(lex, scale, out=out[:, :d_lex])
    # Both blocks unit: the row is unit already, except where only the semantic one is.
    lone = present & ~np.any(lex != 0, axis=1)
    out[lone] = normalize_rows(out[lone])
    return out


def lexical_block(vectors: np.ndarray, lexical_dim: int) -> np.ndarray:
    """The unit lexical part of fused vectors (or centroids)."""
    return normalize_rows(np.asarray(vectors[:, :lexical_dim], dtype=np.float32)).astype(np.float32)


def semantic_block(vectors: np.ndarray, lexical_dim: int) -> np.ndarray:
    """The unit semantic part of fused vectors (or centroids)."""
    return normalize_rows(np.asarray(vectors[:, lexical_dim:], dtype=np.float32)).astype(np.float32)
