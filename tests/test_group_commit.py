"""The group committer: one bad caller does not sink a shared batch, and an outage
fails the whole batch at once instead of retrying caller by caller."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import Connection, create_engine
from sqlalchemy import exc as sa_exc

from ticketminer.domain.errors import Unavailable
from ticketminer.store.group_commit import GroupCommitter


class Writer:
    """Records each transaction's items; fails as told. The first call blocks until
    released, so the test can queue several callers into one batch behind it."""

    def __init__(self, fail) -> None:
        self.fail = fail
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, conn: Connection, items: Sequence[str]) -> list[str]:
        if not self.batches:
            self.entered.set()
            self.release.wait(10)
        self.batches.append(list(items))
        self.fail(items)
        return [f"ok:{i}" for i in items]


def _run(fail) -> tuple[Writer, list]:
    engine = create_engine("sqlite://")
    writer = Writer(fail)
    committer = GroupCommitter(engine, writer)
    try:
        first = committer.submit(["first"])
        assert writer.entered.wait(10)  # the writer holds "first": the rest queue up
        futures = [committer.submit([f"item-{i}"]) for i in range(5)]
        writer.release.set()
        first.exception(timeout=10)
        outcomes = [f.exception(timeout=10) or f.result() for f in futures]
    finally:
        committer.close()
        engine.dispose()
    return writer, outcomes


def test_a_bad_item_fails_only_its_caller() -> None:
    def fail(items):
        if "item-2" in items:
            raise ValueError("bad data")

    writer, outcomes = _run(fail)
    assert [type(o) for o in outcomes] == [list, list, Unavailable, list, list]
    assert outcomes[0] == ["ok:item-0"]
    # The batch of five, then each caller alone.
    assert writer.batches[1] == [f"item-{i}" for i in range(5)]
    assert len(writer.batches) == 2 + 5


def test_an_outage_fails_the_whole_batch_at_once() -> None:
    def fail(items):
        if items != ["first"]:
            raise sa_exc.OperationalError("INSERT", {}, ConnectionRefusedError("down"))

    writer, outcomes = _run(fail)
    assert all(isinstance(o, Unavailable) for o in outcomes)
    # No retry per caller: each would wait out the connect timeout in turn.
    assert writer.batches == [["first"], [f"item-{i}" for i in range(5)]]
    # The driver's text stays in the log.
    assert all("down" not in str(o) for o in outcomes)


@pytest.mark.parametrize("error", [ValueError("x"), sa_exc.IntegrityError("I", {}, Exception())])
def test_data_errors_are_not_outages(error) -> None:
    from ticketminer.store.outages import database_unavailable

    assert not database_unavailable(error)
