"""The synthetic helpdesk generator: determinism, validity, realism and ground truth."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from ticketminer.cli import main
from ticketminer.domain.model import TicketStatus
from ticketminer.domain.timeutil import to_us
from ticketminer.domain.validation import validate_ticket
from ticketminer.importers.ticket_files import read_ticket_file
from ticketminer.metrics.ticket_facts import analyse
from ticketminer.synth import (
    TOPIC_KEYS,
    Incident,
    Scenario,
    SynthResult,
    counts_frame,
    generate,
    preset,
    read_truth,
    ticket_json,
    write_jsonl,
    write_truth,
)
from ticketminer.synth.output import truth_json


@pytest.fixture(scope="module")
def history() -> SynthResult:
    """The default preset at a third of its volume: every incident kind, ~6,000 tickets."""
    return generate(preset("default", tickets_per_day=100))


@pytest.fixture(scope="module")
def big_frame():
    return counts_frame(preset("default", tickets_per_day=1000))


def _incident(result_or_frame, incident_id: str) -> tuple[int, Incident]:
    incidents = result_or_frame.scenario.incidents
    return next((i, inc) for i, inc in enumerate(incidents) if inc.id == incident_id)


def _window(frame, inc: Incident, topic: str | None = None) -> np.ndarray:
    mask = (frame.created_us >= inc.start_us) & (frame.created_us < inc.end_us)
    if topic is not None:
        mask &= frame.topic == TOPIC_KEYS.index(topic)
    return mask


def test_same_scenario_same_bytes_other_seed_differs():
    def render(seed: int) -> tuple[list[str], str]:
        result = generate(preset("shipping", weeks=4, tickets_per_day=20, seed=seed))
        scenario = result.frame.scenario
        return [ticket_json(t) for t in result.tickets], truth_json(
            scenario, result.truth, result.topic_of
        )

    first, again, other = render(7), render(7), render(8)
    assert first == again
    assert first[0] != other[0] and first[1] != other[1]


def test_every_ticket_is_valid_and_round_trips_through_the_importer(history, tmp_path):
    assert all(validate_ticket(t) == [] for t in history.tickets)
    path = tmp_path / "tickets.jsonl"
    assert write_jsonl(path, history.tickets) == len(history.tickets)
    assert list(read_ticket_file(path)) == history.tickets


def test_the_service_measures_what_the_frame_holds(history):
    """Messages sit at the frame's planned times, so derived metrics match exactly."""
    f = history.frame
    for i, ticket in enumerate(history.tickets):
        a = analyse(ticket)
        frt = f.first_response_s[i]
        assert a.first_response_seconds == (None if np.isnan(frt) else frt)
        resolution = f.resolution_s[i]
        assert a.resolution_seconds == (None if np.isnan(resolution) else resolution)
        assert a.solved == f.solved[i] and a.reopened == f.reopened[i]
        assert (a.fcr is True) == bool(f.fcr[i])
        assert (ticket.csat or 0) == f.csat[i] and ticket.status == f.status[i]
        assert history.topic_of[ticket.external_id] == TOPIC_KEYS[f.topic[i]]


def test_helpdesk_metrics_are_realistic(history):
    facts = [analyse(t) for t in history.tickets]
    solved = [a for a in facts if a.solved]
    fcr = sum(bool(a.fcr) for a in solved) / len(solved)
    reopen = sum(a.reopened for a in solved) / len(solved)
    rated = sum(t.csat is not None for t in history.tickets if t.status.is_solved) / len(solved)
    assert 0.5 <= fcr <= 0.8
    assert 0.03 <= reopen <= 0.10
    assert 0.25 <= rated <= 0.42
    f = history.frame
    open_now = ~np.isin(f.status, [TicketStatus.SOLVED, TicketStatus.CLOSED])
    age = f.scenario.end_us - f.created_us
    assert open_now[age < 86_400_000_000].mean() > 0.2  # recent tickets are still open
    assert open_now[age > 7 * 86_400_000_000].mean() < 0.03
    chat, email = (f.channel == f.channels.index(name) for name in ("chat", "email"))
    assert np.nanmedian(f.first_response_s[chat]) < 600  # minutes
    assert np.nanmedian(f.first_response_s[email]) > 3600  # hours


def test_csat_is_lower_for_reopened_tickets(big_frame):
    f = big_frame
    rated = f.csat > 0
    assert f.csat[rated & f.reopened].mean() < f.csat[rated & ~f.reopened].mean() - 0.3


