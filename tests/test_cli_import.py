"""`ticketminer import` on a JSONL file with one bad row."""

from __future__ import annotations

import json

from databases import fresh_db

from ticketminer.app import App
from ticketminer.cli import main
from ticketminer.config import Settings
from ticketminer.domain.filters import TicketFilter


def test_import_stores_good_rows_and_summarises_rejects(tmp_path, capsys):
    rows = [
        {"externalId": f"J-{i}", "createdAt": "2026-03-02T09:00:00Z", "channel": "email"}
        for i in range(5)
    ]
    rows[2]["csat"] = 7
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    db = fresh_db(tmp_path, "t")
    code = main(["import", str(path), "--db", db, "--no-progress", "--tenant", "acme"])
    out = capsys.readouterr().out
    assert code == 1  # any rejected row; the good ones are stored all the same
    assert "created 4" in out and "rejected 2" in out
    assert "  row 3: csat: must be between 1 and 5, got 7" in out
    assert "  row 6: line: is not valid JSON" in out
    app = App.open(Settings(db_url=db))
    try:
        assert app.tickets.list("acme", TicketFilter()).total_size == 4
    finally:
        app.close()
