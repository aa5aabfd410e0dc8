"""GetCustomerInsights: what trips up new customers, what customers praise, and the
minefields, for one window.

The rankings come from OutcomeAssociation over the window's tickets: issues as one
column each, and the words the ingest pipeline stored for each ticket (both languages
alike), so a praised packaging detail and 包装 are found the same way.

Praise is a CSAT of 5, or explicit praise: a sentiment at the praise line and no complaint
signal. A polite complaint ("arrived broken, thank you so much") is never praise, and
politeness words never rank as praise drivers (issue 21).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from itertools import chain

import numpy as np
from scipy import sparse
from sqlalchemy import Engine

from ticketminer.domain.errors import FieldViolation, InvalidArgument
from ticketminer.domain.filters import GroupBy, MetricsQuery, TicketFilter
from ticketminer.domain.issues import UNASSIGNED
from ticketminer.domain.lifecycle import (
    ALPHA,
    LOW_CSAT,
    MIN_POSITIVES,
    MIN_SUPPORT,
    POSITIVE_SENTIMENT,
    PRAISE_CSAT,
    CustomerInsights,
    NewCustomerIssue,
    OutcomeDriver,
)
from ticketminer.domain.tenure import TenureBuckets, TenureOf, default_tenure
from ticketminer.domain.timeutil import to_us
from ticketminer.issues.stored_tokens import all_tokens, opening_text
from ticketminer.lifecycle.association import OutcomeAssociation, one_hot
from ticketminer.metrics.aggregate import EMPTY_METRIC_SET, empty_metric_set
from ticketminer.metrics.facts_table import FactsTable
from ticketminer.metrics.tenure import tenure_column
from ticketminer.services.facts_cache import FactsCache
from ticketminer.services.issue_columns import IssueColumns
from ticketminer.services.metrics import MetricsService
from ticketminer.store.assignments_repo import tokens_created_between
from ticketminer.store.issues_repo import external_ids
from ticketminer.store.sentiment_repo import load_sentiment
from ticketminer.text.support_signals import POLITENESS_TERMS, has_complaint

MAX_TOP = 50
EVIDENCE = 5


class LifecycleService:
    def __init__(
        self,
        engine: Engine,
        facts: FactsCache,
        columns: IssueColumns,
        metrics: MetricsService,
        labels: Callable[[str], dict[int, str]],
        tenure: TenureOf = default_tenure,
    ) -> None:
        self._engine = engine
        self._facts = facts
        self._columns = columns
        self._metrics = metrics
        self._labels = labels
        self._tenure = tenure

    def insights(
        self, tenant_id: str, start: datetime | None, end: datetime | None, top: int = 10
    ) -> CustomerInsights:
        if not 0 <= top <= MAX_TOP:
            raise InvalidArgument([FieldViolation("top", f"must be between 1 and {MAX_TOP}")])
        top = top or 10
        facts = self._facts.table(tenant_id)
        column = self._columns.column(tenant_id, facts)
        created = facts.created_us
        mask = np.ones(len(facts), dtype=bool)
        if start is not None:
            mask &= created >= to_us(start)
        if end is not None:
            mask &= created < to_us(end)
        rows = np.flatnonzero(mask)
        labels = self._labels(tenant_id)
        window = TicketFilter(start_time=start, end_time=end)
        issues = column[rows].astype(np.int64)
        n_issues = int(issues.max()) + 1 if len(issues) else 1
        issue_items = one_hot(np.where(issues == UNASSIGNED, -1, issues), n_issues)
        lo = int(created[rows].min()) if len(rows) else 0
        hi = int(created[rows].max()) + 1 if len(rows) else 0
        with self._engine.connect() as conn:
            texts = tokens_created_between(conn, tenant_id, lo, hi)
            words = _word_matrix([texts.get(p, "") for p in facts.pk[rows].tolist()])
            pks, scores = load_sentiment(conn, tenant_id, lo, hi)
            sentiment = _scores_of(facts.pk[rows], pks, scores)

            def evidence(matches: np.ndarray) -> tuple[str, ...]:
                """External ids of the newest matching tickets."""
                found = rows[matches]
                newest = found[np.argsort(-created[found], kind="stable")[:EVIDENCE]]
                ext = external_ids(conn, [int(p) for p in facts.pk[newest]])
                return tuple(ext[int(p)] for p in facts.pk[newest] if int(p) in ext)

            buckets = self._tenure(tenant_id)
            news = self._new_customers(
                tenant_id, buckets, facts, rows, issues, issue_items, labels, window, top, evidence
            )
            csat = facts.csat[rows]
            token_texts = [texts.get(p, "") for p in facts.pk[rows].tolist()]
            praised = (csat == PRAISE_CSAT) | _explicit_praise(sentiment, token_texts)
            trouble = np.isin(csat, LOW_CSAT) | (facts.reopened[rows] & facts.ever_solved[rows])
            drivers = {
                "praise": _drivers(
                    praised, issue_items, _without_politeness(words), labels, window, top, evidence
                ),
                "trouble": _drivers(trouble, issue_items, words, labels, window, top, evidence),
            }
        return CustomerInsights(
            tenant_id=tenant_id,
            start=start,
            end=end,
            tickets=len(rows),
            new_bucket=buckets.names[0],
            with_tenure=news[0],
            new_customer_tickets=news[1],
            new_customer_issues=news[2],
            praise_tickets=int(praised.sum()),
            praise=drivers["praise"],
            trouble_tickets=int(trouble.sum()),
            minefields=drivers["trouble"],
        )

    def _new_customers(
        self,
        tenant_id,
        buckets: TenureBuckets,
        facts: FactsTable,
        rows,
        issues,
        issue_items,
        labels,
        window,
        top,
        evidence,
    ) -> tuple[int, int, tuple[NewCustomerIssue, ...]]:
        """(tickets with a tenure, of them new customers', the ranked issues)."""
        codes = tenure_column(facts, buckets).codes[rows]
        known = codes >= 0
        is_new = codes == 0
        fit = OutcomeAssociation(MIN_SUPPORT, ALPHA, MIN_POSITIVES).fit(
            issue_items[known], is_new[known]
        )
        ranked = [int(i) for i in fit.ranking(top)]
        new_bucket = buckets.names[0]
        metrics, empty = {}, EMPTY_METRIC_SET
        if ranked:
            flt = replace(window, issue_ids=tuple(ranked), tenure_buckets=(new_bucket,))
            report = self._metrics.get_metrics(
                MetricsQuery(tenant_id, flt, group_by=GroupBy("issue"), with_trends=False)
            )
            metrics = {int(g.value): g for g in report.groups if g.value}
            empty = empty_metric_set(report.business_hours)
        n_new, n_other = int(is_new.sum()), int(known.sum() - is_new.sum())
        out = []
        for i in ranked:
            hits, support = int(fit.positives_[i]), int(fit.support_[i])
            group = metrics.get(i)
            out.append(
                NewCustomerIssue(
                    issue_id=i,
                    label=labels.get(i, ""),
                    new_tickets=hits,
                    other_tickets=support - hits,
                    share_new=hits / n_new if n_new else 0.0,
                    share_other=(support - hits) / n_other if n_other else 0.0,
                    lift=float(fit.concentration_[i]),
                    zscore=float(fit.zscore_[i]),
                    pvalue=float(fit.pvalue_[i]),
                    qvalue=float(fit.qvalue_[i]),
                    metrics_new=group.metrics if group else empty,
                    evidence_ticket_ids=evidence((issues == i) & is_new),
                    drill_down=replace(window, issue_ids=(i,), tenure_buckets=(new_bucket,)),
                )
            )
        return int(known.sum()), n_new, tuple(out)


def _word_matrix(texts: list[str]) -> tuple[sparse.csr_matrix, list[str]]:
    """Tickets x words of each ticket's opening (present or not), from the tokens
    stored at ingest; PII placeholders (<email>, ...) are not words, and a word needs
    MIN_SUPPORT tickets. Built with C-level maps rather than a vectorizer's Python
    loop per token: a week of a large helpdesk has half a million tokens."""
    docs = [opening_text(t).split() for t in texts]
    flat = list(chain.from_iterable(docs))
    vocabulary = sorted(set(flat))
    index = {word: i for i, word in enumerate(vocabulary)}
    rows = np.repeat(np.arange(len(docs)), np.fromiter(map(len, docs), np.int64, len(docs)))
    cols = np.fromiter(map(index.__getitem__, flat), np.int64, len(flat))
    counts = sparse.csr_matrix(
        (np.ones(len(flat)), (rows, cols)), shape=(len(docs), len(vocabulary))
    )
    counts.sum_duplicates()
    counts.data[:] = 1.0  # present or not
    support = np.bincount(counts.indices, minlength=len(vocabulary))
    keep = np.flatnonzero(
        (support >= MIN_SUPPORT) & np.array([not w.startswith("<") for w in vocabulary], bool)
    )
    return counts.tocsc()[:, keep].tocsr(), [vocabulary[k] for k in keep]


def _explicit_praise(sentiment: np.ndarray, token_texts: list[str]) -> np.ndarray:
    """Tickets whose sentiment reaches the praise line and whose stored tokens carry no
    complaint signal: scores stored before the scorer capped complaints (issue 21) rated
    "arrived broken, thank you so much" as praise, and tokens say it without a rescan."""
    out = sentiment >= POSITIVE_SENTIMENT
    for i in np.flatnonzero(out):
        out[i] = not has_complaint(" ".join(all_tokens(token_texts[i])))
    return out


def _without_politeness(
    words: tuple[sparse.csr_matrix, list[str]],
) -> tuple[sparse.csr_matrix, list[str]]:
    """The word matrix without politeness words ("help", "asap", "谢谢"): every kind of
    ticket says them, so they never explain praise."""
    matrix, vocabulary = words
    keep = [i for i, word in enumerate(vocabulary) if word not in POLITENESS_TERMS]
    return matrix.tocsc()[:, keep].tocsr(), [vocabulary[i] for i in keep]


def _scores_of(rows_pk: np.ndarray, pks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each row's sentiment score where an anomaly scan has scored it, else 0."""
    out = np.zeros(len(rows_pk))
    if len(pks):
        at = np.minimum(np.searchsorted(pks, rows_pk), len(pks) - 1)
        hit = pks[at] == rows_pk
        out[hit] = scores[at[hit]]
    return out


def _drivers(
    outcome: np.ndarray,
    issue_items: sparse.csr_matrix,
    words: tuple[sparse.csr_matrix, list[str]],
    labels: dict[int, str],
    window: TicketFilter,
    top: int,
    evidence,
) -> tuple[OutcomeDriver, ...]:
    """The issues, then the words, that go with the outcome, each ranked by lift."""
    out = []
    word_matrix, vocabulary = words
    for kind, matrix in (("issue", issue_items), ("term", word_matrix)):
        if matrix.shape[1] == 0:
            continue
        fit = OutcomeAssociation(MIN_SUPPORT, ALPHA, MIN_POSITIVES).fit(matrix, outcome)
        columns = matrix.tocsc()  # one conversion, then cheap column reads
        for j in fit.ranking(top):
            j = int(j)
            has = columns[:, j].toarray().ravel() > 0
            is_issue = kind == "issue"
            out.append(
                OutcomeDriver(
                    kind=kind,
                    issue_id=j if is_issue else None,
                    term="" if is_issue else vocabulary[j],
                    label=labels.get(j, "") if is_issue else vocabulary[j],
                    tickets=int(fit.support_[j]),
                    with_outcome=int(fit.positives_[j]),
                    rate=float(fit.positives_[j] / fit.support_[j]),
                    lift=float(fit.lift_[j]),
                    zscore=float(fit.zscore_[j]),
                    pvalue=float(fit.pvalue_[j]),
                    qvalue=float(fit.qvalue_[j]),
                    evidence_ticket_ids=evidence(has & outcome),
                    drill_down=replace(window, issue_ids=(j,)) if is_issue else None,
                )
            )
    return tuple(out)
