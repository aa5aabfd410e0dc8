"""`ticketminer synth`: write a synthetic helpdesk history (JSONL in the Ticket shape)
with injected incidents, and optionally its ground truth; same arguments, same bytes."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from ticketminer.domain.model import DEFAULT_TENANT
from ticketminer.synth.scenario import DEFAULT_END, PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=PRESETS, default="default")
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--tickets-per-day", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tenant", default=DEFAULT_TENANT)
    parser.add_argument("--tz", default="Asia/Shanghai", help="the helpdesk's local time zone")
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=DEFAULT_END,
        help=f"the local day after the last one generated (default {DEFAULT_END})",
    )
    parser.add_argument("--out", required=True, help="tickets, JSONL in the Ticket shape")
    parser.add_argument("--truth", help="ground truth JSON: incidents and topic labels")


def run_synth(args: argparse.Namespace) -> int:
    """Write a synthetic history (and its ground truth); same arguments, same bytes."""
    from ticketminer.synth import counts_frame, iter_tickets, preset, write_jsonl, write_truth

    started = time.perf_counter()
    try:
        scenario = preset(
            args.preset,
            weeks=args.weeks,
            tickets_per_day=args.tickets_per_day,
            seed=args.seed,
            tenant=args.tenant,
            tz=args.tz,
            end=args.end,
        )
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        print(f"ticketminer synth: {exc}", file=sys.stderr)
        return 2
    frame = counts_frame(scenario)
    count = write_jsonl(args.out, iter_tickets(frame))
    if args.truth:
        write_truth(args.truth, scenario, frame.truth(), frame.topic_of(), frame.journey_truth())
    truth = f", truth in {args.truth}" if args.truth else ""
    print(
        f"wrote {count} tickets ({scenario.first_day} to {scenario.end}, preset {args.preset}, "
        f"{len(scenario.incidents)} incidents) to {args.out}{truth} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0
