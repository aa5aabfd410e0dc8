"""Reading values out of helpdesk JSON (webhook bodies and export files) with errors
that name the field, so a bad record is reported, never a traceback.

Helpdesks disagree on shapes: times come as RFC 3339 (`2020-11-13T14:34:35.282Z`),
as unix seconds (Chatwoot's `created_at: 1627063369`) or as `2020-03-03 13:05:57 UTC`
(Chatwoot's webhook sample); ids as numbers or strings; bodies as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from html.parser import HTMLParser
from typing import Any

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.timeutil import in_supported_range

_MAX_UNIX_SECONDS = 7_258_118_400  # 2200-01-01, the end of the supported range


def invalid(field: str, description: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(field, description)])


def load_json(body: bytes, field: str = "body") -> Any:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise invalid(field, f"is not valid UTF-8: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, or nesting too deep
        raise invalid(field, f"is not valid JSON: {exc}") from exc


def obj(value: Any, field: str, required: bool = True) -> Mapping[str, Any]:
    """A JSON object; an absent (None) one is empty unless `required`."""
    if isinstance(value, Mapping):
        return value
    if value is None and not required:
        return {}
    raise invalid(field, "must be a JSON object")


def items(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(field, "must be a JSON array")
    return value


def checked(value: str, field: str) -> str:
    """`value`, unless it holds a lone surrogate (JSON allows "\\ud800"; UTF-8 and the
    database do not)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise invalid(field, "holds an unpaired surrogate (not valid Unicode)") from None
    return value


def text(value: Any, field: str) -> str:
    """A string, or a number written as one (ids); None is empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return checked(value, field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise invalid(field, "must be a string or a number")


def ident(value: Any, field: str) -> str:
    """A required id: a non-empty string or an integer."""
    found = text(value, field).strip()
    if not found:
        raise invalid(field, "is required")
    return found


def flag(value: Any, field: str, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(field, "must be true or false")


def moment(value: Any, field: str, tz: tzinfo | None = None) -> datetime | None:
    """A time from RFC 3339, `Y-m-d H:M:S UTC` or unix seconds; a time without an
    offset is read in `tz` (UTC when None). None or "" is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid(field, "must be a time, not true or false")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        if not 0 <= value < _MAX_UNIX_SECONDS:
            raise invalid(field, f"is not a unix time in the supported range: {value!r}")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise invalid(field, "must be a time (RFC 3339 text or unix seconds)")
    raw = value.strip()
    if raw.endswith(" UTC"):
        raw = raw[: -len(" UTC")] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(field, f"is not a time: {value[:64]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz or UTC)
    parsed = parsed.astimezone(UTC)
    if not in_supported_range(parsed):
        raise invalid(field, f"is outside the supported range: {value[:64]!r}")
    return parsed


def required_moment(value: Any, field: str, tz: tzinfo | None = None) -> datetime:
    found = moment(value, field, tz)
    if found is None:
        raise invalid(field, "is required")
    return found


def name_of(value: Any, field: str, *keys: str) -> str:
    """A named thing given as text ("open") or as an object ({"name": "open"})."""
    if isinstance(value, Mapping):
        for key in keys or ("name",):
            found = value.get(key)
            if found not in (None, ""):
                return text(found, f"{field}.{key}")
        return ""
    return text(value, field)


_BLOCKS = frozenset(("br", "p", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "pre"))


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(body: str) -> str:
    """The readable text of an HTML body (Zammad and Freshdesk send HTML), so issue
    discovery sees words, not markup."""
    parser = _TextOf()
    parser.feed(body)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
