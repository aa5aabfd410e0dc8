"""Issue 21 on the default synthetic history: its login-loop incident (customers politely asking
for help, "麻烦", "please help asap") was the top praised item, with 登 / 循环 / 进不去 as praise
words. Polite complaints are not praise any more, so none of the loop's tickets backs a praise
driver, and no praise word is a politeness word or a complaint signal."""

from __future__ import annotations

from conftest import history_settings

from ticketminer.app import App
from ticketminer.text.support_signals import POLITENESS_TERMS, has_complaint


def test_the_login_loop_is_not_praised(default_history) -> None:
    db, result = default_history
    loop = next(inc for inc in result.truth if inc.id == "login-loop")
    app = App.open(history_settings(db))
    try:
        found = app.lifecycle.insights("default", None, None, top=20)
    finally:
        app.close()
    backing = {e for d in found.praise for e in d.evidence_ticket_ids}
    assert not backing & set(loop.external_ids), [d.label for d in found.praise]
    terms = [d.term for d in found.praise if d.kind == "term"]
    assert not [t for t in terms if t in POLITENESS_TERMS or has_complaint(t)], terms
    assert found.praise_tickets < found.tickets
