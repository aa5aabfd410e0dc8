"""Customer insights end to end: `ticketminer synth --preset lifecycle` writes a history
whose truth is known (first-week customers who cannot activate their account, and
customers who write in to praise the packaging); the real server ingests it through
the real grpcurl, re-clusters and scans, and then GetCustomerInsights ranks the
activation issue first among new customers and the packaging praise first among
what customers praise. The weekly digest shows the same in its three sections."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from databases import fresh_db
from e2e_synth import call, synth
from server_process import ServerProcess

pytestmark = [pytest.mark.e2e]

FLAGS = ("--recluster-min-tickets", "1000000000", "--anomaly-scan-seconds", "0")
SYNTH = ("--weeks", "4", "--tickets-per-day", "300", "--seed", "3")
TZ = "Asia/Shanghai"


def _topics(ids, labels: dict[str, str]) -> Counter:
    return Counter(labels[i] for i in ids)


def _majority(ids, labels: dict[str, str]) -> tuple[str, float]:
    """The most common true topic of the tickets, and its share."""
    (topic, count), *_ = _topics(ids, labels).most_common(1)
    return topic, count / len(ids)


def _issue_tickets(server, flt: dict) -> list[str]:
    listed = call(server, "ListTickets", {"tenant_id": "shop", "filter": flt, "page_size": 1000})
    return [t["ticket"]["external_id"] for t in listed["tickets"]]


def test_new_customer_issue_and_praise_topic_rank_first(tmp_path):
    stream, truth = synth(tmp_path, "lifecycle", "shop", *SYNTH)
    labels, journey = truth["labels"], truth["journey"]
    activation, praise = journey["activation_topic"], journey["praise_topic"]
    with ServerProcess(fresh_db(tmp_path, "lifecycle"), extra_args=FLAGS) as server:
        assert call(server, "IngestTickets", stream).get("rejected", 0) == 0
        call(server, "ReclusterIssues", {"tenant_id": "shop"}, timeout=300)
        call(server, "ScanAnomalies", {"tenant_id": "shop"}, timeout=300)
        found = call(server, "GetCustomerInsights", {"tenant_id": "shop", "top": 5})

        # New customers: the top issue is the activation trouble, read off its tickets.
        assert found["new_customer_bucket"] == "first_30_days"
        top = found["new_customer_issues"][0]
        new_tickets = _issue_tickets(server, top["drill_down"])
        assert len(new_tickets) == int(top["new_customer_tickets"])
        topic, share = _majority(new_tickets, labels)
        assert (topic, share > 0.8) == (activation, True), _topics(new_tickets, labels)
        assert set(top["evidence_ticket_ids"]) <= set(journey["activation_ids"])
        assert top["lift"] > 3 and top["p_value"] <= top["q_value"] < 1e-6

        # Praise: the top issue is the packaging compliments, and so are the tickets of
        # the top words (in Chinese or English).
        issues = [d for d in found["praise"] if d["kind"] == "issue"]
        words = [d for d in found["praise"] if d["kind"] == "term"]
        praised = _issue_tickets(server, issues[0]["drill_down"])
        topic, share = _majority(praised, labels)
        assert (topic, share > 0.8) == (praise, True), _topics(praised, labels)
        assert set(issues[0]["evidence_ticket_ids"]) <= set(journey["praise_ids"])
        assert words, found["praise"]
        for word in words[:3]:
            assert _majority(word["evidence_ticket_ids"], labels)[0] == praise, word

        # The digest of the last full week shows the same in its three sections.
        digest = call(
            server,
            "GetWeeklyDigest",
            {"tenant_id": "shop", "iso_week": _last_week(truth), "time_zone": TZ},
        )
        weekly = digest["digest"]["customers"]
        top_new = weekly["new_customer_issues"][0]
        assert _majority(top_new["evidence_ticket_ids"], labels)[0] == activation
        top_praise = next(d for d in weekly["praise"] if d["kind"] == "issue")
        assert _majority(top_praise["evidence_ticket_ids"], labels)[0] == praise
        for title in ("## New customers", "## What customers praise", "## Minefields"):
            assert title in digest["markdown"]
        assert top_new["label"] in digest["markdown"] and top_praise["label"] in digest["html"]


def _last_week(truth: dict) -> str:
    """The ISO week before the history's end (the history ends on a Monday)."""
    last_day = date.fromisoformat(truth["scenario"]["end"]) - timedelta(days=1)
    return "{}-W{:02d}".format(*last_day.isocalendar()[:2])
