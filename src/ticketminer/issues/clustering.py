"""Group tickets into recurring issues, and each issue into its sub-issues.

The method (why each step, in order):

0. A ticket is its tokens and, when the embedding queue has computed it, a semantic
   vector (a multilingual sentence encoder, see `issues.embedders`). With vectors for
   most of the tickets the clustering runs on the fused vector (see `fusion`);
   without, on the lexical one alone, as before vectors existed.
1. Vocabulary over all documents (a C-speed count), so assignment later knows every
   frequent token; then word + character n-gram TF-IDF and LSA fitted on a
   deterministic sample of at most `max_fit_docs` (see `features`).
2. On at most `graph_docs` of the sample: a cosine kNN graph and a few diffusion steps
   (each vector pulled towards its neighbours). Short tickets about one problem often
   share no word, but their neighbourhoods overlap; this is the cheap half of spectral
   clustering.
3. The number of issues, when not given, is the k with the best cosine silhouette of
   k-means on the smoothed vectors (geometric grid, then a local search); where
   near-duplicates dominate (forms), each group of them counts once. When that
   is a handful of clusters (a split by language or product line), each one is split
   again where its own structure is clearer (`graph_ops.split_coarse`).
4. k-means (k-means++, several inits) on the smoothed vectors, then spherical k-means
   on the whole sample from those centroids; clusters smaller than `min_cluster_size`
   are dissolved into their nearest neighbour (automatic k only: an explicit
   `n_issues` is honoured).
5. Every document goes to its nearest centroid unless its cosine is below
   `threshold_` (at most `max_unclustered` of the sample); those stay -1. A document
   with no semantic vector yet is compared on the lexical block alone.
6. The clusters are sub-issues; with semantic vectors and automatic k they are
   joined into issues by `granularity.merge_sub_issues` (phrasings and languages of
   one problem). With an explicit `n_issues`, or without vectors, each cluster is
   its own issue.

Issues and sub-issues are numbered by size (descending), ties by their first member,
so the same documents and seed always give the same labels in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ticketminer.domain.cancellation import raise_if_cancelled
from ticketminer.issues import features as ft
from ticketminer.issues import fusion
from ticketminer.issues import granularity as gr
from ticketminer.issues import graph_ops as go

Docs = Sequence[Sequence[str]]

_STATE_VERSION = 2
# Tickets this similar (cosine of their vectors) say the same thing. When they make up
# much of a history (under DISTINCT_SHARE of the sample is distinct: form tickets that
# are one stock phrase each), a group of them counts once when k is chosen, so a
# phrase is not a cluster of its own. Free text is far above it (Banking77 94 %
# distinct, templated bilingual histories about 70 %, a forms history 49 %).
NEAR_DUPLICATE = 0.95
DISTINCT_SHARE = 0.6
# Seed labels of docs without a group: new since the previous fit, or left unclustered
# by it (those never start new clusters, so a re-fit of unchanged data adds none).
NEW_DOC = -1
LEFT_OUT = -2


class IssueClusterer:
    """Clusters token lists into issues; scikit-learn conventions (params stored by the
    constructor, fitted attributes end in `_`, `fit` returns self, fixed seed)."""

    def __init__(
        self,
        n_issues: int | None = None,
        *,
        random_state: int = 0,
        max_fit_docs: int = 30_000,
        graph_docs: int = 10_000,
        n_components: int = 100,
        char_weight: float = 1.0,
        n_neighbors: int = 10,
        diffusion_steps: int = 4,
        max_issues: int = 500,
        min_cluster_size: int = 5,
        min_similarity: float = 0.3,
        max_unclustered: float = 0.05,
        max_vocabulary: int = 50_000,
        min_token_count: int = 2,
        n_init: int = 3,
        refine_iterations: int = 10,
        chunk_size: int = 50_000,
        semantic_weight: float = 0.7,
        min_semantic_coverage: float = 0.5,
        merge_threshold: float = 0.95,
        cross_language_bonus: float = 0.2,
    ) -> None:
        self.n_issues = n_issues
        self.random_state = random_state
        self.max_fit_docs = max_fit_docs
        self.graph_docs = graph_docs
        self.n_components = n_components
        self.char_weight = char_weight
        self.n_neighbors = n_neighbors
        self.diffusion_steps = diffusion_steps
        self.max_issues = max_issues
        self.min_cluster_size = min_cluster_size
        self.min_similarity = min_similarity
        self.max_unclustered = max_unclustered
        self.max_vocabulary = max_vocabulary
        self.min_token_count = min_token_count
        self.n_init = n_init
        self.refine_iterations = refine_iterations
        self.chunk_size = chunk_size
        self.semantic_weight = semantic_weight
        self.min_semantic_coverage = min_semantic_coverage
        self.merge_threshold = merge_threshold
        self.cross_language_bonus = cross_language_bonus

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        docs: Docs,
        seed_labels: Sequence[int] | np.ndarray | None = None,
        semantic: np.ndarray | None = None,
    ) -> IssueClusterer:
        """Find the issues of `docs`; sets labels_, sub_labels_, n_issues_, parent_,
        centroids_, threshold_.

        `seed_labels` (one per doc: a group, NEW_DOC for a doc the previous fit did not
        see, or LEFT_OUT for one it left unclustered) warm-starts the fit from a previous
        partition into sub-issues: its groups become the initial clusters, and only new
        documents far from all of them (the candidate pool) are clustered afresh, so
        sub-issues that did not change keep their members and new ones appear beside
        them. `semantic`: (n, d) semantic vectors, all-zero rows where a doc has none
        yet (float16 is fine: rows are converted a chunk at a time)."""
        n = len(docs)
        rng = np.random.default_rng(self.random_state)
        # A random order, not just a random subset: the graph step takes a prefix.
        sample_idx = rng.permutation(n)[: self.max_fit_docs]
        sample = [docs[i] for i in sample_idx]

        vocab = ft.build_vocabulary(docs, self.min_token_count, self.max_vocabulary)
        if not vocab:  # nothing repeats: every doc is its own story
            vocab = ft.build_vocabulary(docs, 1, self.max_vocabulary)
        self.semantic_dim_ = 0
        if not vocab:  # no tokens at all: a model with no issues, every doc unclustered
            self._set_model(ft.EmbeddingModel((), np.zeros((0, 1), dtype=np.float32)))
            self.threshold_ = self.lex_threshold_ = float(self.min_similarity)
            self.centroids_ = np.zeros((0, 1), dtype=np.float32)
            self.parent_ = np.zeros(0, dtype=np.int64)
            self._assign_all(docs, None)
            return self
        raise_if_cancelled()  # a fit for a caller who gave up stops between steps
        self._set_model(
            ft.fit_embedding(sample, vocab, self.n_components, self.random_state, self.char_weight)
        )
        raise_if_cancelled()
        sem_sample = None
        if semantic is not None and len(semantic) == n and n:
            sem_sample = np.asarray(semantic[sample_idx], dtype=np.float32)
            if np.mean(fusion.has_vector(sem_sample)) >= self.min_semantic_coverage:
                self.semantic_dim_ = int(sem_sample.shape[1])
            else:
                sem_sample = None
        z_sample = self._vectors(sample, sem_sample)
        valid = np.flatnonzero(np.linalg.norm(z_sample, axis=1) > 0)
        if sem_sample is not None:  # fit on the docs that have both parts
            valid = valid[fusion.has_vector(sem_sample[valid])]
        if seed_labels is not None and self.n_issues is None:
            seeds = np.asarray(seed_labels, dtype=np.int64)[sample_idx][valid]
            centroids = self._cluster_from_seeds(z_sample[valid], seeds, rng)
        else:
            centroids = self._cluster(z_sample[valid], rng)

        zv = z_sample[valid]
        best = np.max(zv @ centroids.T, axis=1) if len(centroids) else np.zeros(0)
        self.threshold_ = self._floor(best)
        self.centroids_ = centroids.astype(np.float32)
        self.lex_threshold_ = self.threshold_
        if self.semantic_dim_ and len(centroids):
            lex = fusion.lexical_block(zv, self.lex_dim_)
            self.lex_threshold_ = self._floor(np.max(lex @ self._lexical_centroids().T, axis=1))
        self.parent_ = self._issues_of(zv, [sample[i] for i in valid], centroids)
        raise_if_cancelled()
        self._assign_all(docs, semantic)
        return self

    def _floor(self, best: np.ndarray) -> float:
        """The similarity below which a doc stays unclustered."""
        floor = float(np.quantile(best, self.max_unclustered)) if len(best) else 0.0
        return float(min(self.min_similarity, floor))

    def _issues_of(self, z: np.ndarray, docs: Docs, centroids: np.ndarray) -> np.ndarray:
        """The issue of each cluster: clusters merged by `granularity` when there are
        semantic vectors and k was chosen automatically; otherwise one issue each."""
        k = len(centroids)
        joins = np.isfinite(self.merge_threshold)  # infinite: every sub-issue stands alone
        if not self.semantic_dim_ or self.n_issues is not None or k < 2 or not joins:
            return np.arange(k, dtype=np.int64)
        sub = np.argmax(z @ centroids.T, axis=1)
        semantic = fusion.semantic_block(z, self.lex_dim_)
        sem_centroids = fusion.semantic_block(centroids, self.lex_dim_)
        cohesion = gr.cohesion_of(semantic, sub, sem_centroids)
        languages = gr.sub_issue_languages(sub, gr.script_of(list(docs)), k)
        return gr.merge_sub_issues(
            sem_centroids, cohesion, languages, self.merge_threshold, self.cross_language_bonus
        )

    def _cluster(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Centroids (k x d, unit rows) of the clusters in the sample vectors `z`."""
        if len(z) == 0:
            return np.zeros((0, self.dim_), dtype=np.float32)
        if len(z) < 3:
            return go.normalize_rows(z.mean(axis=0, keepdims=True)).astype(np.float32)
        seed = int(rng.integers(2**31 - 1))
        z_graph = z[: self.graph_docs]  # z is in random order already (sample permutation)
        # On a few hundred tickets, 10 neighbours x several diffusion steps would blur
        # groups of ~20 together: keep each neighbourhood a small share of the corpus.
        n_neighbors = min(self.n_neighbors, max(3, len(z_graph) // 40))
        graph = go.knn_graph(z_graph, n_neighbors)
        smooth = go.diffuse(z_graph, graph, self.diffusion_steps)
        raise_if_cancelled()
        if self.n_issues is not None:
            k = max(1, min(int(self.n_issues), len(z_graph)))
        else:
            # k from distinct texts: copies of one text (a form's stock phrase) would
            # make a tight cluster per phrase look like structure.
            distinct = go.distinct_points(graph, NEAR_DUPLICATE)
            if len(distinct) > DISTINCT_SHARE * len(z_graph):
                distinct = np.arange(len(z_graph))  # free text: every ticket counts
            k_max = min(self.max_issues, len(distinct) // (2 * self.min_cluster_size))
            k = go.choose_k(smooth[distinct], max(2, k_max), seed)
        labels = go.kmeans(smooth, k, seed, n_init=self.n_init)
        if self.n_issues is None and k < go.MIN_STOP_K:
            labels = go.split_coarse(
                smooth, labels, seed, self.min_cluster_size, self.max_issues, self.n_init
            )
            k = int(labels.max()) + 1
        raise_if_cancelled()
        sums, sizes = go.cluster_sums(z_graph, labels, k)
        centroids = go.normalize_rows(sums[sizes > 0]).astype(np.float32)
        labels, centroids = go.spherical_refine(z, centroids, self.refine_iterations)
        if self.n_issues is None:
            centroids = self._dissolve_small(z, labels, centroids)
        return centroids

    def _cluster_from_seeds(
        self, z: np.ndarray, seeds: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Centroids that start from the seed groups. Unseeded documents (new since the
        last fit) that are farther from every group than the seeded documents' 5th
        percentile form the candidate pool; it is clustered on its own, and its clusters
        are added. Seeded documents never seed new clusters, so re-clustering unchanged
        data reproduces its partition."""
        groups = [
            g for g in np.unique(seeds[seeds >= 0]) if np.sum(seeds == g) >= self.min_cluster_size
        ]
        if not groups:
            return self._cluster(z, rng)
        index = np.full(int(seeds.max()) + 1, -1, dtype=np.int64)
        index[np.asarray(groups)] = np.arange(len(groups))
        member = np.flatnonzero((seeds >= 0) & (index[np.maximum(seeds, 0)] >= 0))
        sums, _ = go.cluster_sums(z[member], index[seeds[member]], len(groups))
        centroids = go.normalize_rows(sums).astype(np.float32)
        sims = z @ centroids.T
        own = sims[member, index[seeds[member]]]
        floor = float(np.quantile(own, 0.05))
        pool = (seeds == NEW_DOC) & (sims.max(axis=1) < floor)
        if int(pool.sum()) >= 2 * self.min_cluster_size:
            fresh = self._cluster(z[pool], rng)
            fresh = go.merge_close(fresh, float(np.median(own)))
            centroids = np.vstack([centroids, fresh]).astype(np.float32)
        labels, centroids = go.spherical_refine(z, centroids, self.refine_iterations)
        return self._dissolve_small(z, labels, centroids)

    def _dissolve_small(
        self, z: np.ndarray, labels: np.ndarray, centroids: np.ndarray
    ) -> np.ndarray:
        """Drop clusters under min_cluster_size; their members move to the nearest kept one."""
        for _ in range(5):
            sizes = np.bincount(labels, minlength=len(centroids))
            keep = sizes >= min(self.min_cluster_size, int(sizes.max()))
            if keep.all():
                break
            labels, centroids = go.spherical_refine(z, centroids[keep], 2)
        return centroids

    def _assign_all(self, docs: Docs, semantic: np.ndarray | None) -> None:
        """sub_labels_ and labels_ for every doc in chunks, sub-issues and issues
        renumbered by size; sums_/counts_ of the sub-issues."""
        k = len(self.centroids_)
        subs = np.full(len(docs), -1, dtype=np.int64)
        confidence = np.zeros(len(docs), dtype=np.float32)
        mass = np.zeros(k, dtype=np.float64)
        for start in range(0, len(docs), self.chunk_size):
            raise_if_cancelled()
            stop = min(start + self.chunk_size, len(docs))
            part, best = self._predict_chunk(docs[start:stop], _rows(semantic, start, stop))
            subs[start:stop] = part
            confidence[start:stop] = np.clip(best, 0.0, 1.0)
            ok = part >= 0
            mass += np.bincount(part[ok], weights=best[ok], minlength=k)
        sizes = np.bincount(subs[subs >= 0], minlength=k)
        first = np.full(k, len(docs), dtype=np.int64)
        members = np.flatnonzero(subs >= 0)
        np.minimum.at(first, subs[members], members)
        order = sorted(range(k), key=lambda c: (-int(sizes[c]), int(first[c])))
        if self.n_issues is None:  # an explicit k is honoured even with empty issues
            order = [c for c in order if sizes[c] > 0]
        remap = np.full(k + 1, -1, dtype=np.int64)
        remap[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
        self.sub_labels_ = remap[subs]  # label -1 indexes the trailing -1
        # Cosine of each doc to its sub-issue (to the nearest one if unclustered).
        self.confidence_ = confidence
        self.centroids_ = self.centroids_[order]
        self._lex_centroids = None  # rows reordered: derive the lexical block again
        self.counts_ = sizes[order].astype(np.int64)
        # Running sums whose direction is the centroid and whose length is what the
        # members contribute along it, so partial_fit weighs new tickets fairly.
        self.sums_ = self.centroids_.astype(np.float64) * mass[order][:, None]
        self.n_sub_issues_ = len(order)
        self._number_issues(self.parent_[np.asarray(order, dtype=np.int64)])

    def _number_issues(self, parent: np.ndarray) -> None:
        """parent_ (issue of each sub-issue) with issues numbered by size, and labels_."""
        ok = self.sub_labels_ >= 0
        issue_sizes = (
            np.bincount(parent[self.sub_labels_[ok]], minlength=int(parent.max()) + 1)
            if len(parent)
            else np.zeros(0, dtype=np.int64)
        )
        first_sub = {}
        for sub, issue in enumerate(parent.tolist()):
            first_sub.setdefault(issue, sub)
        order = sorted(first_sub, key=lambda i: (-int(issue_sizes[i]), first_sub[i]))
        number = np.full(int(parent.max()) + 1 if len(parent) else 0, -1, dtype=np.int64)
        number[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
        self.parent_ = number[parent] if len(parent) else parent.astype(np.int64)
        labels = np.full(len(self.sub_labels_), -1, dtype=np.int64)
        labels[ok] = self.parent_[self.sub_labels_[ok]]
        self.labels_ = labels
        self.n_issues_ = len(order)

    # ------------------------------------------------------------------ inference

    def _set_model(self, model: ft.EmbeddingModel) -> None:
        self.vocabulary_ = model.vocab
        self.token_vectors_ = model.token_vectors
        self._index = model.index
        self.lex_dim_ = model.dim
        self._lex_centroids: np.ndarray | None = None

    @property
    def dim_(self) -> int:
        """Dimension of the clustering space (lexical, plus semantic when fused)."""
        return self.lex_dim_ + self.semantic_dim_

    def embed(self, docs: Docs) -> np.ndarray:
        """(n_docs, d_lex) lexical unit vectors; all-zero for docs with no known token."""
        if len(docs) == 1:
            return ft.embed_one(docs[0], self._index, self.token_vectors_)[None, :]
        out = np.zeros((len(docs), self.lex_dim_), dtype=np.float32)
        for start in range(0, len(docs), self.chunk_size):
            part = docs[start : start + self.chunk_size]
            counts = ft.count_matrix(part, self._index, len(self.vocabulary_))
            out[start : start + len(part)] = ft.embed_counts(counts, self.token_vectors_)
        return out

    def _vectors(self, docs: Docs, semantic: np.ndarray | None) -> np.ndarray:
        """Docs in the clustering space: fused when the model is, else lexical."""
        lexical = self.embed(docs)
        if not self.semantic_dim_:
            return lexical
        if semantic is None:
            semantic = np.zeros((len(docs), self.semantic_dim_), dtype=np.float32)
        return fusion.fuse(lexical, semantic, self.semantic_weight)

    def _lexical_centroids(self) -> np.ndarray:
        if self._lex_centroids is None or len(self._lex_centroids) != len(self.centroids_):
            self._lex_centroids = fusion.lexical_block(self.centroids_, self.lex_dim_)
        return self._lex_centroids

    def _predict_chunk(
        self, docs: Docs, semantic: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest sub-issue and its cosine; -1 below the threshold (or for empty docs).
        Docs with a semantic vector are compared in the fused space, the others on the
        lexical block, each against its own threshold."""
        n = len(docs)
        if len(self.centroids_) == 0:
            return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float32)
        z = self._vectors(docs, semantic)
        fused = np.zeros(n, dtype=bool)
        if self.semantic_dim_ and semantic is not None:
            fused = fusion.has_vector(np.asarray(semantic))
        labels = np.full(n, -1, dtype=np.int64)
        best = np.zeros(n, dtype=np.float32)
        for rows, vectors, centroids, threshold in (
            (fused, z, self.centroids_, self.threshold_),
            (~fused, self._lexical_part(z), self._lexical_or_all(), self.lex_threshold_),
        ):
            if not rows.any():
                continue
            sims = vectors[rows] @ centroids.T
            nearest = np.argmax(sims, axis=1)
            top = sims[np.arange(len(nearest)), nearest]
            empty = ~np.any(vectors[rows] != 0, axis=1)
            labels[rows] = np.where((top < threshold) | empty, -1, nearest)
            best[rows] = np.where(empty, 0.0, top)
        return labels, best

    def _lexical_part(self, z: np.ndarray) -> np.ndarray:
        return fusion.lexical_block(z, self.lex_dim_) if self.semantic_dim_ else z

    def _lexical_or_all(self) -> np.ndarray:
        return self._lexical_centroids() if self.semantic_dim_ else self.centroids_

    def transform(self, docs: Docs, semantic: np.ndarray | None = None) -> np.ndarray:
        """(n_docs, n_sub_issues_) cosine similarity to each sub-issue centroid."""
        out = np.zeros((len(docs), len(self.centroids_)), dtype=np.float64)
        for start in range(0, len(docs), self.chunk_size):
            stop = min(start + self.chunk_size, len(docs))
            z = self._vectors(docs[start:stop], _rows(semantic, start, stop))
            out[start:stop] = z @ self.centroids_.T
        return out

    def predict_sub_issues(
        self, docs: Docs, semantic: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(sub-issue labels, confidence in [0, 1]); -1 when a doc is far from all."""
        subs = np.full(len(docs), -1, dtype=np.int64)
        confidence = np.zeros(len(docs), dtype=np.float64)
        for start in range(0, len(docs), self.chunk_size):
            stop = min(start + self.chunk_size, len(docs))
            part, best = self._predict_chunk(docs[start:stop], _rows(semantic, start, stop))
            subs[start:stop] = part
            confidence[start:stop] = np.clip(best, 0.0, 1.0)
        return subs, confidence

    def predict(
        self, docs: Docs, semantic: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(issue labels, confidence in [0, 1]); -1 when a doc is far from every issue."""
        subs, confidence = self.predict_sub_issues(docs, semantic)
        if not len(self.parent_):
            return subs, confidence  # no issues: every doc is -1
        return np.where(subs >= 0, self.parent_[np.maximum(subs, 0)], -1), confidence

    def partial_fit(
        self,
        docs: Docs,
        labels: Sequence[int] | np.ndarray | None = None,
        semantic: np.ndarray | None = None,
    ) -> IssueClusterer:
        """Fold newly assigned docs into their sub-issues' centroids (running mean); the
        vocabulary and the clusters do not change. `labels` (sub-issues) default:
        predict. A fused model folds in only docs that come with a semantic vector."""
        z = self._vectors(docs, semantic)
        lab = (
            self.predict_sub_issues(docs, semantic)[0]
            if labels is None
            else np.asarray(labels, dtype=np.int64)
        )
        ok = (lab >= 0) & (lab < len(self.centroids_)) & np.any(z != 0, axis=1)
        if self.semantic_dim_:
            ok &= semantic is not None and fusion.has_vector(np.asarray(semantic))
        if not np.any(ok):
            return self
        sums, sizes = go.cluster_sums(z[ok], lab[ok], len(self.centroids_))
        self.sums_ = self.sums_ + sums
        self.counts_ = self.counts_ + sizes
        touched = sizes > 0
        self.centroids_ = self.centroids_.copy()
        self.centroids_[touched] = go.normalize_rows(self.sums_[touched]).astype(np.float32)
        self._lex_centroids = None
        return self

    # ------------------------------------------------------------------ persistence

    def get_state(self) -> dict[str, np.ndarray]:
        """Everything predict/transform/embed/partial_fit need, as plain numpy arrays."""
        return {
            "state_version": np.asarray(_STATE_VERSION, dtype=np.int64),
            "params": np.asarray(
                [
                    -1 if self.n_issues is None else self.n_issues,
                    self.random_state,
                    self.chunk_size,
                ],
                dtype=np.int64,
            ),
            "vocabulary": np.asarray(self.vocabulary_, dtype=np.str_),
            "token_vectors": self.token_vectors_.astype(np.float16),
            "centroids": self.centroids_.astype(np.float32),
            "sums": self.sums_.astype(np.float64),
            "counts": self.counts_.astype(np.int64),
            "threshold": np.asarray(self.threshold_, dtype=np.float64),
            "lex_threshold": np.asarray(self.lex_threshold_, dtype=np.float64),
            "semantic_dim": np.asarray(self.semantic_dim_, dtype=np.int64),
            "semantic_weight": np.asarray(self.semantic_weight, dtype=np.float64),
            "parent": self.parent_.astype(np.int64),
        }

    @classmethod
    def from_state(cls, state: Any) -> IssueClusterer:
        """Rebuild a fitted clusterer from `get_state()` (a dict or an np.load result);
        a version-1 state (before sub-issues and vectors) loads as a lexical model
        whose every cluster is an issue."""
        version = int(np.asarray(state["state_version"]))
        if version not in (1, _STATE_VERSION):
            raise ValueError(f"unsupported issue model state version {version}")
        n_issues, random_state, chunk_size = (int(v) for v in np.asarray(state["params"]))
        model = cls(
            None if n_issues < 0 else n_issues, random_state=random_state, chunk_size=chunk_size
        )
        vocab = tuple(str(t) for t in np.asarray(state["vocabulary"]).tolist())
        vectors = np.asarray(state["token_vectors"]).astype(np.float32)
        if not len(vocab):
            vectors = vectors.reshape(0, vectors.shape[-1] if vectors.ndim == 2 else 0)
        model._set_model(ft.EmbeddingModel(vocab, vectors))
        model.centroids_ = np.asarray(state["centroids"], dtype=np.float32).copy()
        model.sums_ = np.asarray(state["sums"], dtype=np.float64).copy()
        model.counts_ = np.asarray(state["counts"], dtype=np.int64).copy()
        model.threshold_ = float(np.asarray(state["threshold"]))
        k = len(model.centroids_)
        if version == 1:
            model.semantic_dim_ = 0
            model.lex_threshold_ = model.threshold_
            model.parent_ = np.arange(k, dtype=np.int64)
        else:
            model.semantic_dim_ = int(np.asarray(state["semantic_dim"]))
            model.semantic_weight = float(np.asarray(state["semantic_weight"]))
            model.lex_threshold_ = float(np.asarray(state["lex_threshold"]))
            model.parent_ = np.asarray(state["parent"], dtype=np.int64).copy()
        model.n_sub_issues_ = k
        model.n_issues_ = int(model.parent_.max()) + 1 if k else 0
        return model


def _rows(semantic: np.ndarray | None, start: int, stop: int) -> np.ndarray | None:
    """Rows start:stop of optional semantic vectors, as float32."""
    if semantic is None:
        return None
    return np.asarray(semantic[start:stop], dtype=np.float32)
