"""Text normalisation: Unicode width/case/script folding, then removal of what is not the issue.

A ticket body usually carries the customer's words plus a quoted earlier mail, a signature and
legal boilerplate. Those repeat across unrelated tickets and would pull them into one cluster, so
they are cut here. Cutting is line based and conservative: a marker only cuts the rest of the
text when something was written above it (a forwarded mail with no comment keeps its body).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

__all__ = ["HAN_CLASS", "normalize", "to_simplified"]

#: Han ideographs (unified, extension A-G, compatibility). Used for "is this Chinese?" checks.
HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U0003134f"
_HAN = re.compile(f"[{HAN_CLASS}]")

# --- Unicode folding -----------------------------------------------------------------------------

# Characters NFKC changes that cost a full NFKC pass but change nothing downstream: the CJK
# punctuation every Chinese sentence has (the tokenizer drops punctuation either way). Without
# this exclusion, NFKC would run on almost every Chinese text and cost ~8 us each.
_NFKC_HARMLESS = "，！？：；～…\u3000"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_nfkc_tables: tuple[re.Pattern[str], frozenset[str]] | None = None
_nfkc_lock = threading.Lock()


def _build_nfkc_tables() -> tuple[re.Pattern[str], frozenset[str]]:
    """What can make NFKC(text) != text: a regex class for the BMP, a set beyond it.

    That is: characters with a compatibility or canonical mapping, combining marks, the second
    character of any canonical composition, and conjoining Hangul jamo. Computed from the running
    Python's unicodedata (about 0.1 s, once), so it can never disagree with `unicodedata`. Astral
    characters are a set, not part of the class: a class with ~1,000 astral ranges makes every
    search ~40x slower, and astral characters (emoji) are rare enough to test one by one.
    """
    points: set[int] = set(range(0x1160, 0x1200))  # Hangul V/T jamo compose algorithmically
    # Ideograph extensions B-F (U+20000-U+2F7FF) and the planes above 2 hold nothing NFKC changes.
    for lo, hi in ((0, 0x20000), (0x2F800, 0x30000), (0xE0000, 0xE1000)):
        for cp in range(lo, hi):
            ch = chr(cp)
            if unicodedata.combining(ch) or unicodedata.normalize("NFKC", ch) != ch:
                points.add(cp)
            decomposition = unicodedata.decomposition(ch)
            if decomposition and not decomposition.startswith("<"):
                parts = decomposition.split()
                if len(parts) == 2:
                    points.add(int(parts[1], 16))
    points.difference_update(ord(c) for c in _NFKC_HARMLESS)
    ranges: list[str] = []
    bmp = sorted(cp for cp in points if cp <= 0xFFFF)
    start = prev = bmp[0]
    for cp in [*bmp[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        start = prev = cp
    astral = frozenset(chr(cp) for cp in points if cp > 0xFFFF)
    return re.compile("[" + "".join(ranges) + "]"), astral


def _nfkc_needed(text: str) -> bool:
    global _nfkc_tables
    if _nfkc_tables is None:
        with _nfkc_lock:
            if _nfkc_tables is None:
                _nfkc_tables = _build_nfkc_tables()
    bmp, astral = _nfkc_tables
    if bmp.search(text):
        return True
    return _ASTRAL.search(text) is not None and any(ch in astral for ch in _ASTRAL.findall(text))


# Invisible characters that split words when left in (BOM, zero-width space/joiners, soft hyphen).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'"})

_converter: Any = None
_converter_lock = threading.Lock()


def _t2s() -> Any:
    """The process-wide OpenCC t2s converter (loading its dictionaries takes a few ms)."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (OpenCC t2s, phrase aware); no-op without Han."""
    if not _HAN.search(text):
        return text
    return str(_t2s().convert(text))


def _fold(text: str) -> str:
    """NFKC (only when it would change something), case folding, Traditional -> Simplified."""
    if text.isascii():
        return text.lower()
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    if _nfkc_needed(text):
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if "\u2018" in text or "\u2019" in text or "\u02bc" in text:
        text = text.translate(_APOSTROPHES)
    if _HAN.search(text):
        text = str(_t2s().convert(text))
    return text


# --- Quoted replies, signatures, boilerplate ---------------------------------------------------
# All patterns see folded text: lowercase, Simplified, ASCII punctuation (except the harmless
# full-width punctuation above, hence the [:：] classes).
# All run in linear time (issue 19): an unbounded run is possessive (`*+`, `++`) wherever giving
# characters back cannot help a match, and no two unbounded runs can share characters.

