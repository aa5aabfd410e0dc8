"""Masking of personal data and identifiers with typed placeholders.

Two reasons: tokens end up in cluster labels and stored vectors, which must not leak a customer's
phone or card number; and an identifier is unique per ticket, so as raw text it is pure noise for
clustering, while "<order_no>" or "<tracking_no>" says what the ticket is about.

Placeholders are `<word>` (lowercase letters and "_"), which the tokenizer keeps as one token.
Expects normalised text (ASCII digits, see `normalize`) but works on any text.
"""

from __future__ import annotations

import re

__all__ = [
    "CARD",
    "EMAIL",
    "NUMBER",
    "ORDER_NO",
    "PHONE",
    "PLACEHOLDERS",
    "TRACKING_NO",
    "URL",
    "luhn_valid",
    "mask_pii",
]

EMAIL = "<email>"
PHONE = "<phone>"
URL = "<url>"
CARD = "<card>"
ORDER_NO = "<order_no>"
TRACKING_NO = "<tracking_no>"
#: Any other long digit run (9+ digits, or a card-shaped group that fails the Luhn check).
NUMBER = "<number>"
PLACEHOLDERS: tuple[str, ...] = (EMAIL, PHONE, URL, CARD, ORDER_NO, TRACKING_NO, NUMBER)

_FLAGS = re.IGNORECASE | re.ASCII
# Printable ASCII except space, quotes and angle brackets: a URL ends at whitespace, at a quote,
# at a placeholder and at the first non-ASCII character (Chinese text glued to a link).
# Every pattern here runs in linear time (issue 19: backtracking holds the GIL and stalls the
# server): possessive quantifiers (`*+`, `++`) wherever giving characters back cannot help a match.
_URL_CHAR = r"[\x21\x23-\x26\x28-\x3b\x3d\x3f-\x7e]"
_URL = re.compile(
    rf"(?:\b(?:https?|ftp)://|(?<![@\w.-])www\.){_URL_CHAR}++"
    rf"|(?<![@\w.-])(?:[a-z0-9-]++\.)+[a-z]{{2,6}}/{_URL_CHAR}*+",
    _FLAGS,
)
_WEB_HINT = re.compile(r"://|www\.|\.[a-z]{2,6}/", _FLAGS)
# The lookbehind makes a match start only where a local part can start: without it, every
# position of a long run of letters would rescan the run looking for "@" (quadratic).
# A domain label is 1-63 characters, alphanumeric at both ends: written as one possessive run
# checked by a lookbehind, so a label can be matched in only one way.
_EMAIL_LOCAL = "a-z0-9!#$%&'*+/=?^_`{|}~.-"
_EMAIL = re.compile(
    rf"(?<![{_EMAIL_LOCAL}])[{_EMAIL_LOCAL}]{{1,64}}+@"
    r"(?:[a-z0-9][a-z0-9-]{0,62}+(?<!-)\.){1,127}[a-z0-9-]{2,63}",
    _FLAGS,
)

# Possessive whitespace: three `\s*` in a row could split a run of n spaces n^3/6 ways, each
# tried before giving up ("order" + 1,200 spaces took 10 s). "is" and the colon can still be
# given back ("order is123" is still the ID "is123").
_SEP = r"(?P<sep>\s*+(?:is|是|为)?\s*+[:：#＃]?\s*+)"
# A digit within the ID's longest length (40). Unbounded, the lookahead rescanned a long run of
# letters and dashes for every keyword inside it ("poa-poa-...", quadratic). Only a hyphen chain
# whose first digit comes after 40 characters is no longer taken for an ID.
_ID = r"(?P<val>(?=[a-z-]{0,39}+[0-9])[a-z0-9][a-z0-9-]{%d,39})(?![a-z0-9])"
# Carrier formats recognisable without a keyword: SF Express, JD, YTO, ZTO, UPS 1Z, UPU S10
# (EMS / China Post / most postal services: two letters, nine digits, two letters).
_TRACKING_FORMAT = re.compile(
    r"(?<![a-z0-9])(?:sf[0-9]{12,13}|jd[a-z]{0,3}[0-9]{10,15}|yt[0-9]{10,15}|zt[0-9]{10,15}"
    r"|1z[0-9a-z]{16}|[a-z]{2}[0-9]{9}[a-z]{2})(?![a-z0-9])",
    _FLAGS,
)
_TRACKING_KEYWORD = re.compile(
    r"(?P<kw>(?<![a-z])(?:tracking|waybill|shipment|consignment|awb)"
    r"(?:\s*+(?:number|num|no\.?|id|code|#))?"
    r"|运单(?:号码|编号|号)|(?:快递|物流)(?:单号码|单号|编号|号码|号)|追踪号|跟踪号)"
    + _SEP
    + _ID % 5,
    _FLAGS,
)
_ORDER_KEYWORD = re.compile(
    r"(?P<kw>(?<![a-z])(?:order|purchase order|po|invoice|transaction|txn|booking|reservation)"
    r"(?:\s*+(?:number|num|no\.?|id|#|code))?"
    r"|订单(?:号码|编号|号)?|(?:交易|退款|售后)?单号|流水号|交易号|发票号码?|预[订定]号)"
    + _SEP
    + _ID % 3,
    _FLAGS,
)

