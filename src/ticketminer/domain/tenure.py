"""Customer tenure at the time of a ticket: how long the customer had been one.

The first weeks after a purchase are when customers decide whether they bought
wisely, so tickets are bucketed by the age of the customer relationship when they
were created. Bucket names follow the edges, so a platform that sets its own edges
(say 7, 30 and 180 days) gets names that say what they hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from ticketminer.domain.errors import FieldViolation, InvalidArgument

DEFAULT_EDGES_DAYS = (30, 90)
UNKNOWN = ""  # the ticket carries no customer_since


@dataclass(frozen=True, slots=True)
class TenureBuckets:
    """Buckets [0, e1), [e1, e2), ... [en, inf) in whole days since customer_since.
    A ticket created before customer_since (a pre-sales question) counts as the first
    bucket's: it comes from a customer at the very start."""

    edges_days: tuple[int, ...] = DEFAULT_EDGES_DAYS

    def __post_init__(self) -> None:
        edges = self.edges_days
        if not edges or any(e <= 0 for e in edges) or list(edges) != sorted(set(edges)):
            raise ValueError(f"tenure edges must be increasing positive days, not {edges!r}")

    @property
    def names(self) -> tuple[str, ...]:
        edges = self.edges_days
        names = [f"first_{edges[0]}_days"]
        names += [f"days_{lo + 1}_to_{hi}" for lo, hi in itertools.pairwise(edges)]
        return (*names, f"over_{edges[-1]}_days")

    def check(self, wanted: tuple[str, ...], field: str) -> None:
        """InvalidArgument naming each unknown bucket of a filter."""
        bad = [
            FieldViolation(f"{field}[{i}]", f"unknown tenure bucket {name!r}; use one of "
                           + ", ".join(self.names) + ' or "" (no customer_since)')
            for i, name in enumerate(wanted)
            if name != UNKNOWN and name not in self.names
        ]  # fmt: skip
        if bad:
            raise InvalidArgument(bad)


def parse_edges(text: str) -> TenureBuckets:
    """ "30,90" -> TenureBuckets((30, 90)); ValueError with the reason."""
    try:
        edges = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"tenure edges must be whole days like 30,90, not {text!r}") from exc
    return TenureBuckets(edges)


DEFAULT_BUCKETS = TenureBuckets()

# The buckets of a tenant (its own edges, else the server's default).
TenureOf = Callable[[str], TenureBuckets]


def default_tenure(_tenant_id: str) -> TenureBuckets:
    return DEFAULT_BUCKETS
