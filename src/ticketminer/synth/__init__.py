"""Synthetic helpdesk histories with injected incidents and their ground truth.

A `Scenario` (see `preset`) describes weeks of bilingual tickets from an electronics
shop's helpdesk, the incidents to inject and, optionally, a `CustomerJourney` (new
customers' activation trouble and packaging praise, with their ground truth). Two
paths generate it:

- `counts_frame(scenario)`: every ticket as numpy arrays (times, topic, attributes,
  channel, first response, FCR, reopen, CSAT, sentiment), without text, for
  benchmarks that need many scenarios;
- `generate(scenario)` / `iter_tickets(frame)`: domain `Ticket`s with text and message
  threads, rendered from the rows of that same frame.

Both share one rate model, so expected counts are the same; in fact the full path
renders the frame's own rows, so the service measures on the tickets exactly the
values the frame holds. Same scenario, same output, byte for byte.
"""

from ticketminer.synth.frame import SynthFrame, counts_frame
from ticketminer.synth.generator import SynthResult, generate, iter_tickets
from ticketminer.synth.output import (
    read_journey,
    read_truth,
    ticket_json,
    write_jsonl,
    write_truth,
)
from ticketminer.synth.scenario import (
    DEFAULT_END,
    KINDS,
    KPI_METRICS,
    PRESETS,
    CustomerJourney,
    Incident,
    Scenario,
    preset,
)
from ticketminer.synth.topics import TOPIC_KEYS

__all__ = [
    "DEFAULT_END",
    "KINDS",
    "KPI_METRICS",
    "PRESETS",
    "TOPIC_KEYS",
    "CustomerJourney",
    "Incident",
    "Scenario",
    "SynthFrame",
    "SynthResult",
    "counts_frame",
    "generate",
    "iter_tickets",
    "preset",
    "read_journey",
    "read_truth",
    "ticket_json",
    "write_jsonl",
    "write_truth",
]
