"""The items of a streamed request body, one at a time, without holding the body: a
JSON array's elements or NDJSON's lines, each at most `limit` bytes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

_WHITESPACE = b" \t\r\n"
# Outside a string only these bytes change the scan; inside one, a quote or a backslash.
_STRUCTURAL = re.compile(rb'["\\\[\]{},]')
_IN_STRING = re.compile(rb'["\\]')


class ItemTooLarge(Exception):
    """One item is over the size limit (the gRPC message limit)."""


class BadStream(Exception):
    """The body is not an array or NDJSON at all (unlike a bad item, which is
    reported on its own)."""


async def ndjson_items(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """Each non-blank line."""
    pending = bytearray()
    async for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            pending += chunk[start:end]
            if len(pending) > limit:
                raise ItemTooLarge
            if pending.strip():
                yield bytes(pending)
            pending.clear()
            start = end + 1
        pending += chunk[start:]
        if len(pending) > limit:
            raise ItemTooLarge
    if pending.strip():
        yield bytes(pending)


class _ArraySplitter:
    """Finds where each element of a top-level JSON array ends by tracking nesting and
    strings only; the elements are parsed (and judged) one by one afterwards."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buf = bytearray()
        self.pos = 0  # next byte to scan
        self.start = 0  # where the current element began
        self.state = "open"  # open, element, in_element, after_comma, closed
        self.depth = 0
        self.in_string = False

    def _skip_whitespace(self) -> bool:
        while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
            self.pos += 1
        return self.pos < len(self.buf)

    def feed(self, chunk: bytes) -> list[bytes]:
        self.buf += chunk
        found: list[bytes] = []
        while self._step(found):
            pass
        # Drop what was consumed, so the buffer holds at most one element.
        keep = self.start if self.state == "in_element" else self.pos
        del self.buf[:keep]
        self.pos -= keep
        self.start = 0
        if self.state == "in_element" and len(self.buf) > self.limit:
            raise ItemTooLarge
        return found

    def _step(self, found: list[bytes]) -> bool:
        """One move of the scan; False when it needs more bytes."""
        if self.state == "in_element":
            return self._scan(found)
        if not self._skip_whitespace():
            return False
        byte = self.buf[self.pos]
        if self.state == "open":
            if byte != ord("["):
                raise BadStream("the body is not a JSON array of requests")
            self.pos += 1
            self.state = "element"
        elif self.state == "closed":
            raise BadStream("the body goes on after its JSON array")
        elif byte == ord("]") and self.state == "element":
            self.pos += 1
            self.state = "closed"
        else:  # an element begins (after '[' or a comma)
            self.start, self.depth, self.in_string = self.pos, 0, False
            self.state = "in_element"
        return True

    def _scan(self, found: list[bytes]) -> bool:
        if self.in_string:
            match = _IN_STRING.search(self.buf, self.pos)
            if match is None:
                self.pos = len(self.buf)
                return False
            if match[0] == b"\\":
                if match.end() >= len(self.buf):
                    self.pos = match.start()  # the escaped byte has not arrived yet
                    return False
                self.pos = match.end() + 1
            else:
                self.pos, self.in_string = match.end(), False
            return True
        match = _STRUCTURAL.search(self.buf, self.pos)
        if match is None:
            self.pos = len(self.buf)
            return False
        self.pos = match.end()
        char = match[0]
        if char == b'"':
            self.in_string = True
        elif char in (b"[", b"{"):
            self.depth += 1
        elif char in (b"]", b"}") and self.depth > 0:
            self.depth -= 1
        elif self.depth > 0:
            pass  # a comma inside the element
        elif char in (b",", b"]"):  # the element ends
            if match.start() - self.start > self.limit:
                raise ItemTooLarge
            found.append(bytes(self.buf[self.start : match.start()]))
            self.state = "after_comma" if char == b"," else "closed"
        elif char == b"}":
            raise BadStream("the JSON array has an unbalanced '}'")
        return True

    def finish(self) -> None:
        if self.state != "closed":
            raise BadStream("the JSON array of requests is not closed")


async def array_items(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """Each element of the top-level array, as its JSON text."""
    splitter = _ArraySplitter(limit)
    async for chunk in chunks:
        for item in splitter.feed(chunk):
            yield item
    splitter.finish()


_ENVELOPE_HEAD = 5  # flags (1 byte), then the length (4 bytes, big-endian)
END_STREAM = 0x02
_COMPRESSED = 0x01


async def envelope_items(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """Each message of a Connect streaming request body (length-prefixed envelopes)."""
    pending = bytearray()
    async for chunk in chunks:
        pending += chunk
        while len(pending) >= _ENVELOPE_HEAD:
            flags, size = pending[0], int.from_bytes(pending[1:_ENVELOPE_HEAD], "big")
            if size > limit:
                raise ItemTooLarge
            if flags & _COMPRESSED:
                raise BadStream("compressed messages are not supported (Connect-Content-Encoding)")
            if len(pending) < _ENVELOPE_HEAD + size:
                break
            message = bytes(pending[_ENVELOPE_HEAD : _ENVELOPE_HEAD + size])
            del pending[: _ENVELOPE_HEAD + size]
            if not flags & END_STREAM:
                yield message
    if pending:
        raise BadStream("the body ends inside a message envelope")


def envelope(message: bytes, flags: int = 0) -> bytes:
    return bytes([flags]) + len(message).to_bytes(4, "big") + message
