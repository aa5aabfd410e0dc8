"""JSON-lines logging: one object per line, so log shippers need no parsing rules.

Records are formatted and written by one background thread, in batches: with one
access-log line per RPC, a write and flush per line on the RPC thread was a tenth
of the server's CPU under load (see BENCHMARKS.md).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import sys
import threading
from datetime import UTC, datetime
from logging.handlers import QueueHandler
from typing import Any, TextIO

_BATCH = 512


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if isinstance(record.msg, dict):
            payload.update(record.msg)
        else:
            payload["message"] = record.getMessage()
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


class _CheapQueueHandler(QueueHandler):
    """Enqueue the record as it is; formatting happens on the writer thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        return record


class BatchWriter:
    """Drains the queue, formats what is there and writes it with one flush."""

    def __init__(self, records: queue.SimpleQueue, stream: TextIO) -> None:
        self._records = records
        self._stream = stream
        self._formatter = JsonFormatter()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._records.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._records.get_nowait())
                except queue.Empty:
                    break
            stop = any(r is None for r in batch)
            lines = [self._formatter.format(r) for r in batch if r is not None]
            if lines:
                try:
                    self._stream.write("\n".join(lines) + "\n")
                    self._stream.flush()
                except (OSError, ValueError):
                    pass  # a closed stderr must not take the server down
            if stop:
                return

    def close(self) -> None:
        self._records.put(None)
        self._thread.join(timeout=5)


_writer: BatchWriter | None = None


def configure(level: str, stream: TextIO | None = None) -> None:
    global _writer
    if _writer is not None:
        _writer.close()
    records: queue.SimpleQueue = queue.SimpleQueue()
    _writer = BatchWriter(records, stream or sys.stderr)
    root = logging.getLogger()
    root.handlers[:] = [_CheapQueueHandler(records)]
    root.setLevel(level.upper())
    # Alembic narrates every step at INFO; our own "schema_migrated" event says what changed.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    atexit.register(_writer.close)
