"""Deterministic, realistic support tickets for the benchmarks.

One generator feeds every output form, so the gRPC load, the import files and the
metrics database hold the same kind of ticket:

- a neutral `Spec` (plain Python values, times as int epoch microseconds),
- `to_pb` (wire `Ticket`), `to_domain` (the service's `Ticket`),
- `to_json` (protobuf JSON mapping, one JSONL line) and `csv_row` (the CSV importer's shape).

Mixes: six channels, all statuses (most tickets solved), carrier/region/product/
segment/warehouse attributes plus a high-cardinality order_id, 3-5 messages from
CUSTOMER/AGENT/BOT (and internal agent notes), CSAT on about a third of solved
tickets, reopens, ~10 % Chinese-language tickets. Same seed, same tickets.

Run alone (`python -m bench.ticket_gen`) it times generation and writes the mix it
produced to artifacts/bench/ticket_gen.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketminer.api.convert import ticket_to_proto
from ticketminer.domain.model import AuthorRole, Message, Ticket, TicketStatus
from ticketminer.importers.ticket_files import SCALAR_COLUMNS
from ticketminer.v1 import ticketminer_pb2 as pb

# Bump whenever the output changes: cached files and databases are keyed by it.
GEN_VERSION = 1
DEFAULT_SEED = 20240601

# Tickets are created in [END - span_days, END).
END = datetime(2025, 7, 1, tzinfo=UTC)
END_US = int(END.timestamp()) * 1_000_000
DAY_US = 86_400 * 1_000_000
MIN_US = 60 * 1_000_000

CHANNELS = (("email", 40), ("chat", 25), ("web", 15), ("phone", 12), ("twitter", 5), ("app", 3))
STATUSES = (
    (TicketStatus.NEW, 5),
    (TicketStatus.OPEN, 12),
    (TicketStatus.PENDING, 8),
    (TicketStatus.ON_HOLD, 3),
    (TicketStatus.SOLVED, 42),
    (TicketStatus.CLOSED, 30),
)
CARRIERS = (("SF", 30), ("JD", 20), ("ZTO", 15), ("YTO", 10), ("EMS", 8), ("DHL", 7), ("UPS", 6))
CARRIERS += (("FedEx", 4),)
REGIONS = (("East", 30), ("South", 25), ("North", 20), ("West", 15), ("Central", 10))
SEGMENTS = (("consumer", 75), ("business", 20), ("vip", 5))
PRODUCT_NAMES = (
    *("phone-x1", "phone-x2", "earbuds-pro", "smartwatch-s", "tablet-10", "laptop-14"),
    *("charger-65w", "cable-usb-c", "router-ax", "speaker-mini", "camera-4k", "monitor-27"),
    *("keyboard-mx", "mouse-m3", "powerbank-20k", "vacuum-r5", "kettle-smart", "blender-one"),
    *("fridge-cube", "tv-55"),
)
PRODUCTS = tuple(
    (name, weight)
    for name, weight in zip(
        [
            "phone-x1",
            "phone-x2",
            "earbuds-pro",
            "smartwatch-s",
            "tablet-10",
            "laptop-14",
            "charger-65w",
            "cable-usb-c",
            "router-ax",
            "speaker-mini",
            "camera-4k",
            "monitor-27",
            "keyboard-mx",
            "mouse-m3",
            "powerbank-20k",
            "vacuum-r5",
            "kettle-smart",
            "blender-one",
            "fridge-cube",
            "tv-55",
        ],
        (30, 22, 18, 15, 12, 10, 9, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1),
        strict=True,
    )
)
WAREHOUSES = tuple((f"WH-{i:02d}", 13 - i) for i in range(1, 13))
TAGS = ("shipping", "refund", "damaged", "warranty", "billing", "account", "urgent", "repeat")
LANGUAGES = (("en", 85), ("zh", 10), ("es", 5))

SUBJECTS = {
    "en": (
        "Where is my order {order}?",
        "Refund request for damaged {product}",
        "{product} stopped working after a week",
        "Wrong item delivered ({product})",
        "Cannot log in to my account",
        "Charged twice for order {order}",
        "Delivery by {carrier} is late",
        "Warranty claim for {product}",
    ),
    "zh": (
        "我的订单{order}在哪里？",
        "{product}收到时已损坏，申请退款",
        "{carrier}快递延误",
        "订单{order}重复扣款",
    ),
    "es": ("¿Dónde está mi pedido {order}?", "Reembolso por {product} dañado"),
}
SENTENCES = {
    "en": (
        "I ordered the {product} two weeks ago and the tracking page has not changed since.",
        "The parcel was handed to {carrier} but nobody came to my address in the {region}.",
        "When I opened the box the screen was cracked and the charger was missing.",
        "I already contacted support by phone and was promised a call back that never came.",
        "Please tell me whether I can get a replacement or if I should return it for a refund.",
        "My account shows the payment twice, which is a problem for my monthly budget.",
        "I have attached photos of the packaging and the serial number on the back.",
        "This is the second time this happens with an order from your store.",
        "Could you check with the warehouse whether the item was actually shipped?",
        "I need this resolved before the end of the week because it is a gift.",
    ),
    "zh": (
        "我两周前订购了{product}，物流信息一直没有更新。",
        "包裹交给了{carrier}，但一直没有人送到我在{region}的地址。",
        "打开包装后发现屏幕裂了，充电器也不见了。",
        "我已经打过电话，客服答应回电但一直没有回复。",
        "请告诉我能否换货，或者我应该退货退款。",
        "我的账户显示扣款两次，请尽快处理。",
    ),
    "es": (
        "Pedí el {product} hace dos semanas y el seguimiento no ha cambiado desde entonces.",
        "El paquete se entregó a {carrier} pero nadie vino a mi dirección en la zona {region}.",
        "Al abrir la caja la pantalla estaba rota y faltaba el cargador.",
        "Por favor díganme si puedo obtener un reemplazo o si debo devolverlo.",
    ),
}
AGENT_REPLIES = (
    "Thanks for reaching out. I checked order {order} and {carrier} reports a delay at the "
    "sorting centre; it should arrive within two working days.",
    "Sorry about the damaged {product}. I have issued a replacement and emailed you a prepaid "
    "return label for the faulty unit.",
    "I have refunded the duplicate charge; it will show on your statement in 3-5 days.",
    "Could you send a photo of the serial number so I can open the warranty claim?",
)
CUSTOMER_FOLLOWUPS = (
    "Thanks, but the tracking still says in transit. Any update?",
    "Here is the photo you asked for.",
    "Great, that solves it. Thank you!",
    "I still have not received the refund.",
)
BOT_REPLY = "Hi! We received your request and an agent will reply soon. Ticket: {external_id}."
NOTE = "Escalated to the {carrier} account manager; waiting for the carrier's answer."

ATTRIBUTE_KEYS = ("carrier", "region", "product", "segment", "warehouse", "order_id")
CSV_HEADER = (
    *SCALAR_COLUMNS,
    "tags",
    "messages",
    *(f"attributes.{k}" for k in ATTRIBUTE_KEYS),
)


@dataclass(slots=True)
class MessageSpec:
    role: AuthorRole
    created_us: int
    body: str
    public: bool
    external_id: str
    author_id: str


@dataclass(slots=True)
class Spec:
    """One ticket as plain values; times are epoch microseconds (None = unset)."""

    tenant_id: str
    external_id: str
    created_us: int
    updated_us: int
    channel: str
    subject: str
    description: str
    status: TicketStatus
    solved_us: int | None
    first_solved_us: int | None
    reopen_count: int
    customer_id: str
    customer_since_us: int
    csat: int | None
    language: str
    tags: list[str]
    attributes: dict[str, str]
    messages: list[MessageSpec] = field(default_factory=list)


def _table(pairs: tuple[tuple[object, int], ...]) -> tuple:
    """Each value repeated by its weight: a uniform index into it is a weighted pick."""
    return tuple(v for v, w in pairs for _ in range(w))


_CHANNELS = _table(CHANNELS)
_STATUSES = _table(STATUSES)
_CARRIERS = _table(CARRIERS)
_REGIONS = _table(REGIONS)
_SEGMENTS = _table(SEGMENTS)
_PRODUCTS = _table(PRODUCTS)
_WAREHOUSES = _table(WAREHOUSES)
_LANGUAGES = _table(LANGUAGES)
_CSAT = _table(((1, 8), (2, 6), (3, 12), (4, 30), (5, 44)))


def _pick(rng: random.Random, table: tuple):
    """Uniform pick (weighted through `_table`); cheaper than rng.choice/choices."""
    return table[int(rng.random() * len(table))]


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _minutes(rng: random.Random, median: float, spread: float = 1.0) -> int:
    """A lognormal duration in microseconds, whole seconds."""
    return int(rng.lognormvariate(0, spread) * median * 60) * 1_000_000


def _description(rng: random.Random, lang: str, fill: dict[str, str]) -> str:
    pool = SENTENCES[lang]
    target = 300 if lang != "zh" else 110  # ~300 bytes of UTF-8 either way
    parts, size = [], 0
    while size < target:
        s = _pick(rng, pool).format(**fill)
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)


def make_spec(rng: random.Random, index: int, prefix: str, span_days: int, tenant: str) -> Spec:
    external_id = f"{prefix}-{index:08d}"
    created = END_US - span_days * DAY_US + _below(rng, span_days * 86_400) * 1_000_000
    lang = _pick(rng, _LANGUAGES)
    channel = _pick(rng, _CHANNELS)
    status = _pick(rng, _STATUSES)
    product = _pick(rng, _PRODUCTS)
    carrier = _pick(rng, _CARRIERS)
    region = _pick(rng, _REGIONS)
    order = f"SO{_below(rng, 10**9):09d}"
    fill = {"product": product, "carrier": carrier, "region": region, "order": order}
    attributes = {"carrier": carrier, "region": region, "product": product}
    attributes["segment"] = _pick(rng, _SEGMENTS)
    if rng.random() < 0.8:
        attributes["warehouse"] = _pick(rng, _WAREHOUSES)
    if rng.random() < 0.7:
        attributes["order_id"] = order

    customer = _below(rng, 200_000)
    n_messages = 3 + _below(rng, 3)
    t = created + _below(rng, 120) * 1_000_000
    messages = [MessageSpec(AuthorRole.CUSTOMER, t, "", True, f"{external_id}-m0", f"c{customer}")]
    messages[0].body = _description(rng, lang, fill)[:200]
    if channel in ("chat", "web", "app") and rng.random() < 0.6:
        t += (2 + _below(rng, 28)) * 1_000_000
        body = BOT_REPLY.format(external_id=external_id)
        messages.append(MessageSpec(AuthorRole.BOT, t, body, True, f"{external_id}-m1", "bot"))
    agent = f"a{_below(rng, 400)}"
    responded = status not in (TicketStatus.NEW,) or rng.random() < 0.2
    while len(messages) < n_messages:
        k = len(messages)
        last_role = messages[-1].role
        if last_role != AuthorRole.AGENT and responded:
            t += _minutes(rng, 90 if channel != "chat" else 4, 1.2)
            if rng.random() < 0.12:
                body = NOTE.format(**fill)
                messages.append(
                    MessageSpec(AuthorRole.AGENT, t, body, False, f"{external_id}-m{k}", agent)
                )
                continue
            body = _pick(rng, AGENT_REPLIES).format(**fill)
            messages.append(
                MessageSpec(AuthorRole.AGENT, t, body, True, f"{external_id}-m{k}", agent)
            )
        else:
            t += _minutes(rng, 240, 1.0)
            body = _pick(rng, CUSTOMER_FOLLOWUPS)
            messages.append(
                MessageSpec(
                    AuthorRole.CUSTOMER, t, body, True, f"{external_id}-m{k}", f"c{customer}"
                )
            )
    rng.shuffle(messages)  # the API takes the thread in any order
    last = max(m.created_us for m in messages)

    solved_us = first_solved_us = None
    reopen_count = 0
    csat = None
    if status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        solved_us = last + _minutes(rng, 60, 1.0)
        r = rng.random()
        reopen_count = 2 if r < 0.02 else 1 if r < 0.10 else 0
        if reopen_count:
            first_solved_us = created + (solved_us - created) // 3
        if rng.random() < 0.35:
            csat = _pick(rng, _CSAT)
    elif rng.random() < 0.05:  # reopened and currently open again
        first_solved_us = created + (last - created) // 2
        reopen_count = 1
    updated = max(last, solved_us or 0)
    n_tags = _pick(rng, (0, 1, 1, 2, 3))
    return Spec(
        tenant_id=tenant,
        external_id=external_id,
        created_us=created,
        updated_us=updated,
        channel=channel,
        subject=_pick(rng, SUBJECTS[lang]).format(**fill),
        description=_description(rng, lang, fill),
        status=status,
        solved_us=solved_us,
        first_solved_us=first_solved_us,
        reopen_count=reopen_count,
        customer_id=f"c{customer}",
        customer_since_us=created - (1 + _below(rng, 3 * 365)) * DAY_US,
        csat=csat,
        language=lang,
        tags=rng.sample(TAGS, n_tags),
        attributes=attributes,
        messages=messages,
    )


def specs(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    prefix: str = "T",
    start: int = 0,
    span_days: int = 365,
    tenant: str = "",
) -> Iterator[Spec]:
    """`count` tickets numbered from `start`; the same arguments give the same tickets."""
    rng = random.Random(f"{GEN_VERSION}:{seed}:{start}")
    for i in range(start, start + count):
        yield make_spec(rng, i, prefix, span_days, tenant)


# --- output forms ------------------------------------------------------------------


def to_pb(s: Spec) -> pb.Ticket:
    """The wire form, through the service's own converter."""
    msg = pb.Ticket()
    ticket_to_proto(to_domain(s), msg)
    return msg


