"""One incident, one anomaly, through the real server: a bilingual history in which
an incident at one carrier and region adds tickets to four different problems (so
its tickets spread over several discovered issues, none of which surges much on its
own) gives exactly one anomaly, with the carrier and region as its root cause and the
issues it spans; the same history without the incident gives none."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import grpc
import pytest
from databases import fresh_db
from server_process import ServerProcess

from ticketminer.api.convert import ticket_to_proto
from ticketminer.synth import Incident, generate, preset
from ticketminer.v1 import ticketminer_pb2 as pb
from ticketminer.v1 import ticketminer_pb2_grpc as pb_grpc

TENANT = "default"
DIMS = (("carrier", "EMS"), ("region", "华北"))
# Shipped goods, four problems: late, damaged, wrong item, return label.
TOPICS = ("shipping_delay", "damaged_item", "wrong_item", "return_label")
RPC_TIMEOUT = 600


def _history(with_incident: bool):
    base = preset("none", tickets_per_day=150)
    if not with_incident:
        return generate(base)
    start = base.at(base.days - 10, 7)
    incidents = tuple(
        Incident(
            id=f"ems-{topic}",
            kind="volume_surge",
            topic=topic,
            start=start,
            end=start + timedelta(days=3),
            multiplier=1.6,
            dims=DIMS,
        )
        for topic in TOPICS
    )
    return generate(replace(base, incidents=incidents))


def _anomalies(tmp_path, result) -> list[pb.Anomaly]:
    flags = ["--recluster-after-tickets", "0", "--anomaly-scan-seconds", "0"]
    flags += ["--anomaly-time-zone", "Asia/Shanghai"]
    with (
        ServerProcess(fresh_db(tmp_path, "incident"), extra_args=flags) as server,
        grpc.insecure_channel(server.address) as channel,
    ):
        stub = pb_grpc.TicketMinerStub(channel)
        requests = []
        for t in result.tickets:
            msg = pb.Ticket()
            ticket_to_proto(t, msg)
            requests.append(pb.IngestTicketRequest(ticket=msg))
        for start in range(0, len(requests), 1000):
            reply = stub.IngestTickets(iter(requests[start : start + 1000]), timeout=RPC_TIMEOUT)
            assert not reply.errors, reply.errors[:3]
        stub.ReclusterIssues(pb.ReclusterIssuesRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT)
        stub.ScanAnomalies(pb.ScanAnomaliesRequest(tenant_id=TENANT), timeout=RPC_TIMEOUT)
        listed = stub.ListAnomalies(
            pb.ListAnomaliesRequest(tenant_id=TENANT, page_size=100), timeout=RPC_TIMEOUT
        )
    return list(listed.anomalies)


@pytest.mark.e2e
def test_an_incident_spread_over_several_issues_is_one_anomaly_with_its_root_cause(
    tmp_path,
) -> None:
    result = _history(with_incident=True)
    injected = {e for inc in result.truth for e in inc.external_ids}
    assert len(injected) >= 60  # about 20 extra tickets a day for three days
    found = _anomalies(tmp_path, result)
    assert len(found) == 1, [a.summary for a in found]
    (anomaly,) = found
    assert anomaly.metric == "volume"
    top = anomaly.root_causes[0]
    assert sorted((d.key, d.value) for d in top.dimensions) == sorted(DIMS), anomaly.summary
    assert top.explained_share >= 0.8
    # It lists the issues the incident's tickets went to: more than one.
    assert len(anomaly.issue_ids) >= 2, anomaly.summary
    start = min(inc.start for inc in result.truth)
    assert abs(anomaly.start_time.ToDatetime().timestamp() - start.timestamp()) <= 12 * 3600
    evidence = set(anomaly.evidence_ticket_ids)
    assert len(evidence & injected) >= 0.75 * len(evidence)


@pytest.mark.e2e
def test_the_same_history_without_the_incident_gives_no_anomaly(tmp_path) -> None:
    found = _anomalies(tmp_path, _history(with_incident=False))
    assert found == [], [a.summary for a in found]
