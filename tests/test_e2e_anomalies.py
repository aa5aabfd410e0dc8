"""Anomalies end to end: `ticketminer synth` writes a history with a known shipping
surge; the tickets go into the real server with the real grpcurl; a re-cluster and
a scan later, ListAnomalies shows the surge with its true root cause first, and a
history without incidents shows nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from databases import fresh_db
from e2e_synth import SVC, call, synth
from server_process import ServerProcess, grpcurl

pytestmark = [pytest.mark.e2e]

FLAGS = (
    "--recluster-min-tickets",
    "1000000000",
    "--anomaly-scan-seconds",
    "0",
    "--anomaly-time-zone",
    "Asia/Shanghai",
)
SYNTH = ("--weeks", "6", "--tickets-per-day", "60", "--seed", "3")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _dims(candidate: dict) -> tuple[tuple[str, str], ...]:
    """The candidate's dims without the issue (a tenant-wide anomaly may name one)."""
    return tuple(
        sorted((d["key"], d["value"]) for d in candidate["dimensions"] if d["key"] != "issue")
    )


def test_synth_surge_is_found_with_its_root_cause_and_a_quiet_history_is_not(tmp_path):
    storm, truth = synth(tmp_path, "shipping", "shop", *SYNTH)
    quiet, _ = synth(tmp_path, "none", "quiet", *SYNTH)
    (incident,) = truth["incidents"]
    start, end = _time(incident["start"]), _time(incident["end"])
    expected_dims = tuple(sorted(tuple(d) for d in incident["dims"]))
    with ServerProcess(fresh_db(tmp_path, "anomalies"), extra_args=FLAGS) as server:
        for stream in (storm, quiet):
            assert call(server, "IngestTickets", stream).get("rejected", 0) == 0
        issues = {}
        for tenant in ("shop", "quiet"):
            fit = call(server, "ReclusterIssues", {"tenant_id": tenant}, timeout=300)
            issues[tenant] = int(fit["issues"])
            scan = call(server, "ScanAnomalies", {"tenant_id": tenant})
            assert int(scan["hours"]) > 24 * 7 * 5
        found = call(server, "ListAnomalies", {"tenant_id": "shop", "page_size": 100})
        quiet_found = call(server, "ListAnomalies", {"tenant_id": "quiet"})

        assert quiet_found.get("anomalies", []) == []
        during = [
            a
            for a in found["anomalies"]
            if _time(a["start_time"]) < end + timedelta(hours=24)
            and _time(a.get("end_time", "9999-01-01T00:00:00Z")) > start
            and a["metric"] == "volume"
        ]
        assert during, found
        best = max(during, key=lambda a: float(a["observed"]) - float(a["expected"]))
        assert _dims(best["root_causes"][0]) == expected_dims, [a["summary"] for a in during]
        assert best["root_causes"][0]["explained_share"] > 0.5
        assert best["summary"] and best["evidence_ticket_ids"]
        # Outside the incident, surges are no more frequent than the false-alarm target
        # (1 per 10 issue-months; alarms are possible after the 28-day baseline).
        others = [a for a in found["anomalies"] if a["metric"] == "volume" and a not in during]
        issue_months = issues["shop"] * (6 * 7 - 28) / 30.4
        assert len(others) <= issue_months / 10, [a["summary"] for a in others]

        # The evidence opens with ListTickets and GetAnomaly shows the series.
        flt = {"anomaly_id": best["anomaly_id"], "attributes": dict(expected_dims)}
        listed = call(server, "ListTickets", {"tenant_id": "shop", "filter": flt})
        assert int(listed["total_size"]) >= 0.5 * float(best["root_causes"][0]["observed"])
        detail = call(server, "GetAnomaly", {"tenant_id": "shop", "anomaly_id": best["anomaly_id"]})
        assert len(detail["series"]) > 72
        code, _, err = grpcurl(
            "-plaintext",
            "-d",
            '{"tenant_id": "shop", "anomaly_id": "x"}',
            server.address,
            f"{SVC}/GetAnomaly",
        )
        assert code == 64 + 3 and "anomaly_id" in err

        # The week's digest shows the storm with its cause, over gRPC and from the CLI.
        week = "{}-W{:02d}".format(*(start + timedelta(hours=12)).isocalendar()[:2])
        request = {"tenant_id": "shop", "iso_week": week, "time_zone": "Asia/Shanghai"}
        answer = call(server, "GetWeeklyDigest", request)
        digest = answer["digest"]
        shown = {a["anomaly_id"]: a for a in digest["anomalies"]}
        assert best["anomaly_id"] in shown
        assert _dims(shown[best["anomaly_id"]]["root_causes"][0]) == expected_dims
        cause = " ∧ ".join(f"{k}={v}" for k, v in expected_dims)
        assert cause in answer["markdown"] and cause in answer["html"]
        metrics = call(
            server,
            "GetMetrics",
            {"tenant_id": "shop", "filter": digest["drill_down"], "time_zone": "Asia/Shanghai"},
        )
        assert metrics["overall"] == digest["metrics"]
        html = tmp_path / "digest.html"
        cli = [sys.executable, "-m", "ticketminer.cli", "digest", "--db", server.db]
        args = ("--tenant", "shop", "--week", week, "--tz", "Asia/Shanghai")
        subprocess.run([*cli, *args, "--format", "html", "--out", str(html)], check=True)
        assert cause in html.read_text(encoding="utf-8")
        as_json = subprocess.run(
            [*cli, *args, "--format", "json"], check=True, capture_output=True, text=True
        )
        assert json.loads(as_json.stdout)["metrics"] == digest["metrics"]