def test_weekly_and_daily_seasonality():
    f = counts_frame(preset("none", tickets_per_day=200))
    per_weekday = np.bincount(f.weekday, minlength=7)
    assert per_weekday[0] == per_weekday.max()  # Monday
    assert per_weekday[0] > 1.4 * per_weekday[5]  # Saturday
    per_hour = np.bincount(f.local_hour, minlength=24)
    assert per_hour[1:5].max() * 5 < per_hour[9:17].min()
    # timestamps are UTC: Shanghai's 10:00 peak is 02:00 UTC
    utc_hour = (f.created_us // 3_600_000_000) % 24
    assert np.bincount(utc_hour, minlength=24)[2] > np.bincount(utc_hour, minlength=24)[19]


def test_calendar_knobs_and_a_daylight_saving_change():
    scenario = Scenario(
        start=date(2026, 3, 2), end=date(2026, 3, 16), tz="America/New_York", tenant="acme"
    )
    result = generate(replace(scenario, tickets_per_day=30))
    assert scenario.days == 14 and len(result.frame.rates.cell_us) == 14 * 24 - 1  # DST day
    assert {t.tenant_id for t in result.tickets} == {"acme"}
    assert all(scenario.at(0) <= t.created_at < scenario.at(14) for t in result.tickets)
    assert (scenario.at(6).hour, scenario.at(7).hour) == (5, 4)  # local midnight, EST then EDT


def test_none_preset_has_no_incidents(tmp_path):
    result = generate(preset("none", weeks=4, tickets_per_day=30))
    assert result.truth == [] and result.frame.scenario.incidents == ()
    assert TOPIC_KEYS.index("app_login_loop") not in result.frame.topic
    write_truth(tmp_path / "t.json", result.frame.scenario, result.truth, result.topic_of)
    incidents, labels = read_truth(tmp_path / "t.json")
    assert incidents == [] and labels == result.topic_of


def test_surge_tickets_sit_in_the_window_with_the_root_cause(history):
    i, inc = _incident(history.frame, "shipping-storm")
    truth = history.truth[i]
    assert truth.dims == (("carrier", "SF"), ("region", "华南")) and truth.multiplier == 4
    by_id = {t.external_id: t for t in history.tickets}
    injected = [by_id[e] for e in truth.external_ids]
    assert len(injected) > 50
    for ticket in injected:
        assert inc.start <= ticket.created_at < inc.end
        assert dict(truth.dims).items() <= ticket.attributes.items()
        assert history.topic_of[ticket.external_id] == "shipping_delay"
    text = [t.subject + t.description for t in injected]
    assert sum(any(k in s for k in truth.keywords) for s in text) >= 0.9 * len(text)
    f = history.frame
    observed = _window(f, inc, "shipping_delay").sum()
    baseline = f.rates.expected("shipping_delay", inc.start, inc.end, incidents=False)
    assert observed / baseline == pytest.approx(4, rel=0.25)


@pytest.mark.parametrize(("per_day", "multiplier"), [(1000, 1.5), (60, 3.0), (15, 10.0)])
def test_columnar_surge_scales_the_topic_by_the_multiplier(per_day, multiplier):
    base = Scenario(weeks=4, tickets_per_day=0, topic_volume={"refund_request": per_day})
    inc = Incident(
        id="surge",
        kind="volume_surge",
        topic="refund_request",
        start=base.at(20, 9),
        end=base.at(23, 9),
        multiplier=multiplier,
        dims=(("payment_method", "unionpay"),),
    )
    f = counts_frame(replace(base, incidents=(inc,)))
    assert set(f.topic.tolist()) == {TOPIC_KEYS.index("refund_request")}
    baseline = f.rates.expected("refund_request", inc.start, inc.end, incidents=False)
    observed = _window(f, inc).sum()
    assert observed / baseline == pytest.approx(multiplier, rel=0.2)
    rows = f.incident_rows[0]
    assert len(rows) == observed - _window(f, inc)[~np.isin(np.arange(len(f)), rows)].sum()
    unionpay = f.categories["payment_method"].index("unionpay")
    assert (f.attributes["payment_method"][rows] == unionpay).all()


def test_columnar_path_is_fast():
    scenario = preset("default", tickets_per_day=1000)
    counts_frame(scenario)  # warm the calendar cache
    started = time.perf_counter()
    frame = counts_frame(scenario)
    assert len(frame) > 50_000 and time.perf_counter() - started < 1.0


def test_frt_regression_slows_only_its_channel(big_frame):
    f = big_frame
    _, inc = _incident(f, "email-frt-regression")
    inside = _window(f, inc)
    for code, channel in enumerate(f.channels):
        mine = f.channel == code
        ratio = np.nanmedian(f.first_response_s[mine & inside]) / np.nanmedian(
            f.first_response_s[mine & ~inside]
        )
        if channel == "email":
            assert ratio == pytest.approx(3, rel=0.2)
        else:
            assert ratio == pytest.approx(1, rel=0.2)


def test_fcr_degradation_lowers_fcr():
    base = Scenario(weeks=4, tickets_per_day=400)
    inc = Incident(
        id="fcr",
        kind="kpi_degradation",
        metric="fcr",
        topic="invoice",
        start=base.at(14),
        end=base.at(21),
        multiplier=0.5,
    )
    f = counts_frame(replace(base, incidents=(inc,)))
    invoice = f.topic == TOPIC_KEYS.index("invoice")
    inside = _window(f, inc)
    assert f.fcr[invoice & inside].mean() < 0.6 * f.fcr[invoice & ~inside & f.solved].mean()


def test_emerging_issue_is_new_and_grows(big_frame):
    f = big_frame
    i, inc = _incident(f, "login-loop")
    loop = f.topic == TOPIC_KEYS.index("app_login_loop")
    assert (f.created_us[loop] >= inc.start_us).all() and loop.sum() == len(f.incident_rows[i])
    days = np.bincount(f.day[loop], minlength=f.scenario.days)
    first = f.day[f.incident_rows[i][0]]
    assert days[first : first + 3].sum() * 3 < days[-3:].sum()
    version = f.categories["app_version"].index("5.2.0")
    assert (f.attributes["app_version"][loop] == version).all()
    before_release = f.created_us < to_us(f.scenario.release)
    assert not (f.attributes["app_version"][before_release] == version).any()


def test_sentiment_surge_raises_the_negative_share(big_frame):
    f = big_frame
    i, inc = _incident(f, "coupon-anger")
    ramped = replace(inc, start=inc.start + timedelta(hours=inc.ramp_hours))
    inside = _window(f, ramped, "coupon_not_applied")
    coupon = f.topic == TOPIC_KEYS.index("coupon_not_applied")
    assert f.negative[inside].mean() == pytest.approx(0.37, abs=0.08)
    assert f.negative[coupon & ~_window(f, inc)].mean() < 0.05
    assert f.negative[f.incident_rows[i]].all()


def test_payment_bug_follows_the_release(history):
    i, inc = _incident(history.frame, "payment-release-bug")
    assert inc.start > history.frame.scenario.release
    assert history.truth[i].dims == (("app_version", "5.2.0"), ("payment_method", "alipay"))


def test_every_topic_is_bilingual(history):
    languages: dict[str, set[str]] = {}
    for ticket in history.tickets:
        languages.setdefault(history.topic_of[ticket.external_id], set()).add(ticket.language)
    journey_only = {"account_activation", "packaging_praise"}  # see test_synth_journey.py
    assert set(languages) == set(TOPIC_KEYS) - journey_only
    assert all({"zh", "en"} <= found for found in languages.values())
    mixed = history.frame.languages.index("mixed")
    assert (history.frame.language == mixed).mean() > 0.05


def test_invalid_incidents_and_short_presets_are_refused():
    base = Scenario(weeks=4)
    with pytest.raises(ValueError, match="unknown dim"):
        Incident("x", "volume_surge", base.at(1), base.at(2), "invoice", dims=(("carrier", "UPS"),))
    with pytest.raises(ValueError, match="end must be after start"):
        Incident("x", "volume_surge", base.at(2), base.at(1), "invoice")
    with pytest.raises(ValueError, match="needs at least"):
        preset("default", weeks=2)


def test_cli_writes_tickets_and_truth(tmp_path, capsys):
    out, truth = tmp_path / "t.jsonl", tmp_path / "truth.json"
    argv = ["synth", "--preset", "shipping", "--weeks", "4", "--tickets-per-day", "30"]
    code = main([*argv, "--seed", "3", "--out", str(out), "--truth", str(truth)])
    assert code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert f"wrote {len(lines)} tickets" in capsys.readouterr().out
    incidents, labels = read_truth(truth)
    assert [inc.id for inc in incidents] == ["shipping-storm"]
    tickets = list(read_ticket_file(out))
    assert {t.external_id for t in tickets} == set(labels)
    assert set(incidents[0].external_ids) <= set(labels)