_COLON = "[:：]"
_ORIGINAL_MARKER = r"-{2,}+\s*+(?:original message|原始邮件)\s*+-{2,}+"
_ORIGINAL = re.compile(_ORIGINAL_MARKER)
_FORWARDED = re.compile(
    r"-{2,}+\s*+(?:forwarded message|转发邮件|转发的邮件)\s*+-{2,}+|begin forwarded message:"
)
_HEADER_FROM = re.compile(rf"\*?(?:from|发件人|寄件者|发件者){_COLON}")
_HEADER_NEXT = re.compile(
    rf"\*?(?:sent|date|to|cc|subject|发送时间|时间|日期|收件人|抄送|主题|寄件日期|传送日期|主旨){_COLON}"
)
_ON_WROTE = re.compile(r"on\s.{0,300}\bwrote:$")
_ZH_WROTE = re.compile(rf".{{0,120}}(?:在|于).{{0,120}}写道{_COLON}?")
# Mobile / mail-app footers. They must end the line (a short model name may follow), so that
# prose such as "sent from my bank account ..." or "来自我的手机的照片..." is never cut.
_DEVICE_FOOTER = (
    r"(?:(?:sent (?:from|with|via) (?:my )?(?:iphone|ipad|android|samsung|galaxy|huawei|xiaomi"
    r"|honor|oppo|vivo|oneplus|pixel|blackberry|mobile|phone|smartphone|tablet|outlook|mail for"
    r"|yahoo mail|gmail|aol)|get outlook for)\b[\w .,!()-]{0,30}"
    r"|(?:发自|来自|发送自)我的\s?[\w ]{0,12}?(?:iphone|ipad|android|安卓|手机|平板|客户端)"
    r"[0-9a-z .]{0,16}"
    r"|(?:发自|来自|发送自)\s?(?:网易邮箱|qq邮箱|手机qq|手机邮箱|windows|outlook|ios|android|iphone"
    r"|ipad|华为|小米|荣耀)[\w ]{0,12})$"
)
_MOBILE = re.compile(_DEVICE_FOOTER)
_CLOSING = re.compile(
    r"(?:(?:best|kind|warm|warmest|many|with)\s++(?:regards|wishes|thanks)|regards|best|br|rgds"
    r"|thanks|thank you|thanks again|thanks in advance|thank you very much|thanks so much"
    r"|many thanks"
    r"|cheers|sincerely|yours sincerely|sincerely yours|yours truly|respectfully|yours faithfully"
    r"|此致|此致\s*+敬礼|祝好|顺祝商祺|顺颂商祺|顺颂时祺|祝商祺|祝工作顺利|祝生活愉快|谢谢|多谢|感谢"
    r"|谢谢您|谢谢你|非常感谢|万分感谢|感谢您|感谢你)"
    r"[\s,.!~，。！～]*+"
)
_DISCLAIMER_HINTS = (
    "confidential",
    "privileged",
    "recipient",
    "in error",
    "disclaimer",
    "保密",
    "机密",
    "免责",
    "收件人",
)
# The rest of the text after a closing must look like a name block to be cut with it.
_SIGNATURE_TAIL_LINES = 6
_SIGNATURE_TAIL_WIDTH = 60
_DISCLAIMER = re.compile(
    r"(?:this (?:e-?mail|message|communication)\b.{0,80}"
    r"(?:confidential|privileged|intended (?:solely|only))"
    r"|if you (?:are not|have received this).{0,60}(?:intended recipient|in error)"
    r"|confidentiality (?:notice|note|statement)|disclaimer:"
    r"|(?:本|此)(?:邮件|电子邮件|信息|讯息).{0,40}(?:保密|机密|免责)"
    r"|(?:如果|如)(?:您|你)不是.{0,20}收件人)"
)
_DROP_LINE = re.compile(
    r"(?:please consider the environment before printing"
    r"|this (?:e-?mail|message) has been (?:scanned|checked)"
    r"|caution: this (?:e-?mail|message) originated from outside"
    # Possessive: three `\s*` could split "external" + n spaces n^3/6 ways (seconds per line).
    r"|\[?external\]?\s*+(?:e-?mail)?\s*+:?\s*+(?:this|do not|be careful)"
    r"|_{5,}+$|-{5,}+$|={5,}+$)"
)


