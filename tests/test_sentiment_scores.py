"""What a scan stores per ticket: sentiment and anger, and anger for rows stored
before it existed (revision 0006 leaves it NULL)."""

from __future__ import annotations

import numpy as np
from builders import customer, ticket
from sqlalchemy import text

from ticketminer.store.sentiment_repo import load_scores

TEXTS = {
    "calm": "The parcel arrived broken and the screen does not work. Could you send a new one?",
    "angry": "Third time I ask. This is a scam, I want to file a complaint!",
    "chinese": "物流太慢了，能不能帮我催一下快递？辛苦了。",
}


def _scores(app) -> dict[str, tuple[float, float]]:
    with app.engine.connect() as conn:
        pks, sentiment, anger = load_scores(conn, "default", 0)
        ids = dict(conn.execute(text("SELECT pk, external_id FROM tickets")).fetchall())
    return {ids[int(p)]: (s, a) for p, s, a in zip(pks, sentiment, anger, strict=True)}


def test_scan_stores_anger_and_fills_in_rows_stored_without_it(app) -> None:
    for i, (key, body) in enumerate(TEXTS.items()):
        app.tickets.ingest(ticket(key, 10 * i, customer(10 * i), description=body))
    app.anomalies.scan("default")
    first = _scores(app)
    assert set(first) == set(TEXTS)
    assert first["angry"][1] >= 0.5 > max(first["calm"][1], first["chinese"][1])

    with app.engine.begin() as conn:  # as revision 0006 leaves older rows
        conn.execute(text("UPDATE ticket_sentiment SET anger = NULL"))
    assert all(np.isnan(a) for _, a in _scores(app).values())
    app.anomalies.scan("default")
    assert _scores(app) == first
