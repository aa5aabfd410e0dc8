"""What a scan reads and what it finds: the types the scan, the explainer and the
incident folding share (a module of their own so that none imports another's
machinery)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ticketminer.anomalies.hourly import HourGrid
from ticketminer.anomalies.slices import Slice, SliceColumn
from ticketminer.domain.anomalies import Detection
from ticketminer.metrics.facts_table import FactsTable

SECOND_US = 1_000_000


@dataclass(frozen=True, slots=True)
class ScanInput:
    facts: FactsTable
    issue_column: np.ndarray  # issue id per facts row (0: unassigned)
    negative: np.ndarray  # int8 per facts row: 1 angry (text/anger.py), 0 not, -1 unknown
    grid: HourGrid
    # int8 FCR per facts row in the tenant's variant (selection.fcr_column); None =
    # the default variant.
    fcr: np.ndarray | None = None
    # Attributes whose value slices are watched for surges, most informative first.
    slice_columns: tuple[SliceColumn, ...] = ()
    # Issues close in meaning, whose summed volume is watched (issue_groups).
    issue_groups: tuple[tuple[int, ...], ...] = ()


# Which of `rows` count as "bad" for a KPI, judged against `reference` rows (the
# baseline) where the norm depends on them.
BadRows = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Finding:
    """A detection plus what the explainer needs to find its tickets."""

    detection: Detection
    event_time: str  # which per-ticket time the metric is indexed by
    bad: BadRows | None  # KPI: which rows count as "bad"
    issue_ids: tuple[int, ...] = field(default_factory=tuple)
    scope: str = ""  # e.g. "in channel 'email'" for a channel's series
    # The facts rows of the series (its issue, channel or slice); None: the tenant.
    scope_rows: np.ndarray | None = None
    slice: Slice | None = None
    members: tuple[int, ...] = ()  # an issue group's issues
    # Detections of the same incident folded into this one.
    related: tuple[Detection, ...] = ()


def event_us(facts: FactsTable, which: str) -> np.ndarray:
    """Per row, when the metric's value became known (int64 us; huge if never)."""
    created = facts.created_us
    if which == "created":
        return created
    seconds = facts.first_response_s if which == "responded" else facts.full_resolution_s
    later = created + np.nan_to_num(seconds * SECOND_US, nan=np.inf).clip(max=2**62)
    return np.where(np.isnan(seconds), np.iinfo(np.int64).max, later.astype(np.int64))
