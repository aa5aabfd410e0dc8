"""`ticketminer embed`: the backfill of semantic vectors for an existing database.

Runs the embedding queue (services.embedding_queue) until every stored ticket has a
vector of the configured model, with a progress bar over the backlog and its ETA. It
is the queue the server runs in the background, so the two never embed a batch twice
(one holder of the queue at a time) and a killed backfill resumes where its last
committed batch left it: run it again.

The embedder flags are serve's (--embedder, --embedder-model, ...), and like serve it
reads the TICKETMINER_* variables, so in the server's environment it needs none.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import TYPE_CHECKING

from ticketminer.config import Settings
from ticketminer.config import add_arguments as add_settings

if TYPE_CHECKING:
    from tqdm import tqdm

    from ticketminer.services.embedding_queue import EmbeddingQueue

log = logging.getLogger(__name__)

SETTINGS = (
    "db_url",
    "log_level",
    "embedder",
    "embedder_model",
    "embedder_timeout_seconds",
    "embedder_threads",
    "embedder_api_key",
)
BUSY_SECONDS = 0.5  # wait while another process (a server) holds the queue
PROG = "ticketminer embed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--once", action="store_true", help="embed one batch only")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_settings(parser, only=SETTINGS)


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def run_embed(args: argparse.Namespace, settings: Settings, out=None) -> int:
    # The app, numpy and the model load only when the command runs (see cli/__init__.py).
    from tqdm import tqdm

    from ticketminer.app import App, embedder_of
    from ticketminer.issues.embedders import EmbedderUnavailable

    out = out or sys.stdout
    try:  # before the database is opened: a backend that cannot run here, or none
        embedder = embedder_of(settings)
    except (ImportError, RuntimeError, ValueError) as exc:
        return _fail(f"the embedder {settings.embedder!r} cannot run: {exc}")
    if embedder is None:
        return _fail("the embedder is off (--embedder / TICKETMINER_EMBEDDER): nothing to embed")
    app = App.open(settings)
    try:
        queue = app.embeddings
        assert queue is not None  # the app has a queue whenever it has an embedder
        start = queue.progress()
        bar = tqdm(
            total=start.backlog,
            unit=" tickets",
            disable=args.no_progress or not start.backlog,
            mininterval=0.5,
            file=sys.stderr,
        )
        try:
            done = _run(queue, bar, args.once)
        except EmbedderUnavailable as exc:
            return _fail(f"the embedder is unavailable: {exc}; run it again to go on")
        except ValueError as exc:  # the backend refused the request: a setting is wrong
            log.debug("the embedder refused", exc_info=True)
            return _fail(f"the embedder refused the request: {exc}")
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted; run it again to go on", file=sys.stderr)
            return 130
        finally:
            bar.close()
        now = queue.progress()
    finally:
        app.close()
    print(
        f"embedded {done} tickets (model {now.model}); {now.embedded} tickets have vectors",
        file=out,
    )
    return 0


def _run(queue: EmbeddingQueue, bar: tqdm, once: bool) -> int:
    """Tickets the queue covered: one batch, or until nothing is left to look at."""

    def advance(covered: int) -> None:
        if bar.total is not None and bar.n + covered > bar.total:
            bar.total = bar.n + covered  # tickets written meanwhile joined the backlog
        bar.update(covered)

    if once:
        while (covered := queue.run_once()) is None:
            time.sleep(BUSY_SECONDS)  # another process holds the queue for a batch
        advance(covered)
        return covered
    done = 0
    while True:
        done += queue.drain(advance)
        # drain stops when caught up, or when another process (a running server's
        # loop) took the queue for a batch: then wait and go on.
        if not queue.progress().backlog:
            return done
        time.sleep(BUSY_SECONDS)
