"""Which attributes a root-cause search may name, within a fixed budget.

The search tests every combination of up to three attributes, so its cost grows with
the cube of the attribute count: 156 keys make 620,000 cuboids, and the search ran
out of memory. An attribute that most tickets carry, with a few values, can name a
cause a support lead acts on (carrier, region, product); one on a few tickets, or one
with a value per ticket (an order id), cannot. So attributes are ranked by support
and cardinality, and only the best ones enter the cube.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DimensionStats:
    name: str
    support: float  # tickets (or mass) with a value
    cardinality: int  # distinct values


def informativeness(stat: DimensionStats) -> float:
    """Support, discounted by the bits needed to name a value: among attributes that
    every ticket carries, a 5-value carrier beats a 5,000-value SKU."""
    if stat.cardinality < 2:
        return 0.0
    return stat.support / math.log2(stat.cardinality + 1)


def choose_dimensions(
    stats: Sequence[DimensionStats], max_dimensions: int, max_cardinality: float
) -> list[str]:
    """At most `max_dimensions` names, most informative first; attributes with one
    value or more than `max_cardinality` values are never chosen."""
    usable = [s for s in stats if 2 <= s.cardinality <= max_cardinality and s.support > 0]
    ranked = sorted(usable, key=lambda s: (-informativeness(s), s.name))
    return [s.name for s in ranked[:max_dimensions]]


def cuboid_count(n_attributes: int, max_dims: int) -> int:
    """Attribute sets of 1 to `max_dims` members: the cuboids of the lattice."""
    return sum(math.comb(n_attributes, d) for d in range(1, min(max_dims, n_attributes) + 1))
