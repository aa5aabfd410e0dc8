"""The text entry points take linear time on adversarial input.

A regex that backtracks catastrophically holds the GIL, so one crafted ticket stalls the whole
server. Each case times an entry point at size n and 8n in the same run: linear code grows ~8x,
quadratic 64x, cubic 512x. Ratios of thread CPU time, not wall-clock limits, so a slow or busy
machine cannot fail it and a fast one cannot hide a blow-up.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.text import default_pipeline, detect_script, mask_pii, normalize
from ticketminer.text.snippet import masked_snippet

GROWTH_LIMIT = 24.0  # t(8n) / t(n): linear ~8, quadratic 64, cubic 512
SUSPECT = 12.0  # above this, more rounds, then one size up, before deciding
CERTAIN = 100.0  # two rounds agreeing on this is no noise: stop paying for super-linear calls
MIN_N = 16
MAX_N = 2048
BASE_SECONDS = 5e-5  # grow n until one call takes this long (or MAX_N)...
BATCH_SECONDS = 5e-5  # ...then repeat the call until a timed batch takes this long
MAX_ROUNDS = 5

Entry = Callable[[str], object]


@cache
def entry_points() -> dict[str, Entry]:
    pipeline = default_pipeline()
    return {
        "normalize": normalize,
        "mask_pii": mask_pii,
        # Subject path: reply-prefix stripping, normalize, mask_pii, tokenizer.
        "pipeline": lambda text: pipeline.ticket_token_parts(text, "", ()),
        "snippet": lambda text: masked_snippet("", text),
    }


# Enables every masking pass: two adjacent digits (keyword IDs), seven digits (numbers and
# carrier formats), "@" (e-mail) and "www." (URLs).
_ENABLE = "ticket 12 ref 1234567 mail a@b.cc www.x.io/y "
# (keyword, partner, starts a line): every keyword a pattern in text/ anchors on, the partner a
# second keyword that pattern could continue into.
KEYWORDS: list[tuple[str, str, bool]] = [
    ("order", "order", False),
    ("order number", "is", False),
    ("order no.", "#", False),
    ("po", "po", False),
    ("invoice id", ":", False),
    ("订单号", "是", False),
    ("单号", "为", False),
    ("tracking", "tracking", False),
    ("tracking no", "#", False),
    ("运单号", "：", False),
    ("快递单号", "＃", False),
    ("awb", "is", False),
    ("sf", "1z", False),
    ("www.", "www.", False),
    ("http://", "http://", False),
    ("x.com", ".com/", False),
    ("@", "@", False),
    ("a@b", ".c", False),
    ("+86", "(010)", False),
    ("(", ")", False),
    ("external", "email", True),
    ("[external]", "e-mail:", True),
    ("on", "wrote:", True),
    ("on", "wrote:", False),
    ("在", "写道：", True),
    ("from:", "sent:", True),
    ("发件人：", "主题：", True),
    ("sent from my", "iphone", True),
    ("sent from my", "iphone", False),
    ("发自我的", "手机", False),
    ("get outlook for", "ios", True),
    ("--", "original message", True),
    ("--", "original message", False),
    ("best", "regards", True),
    ("thanks", "thanks", True),
    ("this email", "confidential", False),
    ("if you are not", "intended recipient", False),
    ("本邮件", "保密", False),
    ("_____", "=====", True),
    ("re:", "fwd:", False),
]
RUNS = {
    "spaces": " ",
    "tabs": "\t",
    "newlines": "\n",
    "letters": "a",
    "digits": "1",
    "dots": ".",
    "dashes": "-",
    "ats": "@",
    "a-": "a-",
    "1 ": "1 ",
}
Maker = Callable[[int], str]


def makers(keyword: str, partner: str, line: bool) -> dict[str, Maker]:
    """Adversarial texts of about n characters: a run after the keyword, between the keyword
    and its partner, and the keyword repeated with the run between its copies."""
    lead = _ENABLE + ("\n" if line else "")
    out: dict[str, Maker] = {}
    for name, unit in RUNS.items():

        def tail(n: int, unit: str = unit) -> str:
            return lead + keyword + unit * (n // len(unit)) + "!"

        def between(n: int, unit: str = unit) -> str:
            return lead + keyword + unit * (n // len(unit)) + partner + "!"

        def repeated(n: int, unit: str = unit) -> str:
            return lead + (keyword + unit) * (n // (len(keyword) + len(unit))) + "!"

        out[f"{name}-after"] = tail
        out[f"{name}-between"] = between
        out[f"{name}-repeated"] = repeated
    return out


def _batch(fn: Entry, text: str, reps: int) -> float:
    """CPU time of this thread: time spent descheduled on a busy machine does not count."""
    start = time.thread_time()
    for _ in range(reps):
        fn(text)
    return time.thread_time() - start


def _growth(fn: Entry, make: Maker, n: int) -> float:
    """t(8n) / t(n), each the fastest of 2-5 batches (noise only ever adds time)."""
    small, large = make(n), make(8 * n)
    single = _batch(fn, small, 1)
    reps = max(1, math.ceil(BATCH_SECONDS / max(single, 1e-7)))
    t1 = t8 = math.inf
    for done in range(1, MAX_ROUNDS + 1):
        t1 = min(t1, _batch(fn, small, reps))
        t8 = min(t8, _batch(fn, large, reps))
        if done >= 2 and not SUSPECT <= t8 / t1 < CERTAIN:
            break
    return t8 / t1


def growth_ratio(fn: Entry, make: Maker) -> tuple[int, float]:
    """(n, t(8n)/t(n)), n grown until one call takes BASE_SECONDS so fixed costs do not hide
    a super-linear term; a ratio near the limit is measured again one size up."""
    enabled = gc.isenabled()
    gc.disable()  # a collection inside one timed batch would look like growth
    try:
        n = MIN_N
        while n < MAX_N and _batch(fn, make(n), 1) < BASE_SECONDS:
            n *= 2
        ratio = _growth(fn, make, n)
        if SUSPECT <= ratio < CERTAIN:
            n *= 8
            ratio = _growth(fn, make, n)
        return n, ratio
    finally:
        if enabled:
            gc.enable()


def _keyword_id(case: tuple[str, str, bool]) -> str:
    keyword, partner, line = case
    return f"{keyword}~{partner}" + ("-line" if line else "")


@pytest.mark.parametrize("entry", ["normalize", "mask_pii", "pipeline", "snippet"])
@pytest.mark.parametrize("case", KEYWORDS, ids=_keyword_id)
def test_growth_is_linear(entry: str, case: tuple[str, str, bool]) -> None:
    fn = entry_points()[entry]
    fn("warm up " + _ENABLE)  # dictionaries and tables load once, outside the timing
    slow = []
    for name, make in makers(*case).items():
        n, ratio = growth_ratio(fn, make)
        if ratio >= GROWTH_LIMIT:
            slow.append(f"{name} (n={n}): x{ratio:.0f}")
    assert not slow, f"{entry} grows super-linearly (t(8n)/t(n)): " + ", ".join(slow)


def test_detect_script_growth_is_linear() -> None:
    slow = []
    for unit in ("a", "a.", "a@", "@a.", "www.", "http://", "a-", " "):
        for lead in ("", "x@", "www.", "http://"):

            def make(n: int, unit: str = unit, lead: str = lead) -> str:
                return lead + unit * (n // len(unit)) + "!"

            n, ratio = growth_ratio(detect_script, make)
            if ratio >= GROWTH_LIMIT:
                slow.append(f"{lead!r}+{unit!r}*n (n={n}): x{ratio:.0f}")
    assert not slow, "detect_script grows super-linearly: " + ", ".join(slow)


def test_truncation_and_import_error_paths_grow_linearly() -> None:
    """Two regexes outside text/: the cut of a long ticket text at a word boundary, and
    the field path read from a protobuf parse error (an importer's message)."""
    from ticketminer.importers.ticket_files import _AT_PATH
    from ticketminer.issues.ticket_text import _PARTIAL_TAIL

    cases = {
        "partial tail": (lambda t: _PARTIAL_TAIL.sub("", t), lambda n: "w" * n + "!"),
        "partial tail, dotted": (
            lambda t: _PARTIAL_TAIL.sub("", t),
            lambda n: "a." * (n // 2) + "!",
        ),
        "parse error dots": (
            _AT_PATH.search,
            lambda n: "Failed to parse x at Ticket.created_at" + "." * n + "!",
        ),
        "parse error path": (_AT_PATH.search, lambda n: " at T." + "a." * (n // 2) + " "),
    }
    slow = []
    for name, (fn, make) in cases.items():
        n, ratio = growth_ratio(fn, make)
        if ratio >= GROWTH_LIMIT:
            slow.append(f"{name} (n={n}): x{ratio:.0f}")
    assert not slow, ", ".join(slow)


def test_the_reported_inputs() -> None:
    """Issue 19: a run of spaces after "order" took ~10 s, after "external" likewise."""
    for make in (
        lambda n: "ticket 12 order" + " " * n + "!",
        lambda n: "hello\nexternal" + " " * n + "!",
    ):
        for fn in (normalize, mask_pii, entry_points()["snippet"]):
            n, ratio = growth_ratio(fn, make)
            assert ratio < GROWTH_LIMIT, (fn, make(1), n, ratio)


_PIECES = st.sampled_from(
    [
        "order",
        "tracking no",
        "订单号",
        "运单号",
        "is",
        "是",
        ":",
        "#",
        "@",
        "a@b",
        "www.",
        "http://",
        "external",
        "email",
        "on",
        "wrote:",
        "在",
        "写道",
        "from:",
        "sent from my",
        "--",
        "thanks",
        "re:",
        "a",
        "1",
        ".",
        "-",
        "x.com/",
        "(",
        "+86",
        "\n",
        "> ",
    ]
)
_RUN_UNITS = st.lists(
    st.sampled_from([" ", " ", "\t", "\n", "a", "1", ".", "-", "@", ":", "#", "is", "a-", "1 "]),
    min_size=1,
    max_size=3,
).map("".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    head=st.lists(_PIECES, max_size=4).map("".join),
    unit=_RUN_UNITS,
    tail=st.lists(_PIECES, max_size=3).map("".join),
)
def test_random_runs_between_random_keywords_grow_linearly(head: str, unit: str, tail: str) -> None:
    """Any mix of keywords around a long whitespace-heavy run stays linear."""

    def make(n: int) -> str:
        return _ENABLE + head + unit * (n // len(unit)) + tail + "!"

    for fn in (normalize, mask_pii):
        n, ratio = growth_ratio(fn, make)
        assert ratio < GROWTH_LIMIT, (fn.__name__, head, unit, tail, n, ratio)
