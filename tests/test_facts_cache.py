"""The in-memory facts table caught up incrementally equals one loaded from scratch."""

from __future__ import annotations

import numpy as np
from builders import agent, ticket

from ticketminer.domain.model import TicketStatus
from ticketminer.services.facts_cache import FactsCache


def test_incremental_catch_up_matches_a_fresh_load(app):
    cache = FactsCache(app.engine)
    for i in range(30):
        app.tickets.ingest(ticket(f"t{i}", i, channel="chat", attributes={"carrier": "SF"}))
    early = cache.table("default")
    cache.attribute("default", early, "carrier")
    for i in range(0, 30, 3):  # rewrite some, drop their carrier
        app.tickets.ingest(
            ticket(f"t{i}", i, agent(i + 1), status=TicketStatus.SOLVED, solved=i + 2,
                   channel="email")
        )  # fmt: skip
    for i in range(30, 40):
        app.tickets.ingest(ticket(f"t{i}", i, channel="phone", attributes={"carrier": "YTO"}))
    caught_up = cache.table("default")
    fresh_cache = FactsCache(app.engine)
    fresh = fresh_cache.table("default")
    assert np.array_equal(caught_up.pk, fresh.pk)
    for name, column in fresh.numeric.items():
        if name == "version":
            continue
        assert np.array_equal(caught_up.numeric[name], column, equal_nan=True), name
    decode = lambda cat: [cat.values[c] if c >= 0 else None for c in cat.codes]  # noqa: E731
    assert decode(caught_up.channel) == decode(fresh.channel)
    assert decode(caught_up.attributes["carrier"]) == decode(
        fresh_cache.attribute("default", fresh, "carrier")
    )
    assert decode(caught_up.attributes["carrier"]).count(None) == 10
    # The earlier snapshot is untouched: readers holding it see a consistent state.
    assert len(early) == 30 and decode(early.channel) == ["chat"] * 30
