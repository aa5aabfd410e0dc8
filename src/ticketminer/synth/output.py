"""Files of a synthetic history: tickets as JSONL in the wire `Ticket` JSON mapping
(what `ticketminer import` and the gRPC JSON mapping accept) and the ground truth as
JSON. Both are byte-identical for the same scenario; a scenario without a customer
journey gets no "journey" key, so its truth reads as it did before journeys."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from ticketminer.api.convert import ticket_to_proto
from ticketminer.domain.model import Ticket
from ticketminer.synth.scenario import CustomerJourney, Incident, Scenario
from ticketminer.synth.topics import TOPIC_KEYS
from ticketminer.v1 import ticketminer_pb2 as pb

TRUTH_FORMAT = 1


def ticket_json(ticket: Ticket) -> str:
    """One compact JSONL line, through the service's own converter."""
    msg = pb.Ticket()
    ticket_to_proto(ticket, msg)
    data = json_format.MessageToDict(msg)
    if "attributes" in data:  # map order is not part of the protobuf contract
        data["attributes"] = dict(sorted(data["attributes"].items()))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(path: str | Path, tickets: Iterable[Ticket]) -> int:
    """Write one ticket per line; returns how many were written."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as f:
        for ticket in tickets:
            f.write(ticket_json(ticket))
            f.write("\n")
            count += 1
    return count


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def incident_json(inc: Incident) -> dict[str, Any]:
    return {
        "id": inc.id,
        "kind": inc.kind,
        "topic": inc.topic,
        "start": _time(inc.start),
        "end": _time(inc.end),
        "multiplier": inc.multiplier,
        "magnitude": inc.magnitude,
        "dims": [list(pair) for pair in inc.dims],
        "metric": inc.metric,
        "ramp_hours": inc.ramp_hours,
        "story": inc.story,
        "keywords": list(inc.keywords),
        "external_ids": list(inc.external_ids),
    }


def incident_from_json(data: dict[str, Any]) -> Incident:
    return Incident(
        id=data["id"],
        kind=data["kind"],
        topic=data["topic"],
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        multiplier=data["multiplier"],
        magnitude=data["magnitude"],
        dims=tuple((key, value) for key, value in data["dims"]),
        metric=data["metric"],
        ramp_hours=data["ramp_hours"],
        story=data["story"],
        keywords=tuple(data["keywords"]),
        external_ids=tuple(data["external_ids"]),
    )


def journey_json(journey: CustomerJourney) -> dict[str, Any]:
    """Every field, the id tuples as lists."""
    return {
        f.name: list(value) if isinstance(value := getattr(journey, f.name), tuple) else value
        for f in fields(CustomerJourney)
    }


def journey_from_json(data: dict[str, Any]) -> CustomerJourney:
    return CustomerJourney(
        **{
            f.name: tuple(data[f.name]) if isinstance(data[f.name], list) else data[f.name]
            for f in fields(CustomerJourney)
        }
    )


def truth_json(
    scenario: Scenario,
    truth: list[Incident],
    topic_of: dict[str, str],
    journey: CustomerJourney | None = None,
) -> str:
    """The scenario's parameters, its incidents with their tickets, its customer
    journey (`SynthFrame.journey_truth()`, which carries the tickets; without it the
    scenario's journey, whose id lists are empty) and every ticket's topic label: one
    line per top-level key and per incident, so the file reads in a pager and diffs
    by incident."""
    document: dict[str, Any] = {
        "format": TRUTH_FORMAT,
        "scenario": {
            "name": scenario.name,
            "seed": scenario.seed,
            "first_day": scenario.first_day.isoformat(),
            "end": scenario.end.isoformat(),
            "days": scenario.days,
            "tz": scenario.tz,
            "tenant": scenario.tenant,
            "tickets_per_day": scenario.tickets_per_day,
            "topic_volume": dict(sorted(scenario.topic_volume.items())),
            "release": _time(scenario.release),
        },
        "topics": list(TOPIC_KEYS),
        "incidents": [incident_json(inc) for inc in truth],
    }
    journey = journey if journey is not None else scenario.journey
    if journey is not None:
        document["journey"] = journey_json(journey)
    document["labels"] = topic_of
    lines = []
    for key, value in document.items():
        if key == "incidents":
            items = ",\n".join(f"  {_compact(inc)}" for inc in value)
            text = f"[\n{items}\n ]" if value else "[]"
        else:
            text = _compact(value)
        lines.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_truth(
    path: str | Path,
    scenario: Scenario,
    truth: list[Incident],
    topic_of: dict[str, str],
    journey: CustomerJourney | None = None,
) -> None:
    text = truth_json(scenario, truth, topic_of, journey)
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_truth(path: str | Path) -> tuple[list[Incident], dict[str, str]]:
    """The incidents and the topic labels of a truth file."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return [incident_from_json(d) for d in document["incidents"]], document["labels"]


def read_journey(path: str | Path) -> CustomerJourney | None:
    """The customer journey of a truth file with its tickets; None if it has none."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    data = document.get("journey")
    return None if data is None else journey_from_json(data)