# Literal prefilters: plain alternations of literals scan fast; the full patterns (which start
# with a lookbehind) are only run on texts that contain a keyword.
_TRACKING_HINT = re.compile(
    r"tracking|waybill|shipment|consignment|awb|运单|快递|物流|追踪号|跟踪号", _FLAGS
)
_ORDER_HINT = re.compile(
    r"order|po|invoice|transaction|txn|booking|reservation|订单|单号|流水号|交易号|发票号|预[订定]号",
    _FLAGS,
)

# Runs of digits joined by single separators, optionally with "+" or "(area)": every phone, card
# or ID candidate. Classified in Python; `_NUMBER_HINT` (7+ digits) skips texts with none.
# The loop's alternatives start with different characters and it stops before any digit, so it
# is possessive without changing a match.
_NUMBER_CANDIDATE = re.compile(
    r"(?<![0-9])[+(]?[0-9](?:[0-9]|[ .-](?=[0-9(])|\)[ .-]?(?=[0-9])|\((?=[0-9]))*+(?![0-9])"
)
_ID_HINT = re.compile(r"[0-9]{2}")  # every keyword-led ID, phone or card has two adjacent digits
_NUMBER_HINT = re.compile(r"[0-9](?:[ .()-]{0,2}[0-9]){6}")
_CN_MOBILE = re.compile(r"(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}")
_NANP = re.compile(
    r"(?:\+?1[ .-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}"
)
_CN_LANDLINE = re.compile(r"\(?0[1-9][0-9]{1,2}\)?[ -]?[0-9]{7,8}|[48]00[ -]?[0-9]{3}[ -]?[0-9]{4}")
_NATIONAL = re.compile(r"\(?0[0-9]{1,4}\)?(?:[ .-][0-9]{2,4}){2,4}")
_CARD_GROUPS = {(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3), (4, 4, 4, 4, 2), (4, 4, 4, 1)}
_GROUP_SPLIT = re.compile(r"[ .-]")
_MAX_CHUNKS = 6  # no phone or card format has more space-separated groups


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _classify(span: str) -> str | None:
    """The placeholder for one digit span, or None to leave it (dates, short numbers)."""
    digits = "".join(ch for ch in span if "0" <= ch <= "9")
    n = len(digits)
    if n < 7:
        return None
    if n == len(span):  # a bare run
        if (n == 11 and digits[0] == "1" and digits[1] in "3456789") or (
            n == 13 and digits.startswith("861") and digits[3] in "3456789"
        ):
            return PHONE
        if 13 <= n <= 19 and luhn_valid(digits):
            return CARD
        return NUMBER if n >= 9 else None
    if span[0] == "+" and 8 <= n <= 15:
        return PHONE
    if _CN_MOBILE.fullmatch(span):
        return PHONE
    if "(" not in span and "." not in span:
        groups = tuple(len(g) for g in _GROUP_SPLIT.split(span))
        if groups in _CARD_GROUPS:
            return CARD if luhn_valid(digits) else NUMBER
    if _NANP.fullmatch(span) or _CN_LANDLINE.fullmatch(span):
        return PHONE
    if 9 <= n <= 12 and _NATIONAL.fullmatch(span):
        return PHONE
    if " " not in span and n >= 9:
        return NUMBER  # dotted or dashed IDs, IP addresses, long references
    return None


def _mask_number(match: re.Match[str]) -> str:
    span = match.group()
    kind = _classify(span)
    if kind is not None:
        return kind
    if " " not in span:
        return span
    # Space-separated groups that are not one thing as a whole ("iPhone 15 138 0013 8000"):
    # take the longest run of groups that is, from left to right.
    chunks = span.split(" ")
    out: list[str] = []
    i = 0
    while i < len(chunks):
        for j in range(min(len(chunks), i + _MAX_CHUNKS), i, -1):
            kind = _classify(" ".join(chunks[i:j]))
            if kind is not None:
                out.append(kind)
                i = j
                break
        else:
            out.append(chunks[i])
            i += 1
    return " ".join(out)


def _keep_keyword(placeholder: str) -> str:
    """Replacement template that keeps the keyword ("订单号", "order #") and masks the value."""
    return r"\g<kw>\g<sep>" + placeholder


_ORDER_REPLACEMENT = _keep_keyword(ORDER_NO)
_TRACKING_REPLACEMENT = _keep_keyword(TRACKING_NO)


def mask_pii(text: str) -> str:
    """Replace e-mails, URLs, phones, card numbers, order and tracking numbers by placeholders.

    Keyword-led order/tracking numbers keep their keyword: "订单号 123456789" ->
    "订单号 <order_no>". Card numbers are 13-19 digits passing the Luhn check; other long digit
    runs become <number>, so no run of 9+ digits survives. Each family is skipped outright when
    the text cannot contain it (no "@", no digits, no "://" or "www.").
    """
    if not text:
        return text
    if _WEB_HINT.search(text):
        text = _URL.sub(URL, text)
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    if _ID_HINT.search(text):
        long_digits = _NUMBER_HINT.search(text) is not None
        if long_digits:
            text = _TRACKING_FORMAT.sub(TRACKING_NO, text)
        if _TRACKING_HINT.search(text):
            text = _TRACKING_KEYWORD.sub(_TRACKING_REPLACEMENT, text)
        if _ORDER_HINT.search(text):
            text = _ORDER_KEYWORD.sub(_ORDER_REPLACEMENT, text)
        if long_digits:
            text = _NUMBER_CANDIDATE.sub(_mask_number, text)
    return text
