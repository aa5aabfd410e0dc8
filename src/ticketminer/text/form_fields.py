"""Form tickets without their form: what the customer wrote, not the template.

Web forms, pre-chat surveys and contact-form relay e-mails wrap a one-line problem in
the same field labels, identity fields and "do not reply" notices every time, so two
form tickets about different problems share most of their words, and two tickets
about one problem, one from the form and one written freely, share few. A multi-line
text loses here its notices, its separator lines and its short "Label: value" fields
(name, e-mail, order number, a drop-down's choice); a field whose value is a sentence
keeps the sentence. Fields count as a form only when there are at least
MIN_FORM_FIELDS of them, so "Error: payment declined" in a free-written e-mail stays.
Single-line texts are left as they are.

Expects normalised, PII-masked text (an e-mail is "<email>", not words). Linear time:
one pass over the lines, no backtracking patterns.
"""

from __future__ import annotations

import re

# Auto-generated notices of form relays and ticketing systems.
_NOTICE = re.compile(
    r"do not reply|don't reply|sent automatically|automatically (?:generated|sent)"
    r"|may contain personal|自动发送|请勿(?:直接)?回复|系统自动|可能包含个人信息"
)
# "Label: value", the label short and not a sentence (no sentence punctuation).
_FIELD = re.compile(r"([^:：.!?。！？,，]{1,40}+)[:：]\s*+(.*+)")
_WORD = re.compile(r"[a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
# A field's value is kept when it reads as a sentence: this many Latin words or Han
# characters (a name, an e-mail, an order number or a drop-down choice is shorter).
MIN_SENTENCE_WORDS = 4
MIN_SENTENCE_HAN = 6
MIN_FORM_FIELDS = 3


def _reads_as_text(value: str) -> bool:
    return (
        len(_WORD.findall(value)) >= MIN_SENTENCE_WORDS
        or len(_HAN.findall(value)) >= MIN_SENTENCE_HAN
    )


def strip_form_fields(text: str) -> str:
    """`text` without form boilerplate (see the module docstring)."""
    if "\n" not in text:
        return text
    lines = [line.strip() for line in text.split("\n")]
    fields = [_FIELD.fullmatch(s) for s in lines]
    form = sum(f is not None for f in fields) >= MIN_FORM_FIELDS
    kept: list[str] = []
    for s, field in zip(lines, fields, strict=True):
        if not s or _NOTICE.search(s) or not (_WORD.search(s) or _HAN.search(s)):
            continue
        if form and field is not None:
            value = field.group(2).strip()
            if _reads_as_text(value):
                kept.append(value)
            continue
        kept.append(s)
    return "\n".join(kept)
