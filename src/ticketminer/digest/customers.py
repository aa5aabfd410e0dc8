"""The digest's customer sections ("New customers", "What customers praise",
"Minefields") as plain rows that both renderers draw.

The sentences and numbers are worded here once, so the Markdown and the HTML page
say the same thing; each renderer only escapes the cells and draws the bars.
"""

from __future__ import annotations

from dataclasses import dataclass

from ticketminer.digest import formatting as fmt
from ticketminer.domain.lifecycle import (
    ALPHA,
    MIN_POSITIVES,
    MIN_SUPPORT,
    CustomerInsights,
    OutcomeDriver,
)

KEYS = ("new_customers", "praise", "minefields")


def _gates(outcome: str) -> str:
    return (
        f"at least {MIN_SUPPORT} tickets, {MIN_POSITIVES} of them {outcome}, and p < {ALPHA:g} "
        "after adjusting for the number of items tested"
    )


@dataclass(frozen=True, slots=True)
class CustomerRow:
    subject: str  # user text: an issue label or a word
    kind: str  # "Issue" or "Word"
    numbers: tuple[str, ...]  # formatted, one per number column
    rate: float  # the bar: the share among new customers, or the outcome rate
    baseline: float  # the bar's reference: the share among others, or the window's rate
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomerSection:
    key: str  # one of KEYS (also the section's title key)
    intro: str
    columns: tuple[str, ...]  # titles of `CustomerRow.numbers`
    bar_labels: tuple[str, str]  # what the bar's two lengths are
    rows: tuple[CustomerRow, ...]
    nothing: str  # said when there are no rows


def bucket_text(bucket: str) -> str:
    """ "first_30_days" reads "first 30 days"."""
    return fmt.clean(bucket.replace("_", " "))


def _ratio(part: int, whole: int, what: str) -> str:
    return f"{part:,} of the {whole:,} {what} ({fmt.percent(part / whole if whole else None)})"


def _new_customers(c: CustomerInsights) -> CustomerSection:
    bucket = bucket_text(c.new_bucket)
    if c.with_tenure:
        intro = (
            f"{_ratio(c.new_customer_tickets, c.with_tenure, 'tickets with a customer_since')}"
            f" came from customers in their {bucket}. The issues where they concentrate, "
            f"by lift ({_gates('from new customers')})."
        )
    else:
        intro = "No ticket this week carried customer_since, so tenure is unknown."
    rows = tuple(
        CustomerRow(
            subject=n.label or f"issue {n.issue_id}",
            kind="Issue",
            numbers=(
                fmt.count(n.new_tickets),
                fmt.percent(n.share_new),
                fmt.percent(n.share_other),
                f"{n.lift:.1f}×",
                fmt.percent(n.metrics_new.fcr.value),
                fmt.duration(n.metrics_new.first_response_time.p50_seconds),
            ),
            rate=n.share_new,
            baseline=n.share_other,
            evidence=n.evidence_ticket_ids,
        )
        for n in c.new_customer_issues
    )
    return CustomerSection(
        key="new_customers",
        intro=intro,
        columns=("New cust.", "Share new", "Share others", "Lift", "FCR new", "1st resp. new"),
        bar_labels=("share of new customers' tickets", "share of other customers' tickets"),
        rows=rows,
        nothing="No issue concentrated among new customers strongly enough to stand out.",
    )


def _driver_row(d: OutcomeDriver) -> CustomerRow:
    is_issue = d.kind == "issue"
    return CustomerRow(
        subject=(d.label or f"issue {d.issue_id}") if is_issue else d.term,
        kind="Issue" if is_issue else "Word",
        numbers=(
            fmt.count(d.tickets),
            fmt.count(d.with_outcome),
            fmt.percent(d.rate),
            f"{d.lift:.1f}×",
        ),
        rate=d.rate,
        baseline=d.rate / d.lift if d.lift > 0 else 0.0,
        evidence=d.evidence_ticket_ids,
    )


def _drivers(
    key: str, drivers: tuple[OutcomeDriver, ...], hits: int, total: int, what: str, label: str
) -> CustomerSection:
    intro = (
        f"{_ratio(hits, total, 'tickets')} {what}. The issues and words (Chinese and "
        f"English alike) that go with it, by lift ({_gates('with it')})."
    )
    return CustomerSection(
        key=key,
        intro=intro,
        columns=("Tickets", label, "Rate", "Lift"),
        bar_labels=(f"{label.lower()} rate", "the week's rate"),
        rows=tuple(_driver_row(d) for d in drivers),
        nothing=f"Nothing went with {label.lower()} strongly enough to stand out.",
    )


def customer_sections(c: CustomerInsights) -> list[CustomerSection]:
    return [
        _new_customers(c),
        _drivers(
            "praise",
            c.praise,
            c.praise_tickets,
            c.tickets,
            "carried praise (CSAT 5, or strong positive sentiment and no complaint)",
            "Praise",
        ),
        _drivers(
            "minefields",
            c.minefields,
            c.trouble_tickets,
            c.tickets,
            "ran into trouble (CSAT 1-2 or a reopen)",
            "Trouble",
        ),
    ]
