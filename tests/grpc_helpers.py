"""In-process server fixtures and helpers to read rich error details."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from ticketminer.v1 import ticketminer_pb2 as pb

BASE = 1_772_442_000  # 2026-03-02T09:00:00Z


def ts(minutes: float = 0) -> Timestamp:
    return Timestamp(seconds=BASE + int(minutes * 60))


def good_ticket(external_id: str = "T-1", **fields) -> pb.Ticket:
    t = pb.Ticket(
        external_id=external_id,
        created_at=ts(0),
        channel="email",
        subject="Parcel late",
        status=pb.TICKET_STATUS_SOLVED,
        solved_at=ts(90),
        attributes={"carrier": "SF"},
        messages=[
            pb.Message(author_role=pb.AUTHOR_ROLE_CUSTOMER, created_at=ts(0), body="where?"),
            pb.Message(
                author_role=pb.AUTHOR_ROLE_AGENT, created_at=ts(30), body="on its way", public=True
            ),
        ],
    )
    for name, value in fields.items():
        if isinstance(value, Timestamp):
            getattr(t, name).CopyFrom(value)
        elif name == "attributes":
            t.attributes.clear()
            t.attributes.update(value)
        else:
            setattr(t, name, value)
    return t


def violations(err: grpc.RpcError) -> dict[str, str]:
    """field -> description from the google.rpc.BadRequest detail."""
    status = rpc_status.from_call(err)
    assert status is not None, "no rich status attached"
    out: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.update({v.field: v.description for v in bad.field_violations})
    return out
