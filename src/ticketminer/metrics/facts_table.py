"""An immutable, column-wise snapshot of one tenant's ticket facts.

Metrics over a million tickets must answer in well under a second, which rules out
row-by-row SQL aggregation; numpy columns kept in memory and caught up by change
number do it in tens of milliseconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ticketminer.domain import limits
from ticketminer.metrics.tags import TagIndex
from ticketminer.store.facts_repo import FactRows
from ticketminer.store.schema import METRIC_FACTS

MISSING = -1  # code of an absent categorical value (e.g. attribute key not set)
# Attribute columns kept per table, least recently used dropped first: each costs 4
# bytes a ticket, and a caller may name any key.
DEFAULT_MAX_ATTRIBUTE_COLUMNS = limits.MAX_ATTRIBUTE_COLUMNS

NUMERIC = ("version", *METRIC_FACTS)
DURATIONS = ("first_response_s", "resolution_s", "full_resolution_s")


@dataclass(frozen=True, slots=True)
class Categorical:
    """Strings as integer codes; `values[code]` is the string."""

    codes: np.ndarray
    values: tuple[str, ...]

    def code_of(self, value: str) -> int | None:
        try:
            return self.values.index(value)
        except ValueError:
            return None


def encode(strings: Sequence[str], known: tuple[str, ...] = ()) -> Categorical:
    """Codes for `strings`, keeping the codes of `known` values stable."""
    index = {v: i for i, v in enumerate(known)}
    codes = np.fromiter(
        (index.setdefault(s, len(index)) for s in strings), dtype=np.int32, count=len(strings)
    )
    return Categorical(codes, tuple(index))


@dataclass(slots=True)
class FactsTable:
    """Columns aligned by row; rows sorted by ticket pk. Never mutated once published,
    except for lazily added derived data, which is guarded by a lock."""

    pk: np.ndarray
    numeric: dict[str, np.ndarray]
    channel: Categorical
    customer_id: Categorical
    attributes: OrderedDict[str, Categorical] = field(default_factory=OrderedDict)
    max_attribute_columns: int = DEFAULT_MAX_ATTRIBUTE_COLUMNS
    # Loaded on the first tag filter or grouping, then kept caught up (see `merged`).
    tags: TagIndex | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return len(self.pk)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.numeric[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    @classmethod
    def empty(cls, max_attribute_columns: int = DEFAULT_MAX_ATTRIBUTE_COLUMNS) -> FactsTable:
        table = cls.from_rows(_EMPTY_ROWS)
        table.max_attribute_columns = max_attribute_columns
        return table

    @classmethod
    def from_rows(cls, rows: FactRows) -> FactsTable:
        return cls(
            pk=rows.pk,
            numeric={name: getattr(rows, name) for name in NUMERIC},
            channel=encode(rows.channel),
            customer_id=encode(rows.customer_id),
        )

    def merged(self, rows: FactRows) -> FactsTable:
        """A new table with `rows` inserted or replacing the rows of the same pk.
        Attribute columns and tags are carried over for unchanged rows only; the
        caller reloads the changed ones (see `with_attribute` and `with_tags`)."""
        if len(rows) == 0:
            return self
        pos = np.searchsorted(self.pk, rows.pk)
        clipped = np.minimum(pos, max(len(self.pk) - 1, 0))
        exists = (
            (pos < len(self.pk)) & (self.pk[clipped] == rows.pk)
            if len(self.pk)
            else (np.zeros(len(rows), dtype=bool))
        )
        fresh = ~exists
        pk = np.concatenate([self.pk, rows.pk[fresh]])
        numeric = {}
        for name in NUMERIC:
            col = np.concatenate([self.numeric[name], getattr(rows, name)[fresh]])
            col[pos[exists]] = getattr(rows, name)[exists]
            numeric[name] = col
        channel = _merge_categorical(self.channel, rows.channel, pos, exists)
        customer = _merge_categorical(self.customer_id, rows.customer_id, pos, exists)
        attrs: OrderedDict[str, Categorical] = OrderedDict()
        for key, cat in self.attributes.items():
            codes = np.concatenate([cat.codes, np.full(int(fresh.sum()), MISSING, np.int32)])
            codes[pos[exists]] = MISSING
            attrs[key] = Categorical(codes, cat.values)
        table = FactsTable(pk, numeric, channel, customer, attrs, self.max_attribute_columns)
        if len(pk) > 1 and not bool(np.all(pk[1:] > pk[:-1])):
            table = table._take(np.argsort(pk, kind="stable"))
        if self.tags is not None:
            table.tags = TagIndex.build(table.pk, rows.pk, [[]] * len(rows), self.tags, self.pk)
        return table

    def without(self, pks: np.ndarray) -> FactsTable:
        """A new table without the rows of `pks` (deleted tickets); pks it does not
        hold are ignored."""
        gone = np.isin(self.pk, pks)
        if not gone.any():
            return self
        return self._take(np.flatnonzero(~gone))

    def _take(self, order: np.ndarray) -> FactsTable:
        return FactsTable(
            self.pk[order],
            {k: v[order] for k, v in self.numeric.items()},
            Categorical(self.channel.codes[order], self.channel.values),
            Categorical(self.customer_id.codes[order], self.customer_id.values),
            OrderedDict(
                (k, Categorical(c.codes[order], c.values)) for k, c in self.attributes.items()
            ),
            self.max_attribute_columns,
        )

    def with_attribute(self, key: str, pks: np.ndarray, values: Sequence[str]) -> None:
        """Fill attribute `key` for rows `pks` (all other rows keep their codes)."""
        with self._lock:
            current = self.attributes.get(key)
            base = current or Categorical(np.full(len(self.pk), MISSING, np.int32), ())
            cat = encode(values, base.values)
            codes = base.codes.copy()
            rows = np.searchsorted(self.pk, pks)
            # Values read after this snapshot may name tickets it does not hold yet.
            present = rows < len(self.pk)
            present[present] = self.pk[rows[present]] == pks[present]
            codes[rows[present]] = cat.codes[present]
            self.attributes[key] = Categorical(codes, cat.values)
            self.attributes.move_to_end(key)
            while len(self.attributes) > self.max_attribute_columns:
                self.attributes.popitem(last=False)

    def attribute(self, key: str, load: Callable[[], tuple[np.ndarray, list[str]]]) -> Categorical:
        """Attribute `key` as a column, loaded on first use. A key no ticket has is
        answered with an empty column and never kept, so made-up keys cost nothing."""
        with self._lock:
            found = self.attributes.get(key)
            if found is not None:
                self.attributes.move_to_end(key)
                return found
        pks, values = load()
        if len(pks) == 0:
            return Categorical(np.full(len(self.pk), MISSING, np.int32), ())
        self.with_attribute(key, pks, values)
        with self._lock:
            return self.attributes.get(key) or self._column(key, pks, values)

    def tag_index(self, load: Callable[[], tuple[np.ndarray, list[list[str]]]]) -> TagIndex:
        """Every ticket's tags, loaded on first use."""
        with self._lock:
            if self.tags is not None:
                return self.tags
        pks, tags = load()
        index = TagIndex.build(self.pk, pks, tags)
        with self._lock:
            if self.tags is None:
                self.tags = index
            return self.tags

    def with_tags(self, pks: np.ndarray, tags: Sequence[Sequence[str]]) -> None:
        """Set the tags of tickets `pks` (an empty list: untagged), if tags are loaded."""
        with self._lock:
            if self.tags is not None:
                self.tags = TagIndex.build(self.pk, pks, tags, self.tags)

    def _column(self, key: str, pks: np.ndarray, values: Sequence[str]) -> Categorical:
        """The column, built afresh (it was evicted by another thread meanwhile)."""
        shadow = FactsTable(self.pk, {}, self.channel, self.customer_id)
        shadow.with_attribute(key, pks, values)
        return shadow.attributes[key]


def _merge_categorical(
    cat: Categorical, new: Sequence[str], pos: np.ndarray, exists: np.ndarray
) -> Categorical:
    added = encode(new, cat.values)
    codes = np.concatenate([cat.codes, added.codes[~exists]])
    codes[pos[exists]] = added.codes[exists]
    return Categorical(codes, added.values)


_EMPTY_ROWS = FactRows(
    pk=np.zeros(0, np.int64),
    version=np.zeros(0, np.int64),
    created_us=np.zeros(0, np.int64),
    status=np.zeros(0, np.int8),
    csat=np.zeros(0, np.int8),
    first_response_s=np.zeros(0),
    resolution_s=np.zeros(0),
    full_resolution_s=np.zeros(0),
    solved=np.zeros(0, bool),
    ever_solved=np.zeros(0, bool),
    reopened=np.zeros(0, bool),
    fcr=np.zeros(0, np.int8),
    fcr_no_followup=np.zeros(0, np.int8),
    customer_since_us=np.zeros(0, np.int64),
    channel=[],
    customer_id=[],
)
