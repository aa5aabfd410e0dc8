"""Slack incoming webhooks.

Shape (Slack "Sending messages using incoming webhooks" and the Block Kit reference):
POST {"text": <fallback for notifications>, "blocks": [{"type": "section", "text":
{"type": "mrkdwn", "text": ...}}, ...]}; the answer is HTTP 200 "ok", or 4xx with a
reason such as "invalid_payload" or "no_service".
Limits: a section's text is at most 3000 characters and a message at most 50 blocks
(Slack answers 400 beyond either); in practice the blocks of one message are also
refused ("msg_blocks_too_long") above roughly 13,000 characters, so the digest is
cut to MAX_TOTAL_CHARS. Slack's mrkdwn is not Markdown: *bold*, <url|label>, and
&, <, > escaped as entities.
"""

from __future__ import annotations

import re

from ticketminer.deliverers.base import DeliveryError, DigestMessage, fit_chars
from ticketminer.deliverers.http import post_json

MAX_SECTION_CHARS = 3000
MAX_BLOCKS = 50
MAX_TOTAL_CHARS = 12_000
_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(<?([^)>\s]+)>?\)")
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~&#{}()+\-.!])")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(text: str) -> str:
    """One Markdown line as mrkdwn."""
    links: list[str] = []

    def keep(match: re.Match) -> str:
        label = _entities(_ESCAPED.sub(r"\1", match.group(1))).replace("|", "¦")
        links.append(f"<{match.group(2)}|{label}>")
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep, text)
    text = _entities(_ESCAPED.sub(r"\1", text))
    text = _BOLD.sub(r"*\1*", text)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def to_mrkdwn(markdown: str) -> str:
    """Headings become bold lines; tables go in code blocks, where columns line up."""
    out: list[str] = []
    in_table = False
    for line in markdown.split("\n"):
        is_row = line.startswith("|")
        if is_row != in_table:
            out.append("```")
            in_table = is_row
        if is_row:
            if not re.fullmatch(r"[|\s:-]+", line):  # drop the |---| rule
                out.append(_entities(_ESCAPED.sub(r"\1", line)))
            continue
        heading = _HEADING.match(line)
        out.append(f"*{_inline(heading.group(1))}*" if heading else _inline(line))
    if in_table:
        out.append("```")
    return "\n".join(out)


def sections(text: str) -> list[dict]:
    """Section blocks of at most MAX_SECTION_CHARS each, cut between lines and never
    inside a code block."""
    blocks: list[str] = []
    current: list[str] = []
    size = 0
    fence_open = False
    for line in text.split("\n"):
        if size + len(line) + 1 > MAX_SECTION_CHARS - 8 and current:
            if fence_open:
                current.append("```")
            blocks.append("\n".join(current))
            current, size = (["```"], 4) if fence_open else ([], 0)
        current.append(line[: MAX_SECTION_CHARS - 8])
        size += len(current[-1]) + 1
        if line == "```":
            fence_open = not fence_open
    if current:
        blocks.append("\n".join(current))
    blocks = [b for b in blocks if b.strip("`\n ")][:MAX_BLOCKS]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": b}} for b in blocks]


def payload(message: DigestMessage) -> dict:
    body = fit_chars(message.markdown, MAX_TOTAL_CHARS)
    return {"text": _entities(message.subject), "blocks": sections(to_mrkdwn(body))}


class SlackDeliverer:
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout

    def send(self, message: DigestMessage) -> None:
        reply = post_json(self._url, payload(message), self._timeout)
        if reply.strip() not in (b"ok", b""):
            raise DeliveryError(
                f"Slack answered {reply[:200].decode(errors='replace')!r}", retryable=False
            )
