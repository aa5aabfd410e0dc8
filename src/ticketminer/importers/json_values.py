"""Reading the fields of a decoded helpdesk JSON record (a webhook body, a Zammad or
Chatwoot export) with errors that name the field, so a bad record is reported, never
a traceback. The values themselves are read by `importers.values`, the same readers
the CSV and API importers use; this module only raises their `Invalid` as an
InvalidArgument on the field's path.

Helpdesks disagree on shapes: times come as RFC 3339 (`2020-11-13T14:34:35.282Z`),
as unix seconds (Chatwoot's `created_at: 1627063369`) or as `2020-03-03 13:05:57 UTC`
(Chatwoot's webhook sample); ids as numbers or strings; bodies as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from html.parser import HTMLParser
from typing import Any, TypeVar

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.model import TicketStatus
from ticketminer.importers import values
from ticketminer.importers.json_records import NotJson, decode

T = TypeVar("T")


def invalid(field: str, description: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(field, description)])


def read(value: values.Mapped[T], field: str) -> T | None:
    """A value reader's answer, with its `Invalid` raised on `field`."""
    if type(value) is values.Invalid:
        raise invalid(field, value.reason)
    return value  # type: ignore[return-value]


def load_json(body: bytes, field: str = "body") -> Any:
    try:
        return decode(body)
    except NotJson as exc:
        raise invalid(field, str(exc)) from None


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


def text(value: Any, field: str) -> str:
    """A string, or a number written as one (ids); None is empty."""
    return read(values.text(value), field) or ""


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
    """A time from RFC 3339, `Y-m-d H:M:S UTC` or unix seconds, in UTC; a time
    without an offset is read in `tz` (UTC when None). None or "" is None."""
    found = read(values.moment(value, tz or UTC), field)
    return None if found is None else found.astimezone(UTC)


def required_moment(value: Any, field: str, tz: tzinfo | None = None) -> datetime:
    found = moment(value, field, tz)
    if found is None:
        raise invalid(field, "is required")
    return found


def status(value: Any, field: str) -> TicketStatus:
    """A status word (`values.status_word`); UNSPECIFIED when absent."""
    return read(values.status_word(value), field) or TicketStatus.UNSPECIFIED


def tags(value: Any, field: str) -> tuple[str, ...] | None:
    """Tags as a JSON array of strings or as "a, b" text; None when absent."""
    found = read(values.tags(value), field)
    return None if value is None else tuple(found or ())


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
