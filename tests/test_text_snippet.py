"""masked_snippet(): masks only what it shows, and shows what masking the whole text would."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketminer.text import mask_pii, normalize
from ticketminer.text import snippet as snippet_module
from ticketminer.text.snippet import SNIPPET_CHARS, masked_snippet

LINES = Path(__file__).resolve().parent / "fixtures" / "text" / "tickets_mixed.txt"


def whole_then_cut(subject: str, description: str, limit: int = SNIPPET_CHARS) -> str:
    """What the snippet was before issue 19: the whole text masked, then cut."""
    text = " ".join(part for part in (subject, description) if part)
    return mask_pii(normalize(text))[:limit]


def test_masks_only_a_window_of_a_long_description(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def spy(text: str) -> str:
        seen.append(len(text))
        return mask_pii(text)

    monkeypatch.setattr(snippet_module, "mask_pii", spy)
    description = "my order 884213 never arrived, call 13800138000. " * 1300  # ~64 KB
    assert masked_snippet("Where is it", description) == whole_then_cut("Where is it", description)
    assert seen and max(seen) <= 2 * SNIPPET_CHARS


def test_a_token_across_the_edge_is_masked_whole() -> None:
    for pad in range(170, 215):
        for pii in (
            "13800138000",
            "4111 1111 1111 1111",
            "zhang.wei@example.com",
            "订单号 123456789",
        ):
            text = "x" * pad + " " + pii + " and more words after it" * 20
            for limit in (SNIPPET_CHARS, pad, pad + 3):
                assert masked_snippet("", text, limit) == whole_then_cut("", text, limit)


def test_placeholders_shorter_than_the_text_widen_the_window() -> None:
    # 60 URLs of 80 characters mask to 60 "<url>": what is shown comes from far past the window.
    text = " ".join(f"https://example.com/{'a' * 60}/{i}" for i in range(60)) + " the end"
    shown = masked_snippet("", text)
    assert shown == whole_then_cut("", text)
    assert shown.startswith("<url> <url>") and "example" not in shown


def test_same_as_masking_everything_on_the_fixture_tickets() -> None:
    lines = [line for line in LINES.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i in range(len(lines)):
        description = " ".join(lines[i : i + 8])  # long enough to need the window
        for limit in (40, SNIPPET_CHARS):
            assert masked_snippet(lines[i], description, limit) == whole_then_cut(
                lines[i], description, limit
            )


_ATOMS = st.sampled_from(
    [
        "order",
        "订单号",
        "tracking no",
        ":",
        "#",
        " ",
        " ",
        "  ",
        "\n",
        "is",
        "a",
        "x.",
        "-",
        "123",
        "4567",
        "884213",
        "13800138000",
        "+86 138 0013 8000",
        "4111 1111 1111 1111",
        "a@b.cc",
        "zhang.wei@example.co.uk",
        "https://t.cn/abc",
        "www.example.org/x",
        "ok",
        "example.com/track/1",
        "1.2.3.4",
        "2024-03-15",
        "010-62345678",
        "SF1234567890123",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=st.lists(_ATOMS, max_size=6).map("".join),
    description=st.lists(_ATOMS, min_size=20, max_size=160).map("".join),
    limit=st.integers(1, 120),
)
def test_same_as_masking_everything(subject: str, description: str, limit: int) -> None:
    assert masked_snippet(subject, description, limit) == whole_then_cut(
        subject, description, limit
    )
