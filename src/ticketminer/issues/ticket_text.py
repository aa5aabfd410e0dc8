"""The words of a ticket that say what its issue is."""

from __future__ import annotations

import re

from ticketminer.domain.model import AuthorRole, Ticket
from ticketminer.text import default_pipeline, mask_pii, normalize
from ticketminer.text.anger import default_anger
from ticketminer.text.sentiment import default_scorer

# Bounds keep per-ticket work on the ingest path small whatever the thread length;
# the opening of a ticket says what it is about.
MAX_CHARS_PER_TEXT = 2000
MAX_CUSTOMER_MESSAGES = 5


# A cut can split an e-mail, phone or card number into a fragment too short to be
# recognised and masked; the partial word at the cut is dropped instead.
# The lookbehind starts a match only where a run starts: otherwise every position of a
# long run is tried (quadratic).
_PARTIAL_TAIL = re.compile(r"(?<![\w@.+:/%#-])[\w@.+:/%#-]++$")


def _head(text: str) -> str:
    if len(text) <= MAX_CHARS_PER_TEXT:
        return text
    return _PARTIAL_TAIL.sub("", text[:MAX_CHARS_PER_TEXT])


def _customer_texts(ticket: Ticket) -> list[str]:
    return [
        _head(m.body)
        for m in sorted(ticket.messages, key=lambda m: m.created_at)
        if m.author_role == AuthorRole.CUSTOMER and m.body
    ][:MAX_CUSTOMER_MESSAGES]


def _customer_text(ticket: Ticket) -> str:
    """What the customer wrote: the same bounded text as the tokens, PII-masked first so
    no address or number can sway a score."""
    parts = [_head(ticket.subject), _head(ticket.description), *_customer_texts(ticket)]
    return mask_pii(normalize("\n".join(p for p in parts if p)))


def ticket_sentiment(ticket: Ticket) -> float:
    """Sentiment (-1 to 1) of what the customer wrote."""
    return default_scorer().score(_customer_text(ticket))


def ticket_scores(ticket: Ticket) -> tuple[float, float]:
    """(sentiment, anger) of what the customer wrote, the text prepared once."""
    text = _customer_text(ticket)
    return default_scorer().score(text), default_anger().score(text)


def ticket_token_parts(ticket: Ticket) -> tuple[list[str], list[str]]:
    """Tokens of the subject, description and the customer's first messages (agent
    replies describe the fix, not the problem), as (opening, follow-ups)."""
    customer = _customer_texts(ticket)
    return default_pipeline().ticket_token_parts(
        _head(ticket.subject), _head(ticket.description), customer
    )


def ticket_tokens(ticket: Ticket) -> list[str]:
    opening, follow_ups = ticket_token_parts(ticket)
    return opening + follow_ups
