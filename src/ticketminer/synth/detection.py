"""The service's own anomaly scan and root-cause explainer run on a generated frame,
with the generator's true topics as the issues: how benchmarks and tests measure
detection without ingesting, clustering or a database.
"""

from __future__ import annotations

import numpy as np

from ticketminer.anomalies.hourly import HOUR_US, grid_for
from ticketminer.anomalies.slices import SliceColumn
from ticketminer.metrics.facts_table import Categorical, FactsTable
from ticketminer.services.anomaly_explain import Explainer, Explanation, build_cube
from ticketminer.services.anomaly_scan import Finding, Scan, ScanInput
from ticketminer.synth.frame import SynthFrame

HISTORY_DAYS = 120


def facts_of(frame: SynthFrame) -> FactsTable:
    n = len(frame)
    solved = frame.solved.astype(bool)
    fcr = np.where(solved, frame.fcr.astype(np.int8), -1).astype(np.int8)
    table = FactsTable(
        pk=np.arange(1, n + 1, dtype=np.int64),
        numeric={
            "version": np.arange(1, n + 1, dtype=np.int64),
            "created_us": frame.created_us,
            "status": frame.status.astype(np.int8),
            "csat": frame.csat.astype(np.int8),
            "first_response_s": frame.first_response_s,
            "resolution_s": frame.resolution_s,
            "full_resolution_s": frame.resolution_s,
            "solved": solved,
            "ever_solved": solved | frame.reopened.astype(bool),
            "reopened": frame.reopened.astype(bool),
            "fcr": fcr,
            "fcr_no_followup": fcr,
            "customer_since_us": frame.customer_since_us,
        },
        channel=Categorical(frame.channel.astype(np.int32), tuple(frame.channels)),
        customer_id=Categorical(np.zeros(n, np.int32), ("",)),
    )
    for key, values in frame.categories.items():
        table.attributes[key] = Categorical(frame.attributes[key].astype(np.int32), values)
    return table


def scan_frame(
    frame: SynthFrame, time_zone: str = "Asia/Shanghai"
) -> tuple[list[Finding], list[Explanation]]:
    """The service's scan and explainer over a frame; (findings, explanations)."""
    facts = facts_of(frame)
    created = facts.created_us
    end_us = int(created.max()) + 1
    end_us += -end_us % HOUR_US
    grid = grid_for(int(created.min()), end_us, HISTORY_DAYS, time_zone)
    keys = sorted(facts.attributes)
    slices = tuple(
        SliceColumn(name, cat.codes, cat.values)
        for name, cat in [("channel", facts.channel), *((k, facts.attributes[k]) for k in keys)]
    )
    issues = frame.topic.astype(np.int64) + 1
    data = ScanInput(facts, issues, frame.negative.astype(np.int8), grid, slice_columns=slices)
    findings = Scan(data).run()
    cube = build_cube(data, keys, lambda k: facts.attributes[k])
    explainer = Explainer(data, cube, lambda _pks: {})
    return findings, [explainer.explain(f) for f in findings]
