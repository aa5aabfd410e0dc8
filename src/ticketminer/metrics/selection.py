"""Turn a TicketFilter into a row mask, so metrics and drill-down select identically."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ticketminer.domain.filters import Cohort, FcrVariant, TicketFilter
from ticketminer.domain.timeutil import to_us
from ticketminer.metrics.facts_table import MISSING, Categorical, FactsTable
from ticketminer.metrics.tags import TagIndex

AttributeColumn = Callable[[str], Categorical]
# Issue id per facts row; loaded only when a filter or grouping needs it.
IssueColumn = Callable[[], np.ndarray]
# Tenure bucket per facts row, computed only when a filter or grouping needs it.
TenureColumn = Callable[[], Categorical]
# Tickets' tags, loaded only when a filter or grouping needs them.
TagColumn = Callable[[], TagIndex]


def _in_values(cat: Categorical, wanted: tuple[str, ...]) -> np.ndarray:
    codes = [c for c in (cat.code_of(v) for v in wanted) if c is not None]
    return np.isin(cat.codes, codes)


def fcr_column(facts: FactsTable, variant: FcrVariant) -> np.ndarray:
    """int8 per row: -1 not solved (not in the FCR denominator), 0 no, 1 yes."""
    return facts.fcr_no_followup if variant == FcrVariant.NO_CUSTOMER_FOLLOWUP else facts.fcr


def cohort_mask(facts: FactsTable, cohort: Cohort, variant: FcrVariant) -> np.ndarray | None:
    """The rows behind one metric's numerator or denominator; None selects all."""
    if cohort == Cohort.ALL:
        return None
    if cohort == Cohort.SOLVED:
        return facts.solved
    if cohort == Cohort.FCR:
        return fcr_column(facts, variant) == 1
    if cohort == Cohort.NOT_FCR:
        return fcr_column(facts, variant) == 0
    if cohort == Cohort.RESPONDED:
        return ~np.isnan(facts.first_response_s)
    if cohort == Cohort.UNRESPONDED:
        return np.isnan(facts.first_response_s)
    if cohort == Cohort.REOPENED:
        return facts.reopened & facts.ever_solved
    if cohort == Cohort.RATED:
        return facts.csat > 0
    if cohort == Cohort.EVER_SOLVED:
        return facts.ever_solved
    raise ValueError(f"unknown cohort {cohort!r}")


def select(
    facts: FactsTable,
    flt: TicketFilter,
    attribute: AttributeColumn,
    issues: IssueColumn | None = None,
    tenure: TenureColumn | None = None,
    tags: TagColumn | None = None,
) -> np.ndarray:
    """Boolean mask of the rows that match every condition of `flt`."""
    mask = np.ones(len(facts), dtype=bool)
    created = facts.created_us
    if flt.start_time is not None:
        mask &= created >= to_us(flt.start_time)
    if flt.end_time is not None:
        mask &= created < to_us(flt.end_time)
    if flt.channels:
        mask &= _in_values(facts.channel, flt.channels)
    if flt.statuses:
        mask &= np.isin(facts.status, [int(s) for s in flt.statuses])
    if flt.customer_id:
        mask &= _in_values(facts.customer_id, (flt.customer_id,))
    for key, value in flt.attributes:
        column = attribute(key)
        if value == "":  # documented: an empty value selects tickets without the key
            mask &= column.codes == MISSING
        else:
            mask &= _in_values(column, (value,))
    if flt.issue_ids:
        if issues is None:
            raise ValueError("an issue filter needs the issue column")
        mask &= np.isin(issues(), list(flt.issue_ids))
    if flt.tenure_buckets:
        if tenure is None:
            raise ValueError("a tenure filter needs the tenure column")
        column = tenure()
        wanted = _in_values(column, flt.tenure_buckets)
        if "" in flt.tenure_buckets:
            wanted |= column.codes == MISSING
        mask &= wanted
    if flt.tags:
        if tags is None:
            raise ValueError("a tag filter needs the tickets' tags")
        mask &= tags().matching(flt.tags, len(facts))
    cohort = cohort_mask(facts, flt.cohort, flt.fcr_variant)
    if cohort is not None:
        mask &= cohort
    return mask