def ingest_request_bytes(s: Spec) -> bytes:
    return pb.IngestTicketRequest(ticket=to_pb(s)).SerializeToString()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _dt(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)


def to_domain(s: Spec) -> Ticket:
    return Ticket(
        tenant_id=s.tenant_id or "default",
        external_id=s.external_id,
        created_at=_dt(s.created_us),  # type: ignore[arg-type]
        updated_at=_dt(s.updated_us),
        channel=s.channel,
        subject=s.subject,
        description=s.description,
        messages=[
            Message(
                author_role=m.role,
                created_at=_dt(m.created_us),  # type: ignore[arg-type]
                body=m.body,
                public=m.public,
                external_id=m.external_id,
                author_id=m.author_id,
            )
            for m in s.messages
        ],
        status=s.status,
        solved_at=_dt(s.solved_us),
        first_solved_at=_dt(s.first_solved_us),
        reopen_count=s.reopen_count,
        customer_id=s.customer_id,
        customer_since=_dt(s.customer_since_us),
        attributes=dict(s.attributes),
        tags=list(s.tags),
        csat=s.csat,
        language=s.language,
    )


def rfc3339(us: int) -> str:
    secs, micros = divmod(us, 1_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


def _messages_json(s: Spec) -> list[dict[str, object]]:
    return [
        {
            "externalId": m.external_id,
            "authorRole": f"AUTHOR_ROLE_{m.role.name}",
            "createdAt": rfc3339(m.created_us),
            "body": m.body,
            "public": m.public,
            "authorId": m.author_id,
        }
        for m in s.messages
    ]


def to_json(s: Spec) -> dict[str, object]:
    """The protobuf JSON mapping of the wire Ticket (camelCase names)."""
    out: dict[str, object] = {
        "externalId": s.external_id,
        "createdAt": rfc3339(s.created_us),
        "updatedAt": rfc3339(s.updated_us),
        "channel": s.channel,
        "subject": s.subject,
        "description": s.description,
        "messages": _messages_json(s),
        "status": f"TICKET_STATUS_{s.status.name}",
        "customerId": s.customer_id,
        "customerSince": rfc3339(s.customer_since_us),
        "attributes": s.attributes,
        "tags": s.tags,
        "language": s.language,
    }
    if s.tenant_id:
        out["tenantId"] = s.tenant_id
    if s.solved_us is not None:
        out["solvedAt"] = rfc3339(s.solved_us)
    if s.first_solved_us is not None:
        out["firstSolvedAt"] = rfc3339(s.first_solved_us)
    if s.reopen_count:
        out["reopenCount"] = s.reopen_count
    if s.csat is not None:
        out["csat"] = s.csat
    return out


def csv_row(s: Spec) -> dict[str, str]:
    def t(us: int | None) -> str:
        return "" if us is None else rfc3339(us)

    return {
        "tenant_id": s.tenant_id,
        "external_id": s.external_id,
        "created_at": t(s.created_us),
        "updated_at": t(s.updated_us),
        "channel": s.channel,
        "subject": s.subject,
        "description": s.description,
        "status": s.status.name.lower(),
        "solved_at": t(s.solved_us),
        "first_solved_at": t(s.first_solved_us),
        "reopen_count": str(s.reopen_count),
        "customer_id": s.customer_id,
        "customer_since": t(s.customer_since_us),
        "csat": "" if s.csat is None else str(s.csat),
        "language": s.language,
        "tags": "|".join(s.tags),
        "messages": json.dumps(_messages_json(s), ensure_ascii=False, separators=(",", ":")),
        **{f"attributes.{k}": s.attributes.get(k, "") for k in ATTRIBUTE_KEYS},
    }


def write_jsonl(path: Path, count: int, seed: int = DEFAULT_SEED, prefix: str = "J") -> Path:
    """Write atomically (a partial file is never mistaken for a cached one)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for s in specs(count, seed=seed, prefix=prefix):
            f.write(json.dumps(to_json(s), ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
    tmp.replace(path)
    return path


def write_csv(path: Path, count: int, seed: int = DEFAULT_SEED, prefix: str = "C") -> Path:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_HEADER)
        writer.writeheader()
        for s in specs(count, seed=seed, prefix=prefix):
            writer.writerow(csv_row(s))
    tmp.replace(path)
    return path


def cached_file(kind: str, count: int, directory: Path, seed: int = DEFAULT_SEED) -> Path:
    """A generated JSONL or CSV file of `count` tickets, reused while GEN_VERSION holds."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"tickets-v{GEN_VERSION}-s{seed}-{count}.{kind}"
    if not path.exists():
        (write_jsonl if kind == "jsonl" else write_csv)(path, count, seed)
    return path


def mix(count: int, seed: int = DEFAULT_SEED) -> dict[str, object]:
    """What the generator produces, for the record."""
    channels: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    csat = reopened = 0
    desc = json_bytes = req_bytes = n_msgs = 0
    for s in specs(count, seed=seed):
        channels[s.channel] += 1
        statuses[s.status.name] += 1
        langs[s.language] += 1
        roles.update(m.role.name for m in s.messages)
        n_msgs += len(s.messages)
        csat += s.csat is not None
        reopened += s.reopen_count > 0
        desc += len(s.description)
        json_bytes += len(json.dumps(to_json(s), ensure_ascii=False).encode())
        req_bytes += len(ingest_request_bytes(s))
    return {
        "tickets": count,
        "channels": dict(channels.most_common()),
        "statuses": dict(statuses.most_common()),
        "languages": dict(langs.most_common()),
        "message_roles": dict(roles.most_common()),
        "messages_per_ticket": n_msgs / count,
        "csat_share": csat / count,
        "reopened_share": reopened / count,
        "description_chars_mean": desc / count,
        "jsonl_bytes_mean": json_bytes / count,
        "request_bytes_mean": req_bytes / count,
    }


def main() -> None:
    from bench.common import write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    started = time.perf_counter()
    n = sum(1 for _ in specs(args.count))
    spec_s = time.perf_counter() - started
    started = time.perf_counter()
    buf = io.StringIO()
    for s in specs(args.count):
        buf.write(json.dumps(to_json(s), ensure_ascii=False))
    jsonl_s = time.perf_counter() - started
    write_result(
        "ticket_gen",
        {
            "gen_version": GEN_VERSION,
            "seed": DEFAULT_SEED,
            "specs_per_s": n / spec_s,
            "jsonl_lines_per_s": n / jsonl_s,
            "mix": mix(min(args.count, 5000)),
        },
    )


if __name__ == "__main__":
    main()