def _is_hard_marker(s: str) -> bool:
    """A stripped line that starts quoted or forwarded material (where a signature ends)."""
    return (
        s[0] == ">"
        or s == "--"
        or _MOBILE.match(s) is not None
        or _ORIGINAL.fullmatch(s) is not None
        or _FORWARDED.fullmatch(s) is not None
        or _HEADER_FROM.match(s) is not None
        or _ON_WROTE.match(s) is not None
        or _ZH_WROTE.fullmatch(s) is not None
    )


def _is_signature_tail(lines: list[str], start: int) -> bool:
    """Whether the lines after a closing, up to quoted material, look like a name block."""
    count = 0
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if not s:
            continue
        if _is_hard_marker(s):
            return True
        count += 1
        if count > _SIGNATURE_TAIL_LINES or len(s) > _SIGNATURE_TAIL_WIDTH:
            return False
    return True


def _header_block_end(lines: list[str], i: int) -> int:
    """If line i starts a mail header block ("From:" + "Sent:"/"To:"...), where it ends; else -1."""
    n = len(lines)
    j = i + 1
    found = False
    while j < n and j <= i + 6:
        s = lines[j].strip()
        if _HEADER_NEXT.match(s):
            found = True
        elif found or s:
            break
        j += 1
    return j if found else -1


def _strip_lines(text: str) -> str:
    """Drop quoted lines and cut at reply headers, signatures and disclaimers."""
    lines = text.split("\n")
    out: list[str] = []
    written = False  # whether `out` has a non-blank line
    n = len(lines)
    i = 0
    while i < n:
        s = lines[i].strip()
        if not s:
            out.append("")
            i += 1
            continue
        if s[0] == ">":
            i += 1
            continue
        # Reply headers: cut everything below, unless nothing was written above (a forward).
        end = -1
        if _FORWARDED.fullmatch(s):
            i += 1  # the forwarded mail is the content: keep it, drop the marker
            continue
        if _ORIGINAL.fullmatch(s):
            end = i + 1
        elif _HEADER_FROM.match(s):
            end = _header_block_end(lines, i)
        elif s.endswith(("wrote:", "写道:", "写道：", "写道")):
            if _ON_WROTE.match(s) or _ZH_WROTE.fullmatch(s):
                end = i + 1
            elif out and _ON_WROTE.match(out[-1].strip() + " " + s):
                out.pop()  # "On <date>, <name> <" wrapped onto two lines
                end = i + 1
        if end >= 0:
            if written:
                break
            i = end
            continue
        if s == "--" or _MOBILE.match(s):
            break
        if written and _CLOSING.fullmatch(s) and _is_signature_tail(lines, i + 1):
            break
        if any(h in s for h in _DISCLAIMER_HINTS) and _DISCLAIMER.search(s):
            while i < n and lines[i].strip():  # drop the whole paragraph
                i += 1
            continue
        if _DROP_LINE.match(s):
            i += 1
            continue
        out.append(lines[i])
        written = True
        i += 1
    return "\n".join(out)


# Single-line texts (flattened mails, chat messages): only unambiguous inline markers.
_INLINE_HINTS = (
    "wrote:",
    "original message",
    "原始邮件",
    "sent ",
    "get outlook",
    "发自",
    "来自",
    "发送自",
)
_INLINE_CUT = re.compile(rf"\s(?:{_ORIGINAL_MARKER}|on\s.{{5,200}}?\bwrote:|{_DEVICE_FOOTER})")


_SINGLE_LINE_HINT = re.compile("|".join(re.escape(h) for h in _INLINE_HINTS + _DISCLAIMER_HINTS))


def _strip(text: str) -> str:
    if "\n" in text:
        return _strip_lines(text)
    if text.startswith(">"):
        return ""
    if not _SINGLE_LINE_HINT.search(text):
        return text
    if any(h in text for h in _INLINE_HINTS):
        m = _INLINE_CUT.search(text)
        if m and text[: m.start()].strip():
            text = text[: m.start()]
    if any(h in text for h in _DISCLAIMER_HINTS) and (m := _DISCLAIMER.search(text)):
        text = text[: m.start()]
    return text


def normalize(text: str) -> str:
    """Fold width, case and script, then cut quoted replies, signatures and boilerplate.

    NFKC turns full-width forms into ASCII ("ＡＢＣ１２３" -> "abc123"), casefold lowercases,
    OpenCC t2s maps Traditional to Simplified ("訂單" -> "订单") so both spellings of a word
    become one token. The result is stripped; line structure is kept.
    """
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _strip(_fold(text).strip()).strip()
