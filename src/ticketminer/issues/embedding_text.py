"""The text of a ticket that a semantic model embeds: what the customer opened it with.

The subject and the description (or the first message when there is none) say what the
ticket is about; later messages say how it went. The text is normalised, PII-masked and
stripped of form boilerplate like the tokens, so a vector never encodes a phone number
or a web form's template, and cut to a few hundred
characters: a sentence encoder's cost grows with length, and the opening carries the
problem.
"""

from __future__ import annotations

from collections.abc import Sequence

from ticketminer.domain.model import AuthorRole, Ticket
from ticketminer.text import mask_pii, normalize
from ticketminer.text.form_fields import strip_form_fields
from ticketminer.text.pipeline import strip_subject_prefix

MAX_EMBED_CHARS = 600


def embedding_text(subject: str, description: str, customer_messages: Sequence[str] = ()) -> str:
    """One line: subject, then description (or the first customer message), deduplicated."""
    parts: list[str] = []
    texts = [strip_subject_prefix(subject), description or next(iter(customer_messages), "")]
    for text in texts:
        if not text:
            continue
        masked = mask_pii(normalize(text[: 4 * MAX_EMBED_CHARS]))
        clean = " ".join(strip_form_fields(masked).split())
        if clean and clean not in parts:
            parts.append(clean)
    return " | ".join(parts)[:MAX_EMBED_CHARS]


def ticket_embedding_text(ticket: Ticket) -> str:
    first = [
        m.body
        for m in sorted(ticket.messages, key=lambda m: m.created_at)
        if m.author_role == AuthorRole.CUSTOMER and m.body
    ][:1]
    return embedding_text(ticket.subject, ticket.description, first)
