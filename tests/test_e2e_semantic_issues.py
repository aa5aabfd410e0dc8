"""Issues are problems, not phrasings, end to end: a bilingual synthetic history with
several phrasings per problem goes in over gRPC, and the real grpcurl drives the
re-cluster, ListIssues, GetIssue (with its sub-issues) and a second re-cluster that
keeps every id. The server's embedding queue is killed with -9 mid-backfill and
finishes after a restart, losing and duplicating nothing."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from databases import fresh_db
from e2e_synth import synth
from server_process import ServerProcess, grpcurl
from sqlalchemy import text

from ticketminer.store.engine import make_engine

pytestmark = [pytest.mark.e2e]

SVC = "ticketminer.v1.TicketMiner"
NO_BACKGROUND = ("--recluster-min-tickets", "1000000000", "--anomaly-scan-seconds", "0")


def call(server: ServerProcess, method: str, data: dict | str, timeout: float = 300) -> dict:
    code, out, err = grpcurl(
        "-plaintext", server.address, f"{SVC}/{method}", data=data, timeout=timeout
    )
    assert code == 0, f"{method} failed ({code}):\n{err}\nserver log:\n{server.log[-3000:]}"
    return json.loads(out)


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_bilingual_phrasings_become_one_issue_per_problem(tmp_path):
    stream, truth = synth(
        tmp_path, "none", "shop", "--weeks", "3", "--tickets-per-day", "80", "--seed", "5"
    )
    topic_of: dict[str, str] = truth["labels"]
    topics = set(topic_of.values())
    sent = [json.loads(line)["ticket"] for line in stream.splitlines()]  # camelCase JSON
    language = {
        t["externalId"]: "zh" if _is_cjk(t.get("subject", "") + t.get("description", "")) else "en"
        for t in sent
    }
    with ServerProcess(fresh_db(tmp_path, "semantic"), extra_args=NO_BACKGROUND) as server:
        assert call(server, "IngestTickets", stream).get("rejected", 0) == 0
        first = call(server, "ReclusterIssues", {"tenant_id": "shop"})
        n_issues = int(first["issues"])
        # An issue per problem: phrasings and languages do not multiply them.
        assert n_issues <= 1.5 * len(topics), (n_issues, len(topics))

        listing = call(server, "ListIssues", {"tenant_id": "shop", "page_size": 500})
        issue_of: dict[str, str] = {}
        for issue in listing["issues"]:
            page = call(
                server,
                "ListTickets",
                {
                    "tenant_id": "shop",
                    "filter": {"issue_ids": [issue["issue_id"]]},
                    "page_size": 1000,
                },
            )
            assert int(page["total_size"]) <= 1000
            for t in page["tickets"]:
                issue_of[t["ticket"]["external_id"]] = issue["issue_id"]
        for topic in topics:
            tickets = [e for e, tp in topic_of.items() if tp == topic]
            home, count = Counter(issue_of.get(e) for e in tickets).most_common(1)[0]
            assert count >= 0.9 * len(tickets), (topic, count, len(tickets))
            for lang in ("zh", "en"):  # both languages of the problem share its issue
                mine = [e for e in tickets if language[e] == lang]
                if len(mine) >= 10:
                    same = sum(issue_of.get(e) == home for e in mine)
                    assert same >= 0.9 * len(mine), (topic, lang, same, len(mine))

        # Bilingual issues are labelled in both languages, Chinese without spaces.
        for issue in listing["issues"]:
            label = issue["label"]
            for part in label.split(" / "):
                if _is_cjk(part):
                    assert " " not in part.strip(), label
            if set(issue.get("languages", [])) == {"en", "zh"}:
                assert _is_cjk(label) and any(ch.isascii() and ch.isalpha() for ch in label)

        # Sub-issues: the variants of an issue, each with its own id and label.
        with_subs = [i for i in listing["issues"] if i.get("sub_issues")]
        assert with_subs, "no issue has sub-issues"
        detail = call(
            server, "GetIssue", {"tenant_id": "shop", "issue_id": with_subs[0]["issue_id"]}
        )
        subs = detail["issue"]["sub_issues"]
        assert len(subs) >= 2 and all(s["sub_issue_id"] and s["label"] for s in subs)
        assert abs(sum(float(s["share"]) for s in subs) - 1.0) < 0.05
        some = next(e for e, i in issue_of.items() if i == with_subs[0]["issue_id"])
        ticket = call(server, "GetTicket", {"tenant_id": "shop", "external_id": some})
        assert ticket["issue"]["sub_issue_id"] in {s["sub_issue_id"] for s in subs}

        # Stable ids: re-clustering the same tickets changes nothing.
        again = call(server, "ReclusterIssues", {"tenant_id": "shop"})
        assert again.get("events", []) == []
        assert int(again["kept_ids"]) == n_issues
        relisted = call(server, "ListIssues", {"tenant_id": "shop", "page_size": 500})
        assert {i["issue_id"] for i in relisted["issues"]} == {
            i["issue_id"] for i in listing["issues"]
        }


def _vectors(engine) -> tuple[int, int, int]:
    """(tickets, tickets with a vector, vectors of the wrong size) in the database."""
    with engine.connect() as conn:
        tickets = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        vectors = conn.execute(text("SELECT count(*) FROM ticket_vectors")).scalar_one()
        odd = conn.execute(
            text("SELECT count(*) FROM ticket_vectors WHERE length(vector) != 1024")
        ).scalar_one()
    return tickets, vectors, odd


def test_the_embedding_backfill_survives_kill_9(tmp_path):
    stream, _ = synth(
        tmp_path, "none", "shop", "--weeks", "6", "--tickets-per-day", "200", "--seed", "6"
    )
    db = fresh_db(tmp_path, "backfill")
    engine = make_engine(db)
    server = ServerProcess(db, extra_args=NO_BACKGROUND).start()
    try:
        accepted = int(call(server, "IngestTickets", stream)["accepted"])
        deadline = time.monotonic() + 120
        while True:  # kill once the queue has committed some vectors, not all
            _, vectors, _ = _vectors(engine)
            if 0 < vectors < accepted:
                break
            assert vectors < accepted, "the backfill finished before it could be killed"
            assert time.monotonic() < deadline, "the queue embedded nothing"
            time.sleep(0.05)
        assert server.kill9() == -9
        before = _vectors(engine)[1]
        with ServerProcess(db, extra_args=NO_BACKGROUND):
            deadline = time.monotonic() + 300
            while _vectors(engine)[1] < accepted:
                assert time.monotonic() < deadline, _vectors(engine)
                time.sleep(0.5)
        tickets, vectors, odd = _vectors(engine)
    finally:
        if server.running:
            server.kill9()
        engine.dispose()
    # Every ticket once, at the model's size: nothing lost, doubled or torn.
    assert tickets == vectors == accepted and odd == 0
    assert before < accepted
