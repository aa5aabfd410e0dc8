"""Issue discovery end to end on real text: tickets from Banking77 (English) and
online_shopping_10_cats (Chinese) go in over gRPC; re-clustering, ListIssues,
GetIssue, lineage and ListTickets by issue are driven with the real grpcurl."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from databases import fresh_db
from server_process import ServerProcess, grpcurl

pytestmark = [pytest.mark.e2e, pytest.mark.data]

SVC = "ticketminer.v1.TicketMiner"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BANKING = DATA / "banking77" / "test.csv"
SHOPPING = DATA / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
PER_GROUP = 25


def _banking_sample(groups: int) -> list[tuple[str, str]]:
    """The first `groups` intents in file order, PER_GROUP texts each."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with BANKING.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_intent[row["category"]].append(row["text"])
    intents = list(by_intent)[:groups]
    return [(f"en:{i}", text) for i in intents for text in by_intent[i][:PER_GROUP]]


def _shopping_sample(groups: int) -> list[tuple[str, str]]:
    """Negative reviews of the first `groups` categories in file order."""
    with zipfile.ZipFile(SHOPPING) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        text = zf.read(name).decode("utf-8-sig")
    by_cat: dict[str, list[str]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(text)):
        if row["label"] == "0" and row["review"].strip():
            by_cat[row["cat"]].append(row["review"].strip()[:300])
    cats = list(by_cat)[:groups]
    return [(f"zh:{c}", review) for c in cats for review in by_cat[c][:PER_GROUP]]


def call(server: ServerProcess, method: str, data: dict | str, timeout: float = 60) -> dict:
    code, out, err = grpcurl(
        "-plaintext", server.address, f"{SVC}/{method}", data=data, timeout=timeout
    )
    assert code == 0, f"{method} failed ({code}):\n{err}\nserver log:\n{server.log}"
    return json.loads(out)


@pytest.fixture
def corpus() -> list[tuple[str, str]]:
    for path in (BANKING, SHOPPING):
        if not path.exists():
            pytest.skip(f"real data not found at {path} (see ../shared/data/README.md)")
    return _banking_sample(6) + _shopping_sample(3)


def test_issue_discovery_end_to_end_with_grpcurl(tmp_path, corpus):
    truth = {f"r-{i}": group for i, (group, _) in enumerate(corpus)}
    stream = "\n".join(
        json.dumps(
            {
                "ticket": {
                    "tenant_id": "e2e",
                    "external_id": f"r-{i}",
                    "created_at": f"2026-11-{1 + i % 20:02d}T10:00:00Z",
                    "channel": "web",
                    "subject": text,
                }
            },
            ensure_ascii=False,
        )
        for i, (_, text) in enumerate(corpus)
    )
    flags = ["--recluster-after-tickets", "0", "--recluster-interval-seconds", "0"]
    with ServerProcess(fresh_db(tmp_path, "issues"), extra_args=flags) as server:
        ingested = call(server, "IngestTickets", stream)
        assert int(ingested["accepted"]) == len(corpus)

        first = call(server, "ReclusterIssues", {"tenant_id": "e2e"})
        n_issues = first["issues"]
        assert n_issues >= 5
        assert {e["kind"] for e in first["events"]} == {"LINEAGE_KIND_BORN"}
        assert int(first.get("unclustered_tickets", 0)) <= 0.10 * len(corpus)

        listing = call(server, "ListIssues", {"tenant_id": "e2e"})
        assert listing["model_version"] == 1
        assert len(listing["issues"]) == n_issues
        assigned = 0
        majority_hits = 0
        for issue in listing["issues"]:
            assert issue["label"] and issue["top_terms"]
            assert issue["representative_ticket"]["external_id"] in truth
            page = call(
                server,
                "ListTickets",
                {
                    "tenant_id": "e2e",
                    "filter": {"issue_ids": [issue["issue_id"]]},
                    "page_size": 1000,
                },
            )
            ids = [t["ticket"]["external_id"] for t in page["tickets"]]
            assert int(page["total_size"]) == int(issue["volume"]) == len(ids)
            assert {t["issue"]["issue_id"] for t in page["tickets"]} == {issue["issue_id"]}
            assigned += len(ids)
            majority_hits += Counter(truth[i] for i in ids).most_common(1)[0][1]

            detail = call(server, "GetIssue", {"tenant_id": "e2e", "issue_id": issue["issue_id"]})
            assert detail["issue"]["issue_id"] == issue["issue_id"]
            assert [e["kind"] for e in detail["lineage"]] == ["LINEAGE_KIND_BORN"]
            assert sum(int(p["metrics"].get("volume", 0)) for p in detail["daily"]) == int(
                issue["volume"]
            )
        assert assigned + int(listing.get("unassigned_tickets", 0)) == len(corpus)
        # Real intents overlap, so this is a sanity floor, not the quality benchmark.
        assert majority_hits >= 0.6 * assigned

        by_issue = call(server, "GetMetrics", {"tenant_id": "e2e", "group_by": "issue"})
        assert sum(int(g["metrics"].get("volume", 0)) for g in by_issue["groups"]) == len(corpus)

        again = call(server, "ReclusterIssues", {"tenant_id": "e2e"})
        assert again.get("events", []) == []
        assert again["kept_ids"] == n_issues
        assert again["model_version"] == 2

        one = call(server, "GetTicket", {"tenant_id": "e2e", "external_id": "r-0"})
        assert one["issue"]["issue_id"]
