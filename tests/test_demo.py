"""`ticketminer demo` end to end on a smaller history, and the report's wording."""

from __future__ import annotations

import io
import re

import pytest

from ticketminer.cli import _parser, main
from ticketminer.cli.demo import run_demo
from ticketminer.reports.anomalies import render
from ticketminer.v1 import ticketminer_pb2 as pb


def test_demo_prints_anomalies_with_causes_and_the_truth(tmp_path) -> None:
    args = _parser().parse_args(
        ["demo", "--db", str(tmp_path / "demo.db"), "--weeks", "5", "--tickets-per-day", "60"]
    )
    out = io.StringIO()
    assert run_demo(args, out) == 0
    text = out.getvalue()
    assert "ingested" in text and "anomaly scan:" in text
    # One issue per problem, whatever its phrasings and languages (issue 17's target).
    found = re.search(r"issues: (\d+) for the generator's (\d+) topics", text)
    assert found, text
    assert int(found.group(1)) <= 1.5 * int(found.group(2))
    assert "cause 1: " in text and "evidence: " in text
    assert "injected incidents (ground truth):" in text and "shipping-storm" in text
    assert "weekly digests:" in text
    digests = sorted(tmp_path.glob("digest-*.html"))
    assert digests and len(digests) == len(list(tmp_path.glob("digest-*.md")))
    assert "<svg" in digests[0].read_text(encoding="utf-8")


def test_report_formats_each_metric_for_people() -> None:
    a = pb.Anomaly(anomaly_id="7", metric="first_response_time", observed=32400, expected=16200)
    a.kind = pb.ANOMALY_KIND_KPI_DEGRADATION
    a.root_causes.add(explained_share=0.93, observed=236, expected=95.4, lift=2.4, support=0.5)
    a.root_causes[0].dimensions.add(key="channel", value="email")
    text = render([a])
    assert "#7 KPI_DEGRADATION" in text and "observed 9.0 h vs expected 4.5 h" in text
    assert "cause 1: channel=email explains 93% of the excess" in text
    assert render([]) == "No anomalies.\n"


def test_cli_knows_the_demo(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--help"])
    assert info.value.code == 0 and "--keep-serving" in capsys.readouterr().out
