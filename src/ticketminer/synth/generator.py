"""The full path: domain `Ticket`s with text and message threads, rendered from the
rows of a `SynthFrame`.

Messages are placed at the frame's planned times and cut at the scenario's end, so
the first response time, resolution time, FCR, reopen and CSAT the service derives
from a ticket equal the frame's values for its row.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ticketminer.domain.model import AuthorRole, Message, Ticket, TicketStatus
from ticketminer.domain.timeutil import from_us
from ticketminer.synth import attributes as attrs
from ticketminer.synth import forms, wording
from ticketminer.synth.frame import SynthFrame, counts_frame
from ticketminer.synth.scenario import CustomerJourney, Incident, Scenario
from ticketminer.synth.topics import STORIES, TOPICS, Story, Topic
from ticketminer.synth.wording import Voice, below, pick

BOT_CHANNELS = frozenset(("chat", "web", "app"))
BOT_RATE = 0.7
THANKS_RATE = 0.1
NOTE_RATE = 0.15
TOPIC_TAG_RATE = 0.7
COMPLAINT_TAG_RATE = 0.6
AGENTS = 80
OPEN_HORIZON_S = 3 * 86_400.0  # how far ahead replies of a never-solved ticket are spread
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EMAIL_NAMES = ("li.wei", "zhangmin", "wang_fang", "chen.jie", "liuyang", "amy.tan", "j.lee")
EMAIL_DOMAINS = ("qq.com", "163.com", "gmail.com", "outlook.com", "126.com")


@dataclass(frozen=True, slots=True, eq=False)
class SynthResult:
    tickets: list[Ticket]
    truth: list[Incident]  # the scenario's incidents with their tickets' external ids
    topic_of: dict[str, str]  # external_id -> topic key (ground-truth labels)
    frame: SynthFrame  # the same tickets as arrays
    journey: CustomerJourney | None = None  # the journey with its tickets' external ids


def generate(scenario: Scenario) -> SynthResult:
    """Every ticket of `scenario` with its ground truth (same scenario, same output)."""
    frame = counts_frame(scenario)
    return SynthResult(
        tickets=list(iter_tickets(frame)),
        truth=frame.truth(),
        topic_of=frame.topic_of(),
        frame=frame,
        journey=frame.journey_truth(),
    )


def iter_tickets(frame: SynthFrame) -> Iterator[Ticket]:
    """The frame's rows as tickets, in creation order, without holding them all."""
    s = frame.scenario
    rng = random.Random(f"ticketminer-synth:{s.seed}")
    zone = ZoneInfo(s.tz)
    stories: dict[int, Story] = {}
    for inc, rows in zip(s.incidents, frame.incident_rows, strict=True):
        if inc.story:
            stories.update(dict.fromkeys(rows.tolist(), STORIES[inc.story]))
    columns = {
        name: getattr(frame, name).tolist()
        for name in (
            "created_us",
            "topic",
            "channel",
            "language",
            "order_no",
            "customer",
            "customer_since_us",
            "negative",
            "status",
            "reopened",
            "resolution_s",
            "csat",
            "touches",
            "planned_response_s",
            "planned_solve_s",
            "planned_reopen_s",
            "planned_final_s",
        )
    }
    codes = {key: values.tolist() for key, values in frame.attributes.items()}
    end_us = s.end_us
    for i in range(len(frame)):
        row = {name: values[i] for name, values in columns.items()}
        values = {key: attrs.CATEGORIES[key][c[i]] for key, c in codes.items() if c[i] >= 0}
        age = (end_us - row["created_us"]) / 1e6
        yield _ticket(rng, frame, i, row, values, stories.get(i), zone, age)


def _ticket(
    rng: random.Random,
    frame: SynthFrame,
    i: int,
    row: dict,
    values: dict[str, str],
    story: Story | None,
    zone: ZoneInfo,
    age: float,
) -> Ticket:
    """Row `i` as a ticket; `age` is seconds from its creation to the scenario's end."""
    s = frame.scenario
    topic = TOPICS[row["topic"]]
    channel = attrs.CHANNELS[row["channel"]]
    created_us = row["created_us"]
    created = from_us(created_us)
    ticket_id = frame.external_id(i)
    customer_id = f"C{row['customer']:07d}"
    if row["order_no"] >= 0:
        values["order_id"] = f"SO{row['order_no']}"
    fill, fill_en = _slots(rng, values, created_us, zone)
    voice = Voice(attrs.LANGUAGES[row["language"]], row["negative"], story, fill, fill_en)
    # Natural text draws its subject after the thread; a form draws both up front.
    form = forms.form_ticket(rng, topic, voice, channel) if s.text_style == "forms" else None
    if form is None:
        description = wording.description(rng, topic, voice, channel == "phone")
    else:
        form_subject, description = form
    people = (ticket_id, customer_id, values.get("segment", ""))
    messages = _thread(rng, row, topic, voice, channel, people, description)
    messages = [m for m in messages if m[0] <= age]
    thread = [
        Message(
            author_role=role,
            created_at=created + timedelta(seconds=at),
            body=body,
            public=public,
            external_id=f"{ticket_id}-m{k}",
            author_id=author,
        )
        for k, (at, role, body, public, author) in enumerate(sorted(messages, key=_at))
    ]
    resolution = row["resolution_s"]
    status = TicketStatus(row["status"])
    first_solved_at = None if math.isnan(resolution) else created + timedelta(seconds=resolution)
    solved_at = None
    if status.is_solved:
        solved_at = created + timedelta(seconds=row["planned_final_s"])
    times = [m.created_at for m in thread] + [t for t in (first_solved_at, solved_at) if t]
    return Ticket(
        external_id=ticket_id,
        created_at=created,
        tenant_id=s.tenant,
        updated_at=max(times),
        channel=channel,
        subject=wording.subject(rng, topic, voice) if form is None else form_subject,
        description=description,
        messages=thread,
        status=status,
        solved_at=solved_at,
        first_solved_at=first_solved_at,
        reopen_count=int(row["reopened"]),
        customer_id=customer_id,
        customer_since=from_us(row["customer_since_us"]),
        attributes=values,
        tags=_tags(rng, topic, voice, values),
        csat=row["csat"] or None,
        language=voice.base,  # mixed text is mostly Chinese
    )


def _at(message: tuple) -> float:
    return message[0]


def _thread(
    rng: random.Random,
    row: dict,
    topic: Topic,
    voice: Voice,
    channel: str,
    people: tuple[str, str, str],
    description: str,
) -> list[tuple[int, AuthorRole, str, bool, str]]:
    """(seconds after creation, role, body, public, author) of every planned message:
    the customer's opening, a bot's acknowledgement, the first agent reply, further
    rounds until the first solve, an internal note, and the reopen round.
    `people` is (ticket id, customer id, customer segment)."""
    ticket_id, customer_id, segment = people
    customer, agent = AuthorRole.CUSTOMER, AuthorRole.AGENT
    agent_id = f"agent-{below(rng, AGENTS):03d}"
    out = [(0, customer, description, True, customer_id)]
    response = int(row["planned_response_s"])
    if channel in BOT_CHANNELS and response > 2 and rng.random() < BOT_RATE:
        at = 1 + below(rng, min(30, response - 1))
        out.append((at, AuthorRole.BOT, wording.bot_reply(voice, ticket_id), True, "bot"))
    out.append((response, agent, wording.first_reply(rng, topic, voice), True, agent_id))
    solve = row["planned_solve_s"]
    horizon = solve if math.isfinite(solve) else response + OPEN_HORIZON_S
    rounds = sorted(rng.uniform(response + 1, horizon - 1) for _ in range(2 * row["touches"] - 2))
    for asked, answered in zip(rounds[::2], rounds[1::2], strict=True):
        out.append(
            (int(asked), customer, wording.customer_follow_up(rng, topic, voice), True, customer_id)
        )
        body = wording.agent_follow_up(rng, topic, voice)
        out.append((int(answered), agent, body, True, agent_id))
    if row["touches"] == 1 and rng.random() < THANKS_RATE:
        at = int(rng.uniform(response + 1, horizon))
        out.append((at, customer, wording.thanks(rng, voice), True, customer_id))
    if rng.random() < NOTE_RATE:
        body = wording.internal_note(topic, voice, segment)
        out.append((int(rng.uniform(response, horizon)), agent, body, False, agent_id))
    reopen_at = row["planned_reopen_s"]
    if math.isfinite(reopen_at):
        out.append((int(reopen_at), customer, wording.reopen(rng, voice), True, customer_id))
        at = int(reopen_at + (row["planned_final_s"] - reopen_at) * rng.uniform(0.2, 0.8))
        out.append((at, agent, wording.agent_follow_up(rng, topic, voice), True, agent_id))
    return out


def _slots(
    rng: random.Random, values: dict[str, str], created_us: int, zone: ZoneInfo
) -> tuple[dict[str, str], dict[str, str]]:
    """Slot values in Chinese and English; attributes the ticket lacks still get a
    value, because customers mention things the helpdesk never recorded."""
    product = values.get("product") or pick(rng, attrs.PRODUCTS)
    carrier = values.get("carrier") or pick(rng, attrs.CARRIERS)
    region = values.get("region") or pick(rng, attrs.REGIONS)
    payment = values.get("payment_method") or pick(rng, attrs.PAYMENT_METHODS)
    warehouse = values.get("warehouse") or pick(rng, attrs.WAREHOUSES)
    city_zh, city_en = pick(rng, attrs.CITIES[region])
    days = 2 + below(rng, 11)
    ordered = datetime.fromtimestamp(created_us / 1e6 - days * 86_400, zone)
    common = {
        "order": values.get("order_id") or f"SO{10**9 + below(rng, 9 * 10**9)}",
        "amount": str(19 + below(rng, 8981)),
        "days": str(days),
        "version": values.get("app_version") or pick(rng, attrs.APP_VERSIONS[:-1]),
        "phone": f"1{pick(rng, '3456789')}{below(rng, 10**9):09d}",
        "email": f"{pick(rng, EMAIL_NAMES)}{below(rng, 100)}@{pick(rng, EMAIL_DOMAINS)}",
    }
    names = (
        ("product", attrs.PRODUCT_NAMES[product]),
        ("carrier", attrs.CARRIER_NAMES[carrier]),
        ("payment", attrs.PAYMENT_NAMES[payment]),
        ("warehouse", attrs.WAREHOUSE_NAMES[warehouse]),
    )
    zh = {**common, "city": city_zh, "date": f"{ordered.month}月{ordered.day}日"}
    en = {**common, "city": city_en, "date": f"{MONTHS[ordered.month - 1]} {ordered.day}"}
    for slot, (name_zh, name_en) in names:
        zh[slot], en[slot] = name_zh, name_en
    return zh, en


def _tags(rng: random.Random, topic: Topic, voice: Voice, values: dict[str, str]) -> list[str]:
    """Tags as agents add them: the topic's often, a complaint mark on angry tickets."""
    tags = []
    if rng.random() < TOPIC_TAG_RATE:
        tags.append(topic.tag)
    if voice.negative and rng.random() < COMPLAINT_TAG_RATE:
        tags.append("complaint")
    if values.get("segment") == "vip":
        tags.append("vip")
    return tags
