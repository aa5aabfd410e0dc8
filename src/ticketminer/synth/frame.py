"""The columnar path: every ticket of a scenario as numpy arrays, without text.

Benchmarks that need thousands of scenarios' worth of counts and metrics use this
directly (1,000 tickets a day for 8 weeks take a few tens of milliseconds). The full
path (`generator.py`) renders the rows of this same frame into tickets, so both paths
share the rate model, the attribute distributions and the incident logic; a frame's
values are exactly what the service measures on the rendered tickets.

A scenario's customer journey draws from streams of its own (`JOURNEY_STREAM`), and
only when it is set, so scenarios without one get the frames they always got.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ticketminer.domain.timeutil import to_us
from ticketminer.synth import attributes as attrs
from ticketminer.synth.draws import categorical
from ticketminer.synth.lifecycle import Lifecycle, praise_csat, simulate
from ticketminer.synth.rates import RateModel, rate_model
from ticketminer.synth.scenario import (
    FIRST_WEEK_DAYS,
    NEW_CUSTOMER_DAYS,
    CustomerJourney,
    Incident,
    Scenario,
)
from ticketminer.synth.topics import TOPIC_INDEX, TOPIC_KEYS, TOPICS

DAY_US = 86_400_000_000
CUSTOMER_HISTORY_US = 6 * 365 * DAY_US  # the oldest customer signed up this long before
TICKETS_PER_CUSTOMER = 1.6
ORDER_NUMBERS = (1_000_000_000, 10_000_000_000)  # ten digits
JOURNEY_STREAM = 0x70E5  # seeds the journey's generators with the scenario's seed
_HAS_ATTRIBUTE = {key: np.array([key in t.attributes for t in TOPICS]) for key in attrs.CATEGORIES}
_HAS_ORDER = np.array([t.has_order for t in TOPICS])
_NEGATIVE = np.array([t.negative for t in TOPICS])


@dataclass(frozen=True, slots=True, eq=False)
class SynthFrame:
    """One row per ticket in creation order (row i is ticket `external_id(i)`).

    Codes index the tuples in `categories` (attributes), `TOPIC_KEYS`, `CHANNELS` and
    `LANGUAGES`; -1 means the attribute is absent. Lifecycle arrays are as observed
    at the scenario's end (see `lifecycle.Lifecycle`).
    """

    scenario: Scenario
    rates: RateModel
    created_us: np.ndarray  # int64 UTC epoch microseconds, ascending
    cell: np.ndarray  # the rate model's hour cell of each ticket
    topic: np.ndarray
    channel: np.ndarray
    language: np.ndarray
    attributes: dict[str, np.ndarray]
    order_no: np.ndarray  # int64 order number, -1 when the ticket names no order
    customer: np.ndarray  # index into the customer pool (older customers first)
    customer_since_us: np.ndarray
    negative: np.ndarray  # bool: written in anger
    first_response_s: np.ndarray  # float64 seconds, NaN = no agent reply by the end
    resolution_s: np.ndarray  # float64 seconds to the first solve, NaN = not solved
    solved: np.ndarray  # bool: SOLVED or CLOSED at the end
    reopened: np.ndarray  # bool
    fcr: np.ndarray  # bool: solved, one public agent reply, never reopened
    csat: np.ndarray  # int8 1..5, 0 = no rating
    status: np.ndarray  # int8 TicketStatus at the end
    touches: np.ndarray  # public agent replies planned before the first solve
    planned_response_s: np.ndarray
    planned_solve_s: np.ndarray
    planned_reopen_s: np.ndarray
    planned_final_s: np.ndarray
    incident_rows: tuple[np.ndarray, ...]  # per scenario incident: rows of its tickets

    topics = TOPIC_KEYS
    channels = attrs.CHANNELS
    languages = attrs.LANGUAGES
    categories = attrs.CATEGORIES

    def __len__(self) -> int:
        return len(self.created_us)

    def external_id(self, row: int) -> str:
        return f"{self.scenario.id_prefix}-{row:07d}"

    @property
    def day(self) -> np.ndarray:
        """Local day index of each ticket (0 = the scenario's first day)."""
        return self.rates.day[self.cell]

    @property
    def weekday(self) -> np.ndarray:
        """Local weekday of each ticket, Monday = 0."""
        return self.rates.weekday[self.cell]

    @property
    def local_hour(self) -> np.ndarray:
        return self.rates.local_hour[self.cell]

    @property
    def tenure_days(self) -> np.ndarray:
        """Whole days from each ticket's customer's sign-up to the ticket, as the
        service buckets tenure (0 = signed up less than a day before)."""
        return (self.created_us - self.customer_since_us) // DAY_US

    def truth(self) -> list[Incident]:
        """The scenario's incidents with the external ids of their tickets."""
        out = []
        for inc, rows in zip(self.scenario.incidents, self.incident_rows, strict=True):
            ids = tuple(self.external_id(r) for r in rows.tolist())
            out.append(replace(inc, external_ids=ids))
        return out

    def journey_truth(self) -> CustomerJourney | None:
        """The scenario's journey with the external ids of its activation tickets from
        first-week customers and of its praise tickets; None without a journey."""
        journey = self.scenario.journey
        if journey is None:
            return None
        activation = self.topic == TOPIC_INDEX[journey.activation_topic]
        first_week = activation & (self.tenure_days < FIRST_WEEK_DAYS)
        praise = self.topic == TOPIC_INDEX[journey.praise_topic]
        return replace(
            journey,
            activation_ids=tuple(self.external_id(r) for r in np.flatnonzero(first_week).tolist()),
            praise_ids=tuple(self.external_id(r) for r in np.flatnonzero(praise).tolist()),
        )

    def topic_of(self) -> dict[str, str]:
        """Ground-truth topic label of every ticket."""
        return {self.external_id(i): TOPIC_KEYS[k] for i, k in enumerate(self.topic.tolist())}


def counts_frame(scenario: Scenario) -> SynthFrame:
    """Draw every ticket of `scenario` as arrays (same seed, same frame)."""
    rates = rate_model(scenario)
    rng = np.random.default_rng([scenario.seed, 0x7155])
    created, cell, topic, source = _arrivals(rng, rates)
    n = len(created)
    injected = [source == i for i in range(len(scenario.incidents))]
    forced = _forced_dims(scenario.incidents, injected, n)

    channel = _override(categorical(rng, attrs.CHANNEL_WEIGHTS, n), forced.get("channel"))
    customer, since, segment = _customers(rng, scenario, created, topic)
    codes = _attributes(rng, scenario, created, topic, forced, segment)
    abroad = codes["region"] == attrs.REGIONS.index(attrs.ABROAD)
    language = np.where(
        abroad,
        categorical(rng, attrs.LANGUAGE_WEIGHTS_ABROAD, n),
        categorical(rng, attrs.LANGUAGE_WEIGHTS_DOMESTIC, n),
    ).astype(np.int16)
    order_no = np.where(_HAS_ORDER[topic], rng.integers(*ORDER_NUMBERS, size=n), -1)

    scoped = [_in_scope(inc, created, topic, channel, codes) for inc in scenario.incidents]
    p_negative, frt_factor, one_touch_factor = _ticket_effects(scenario, scoped, topic)
    negative = rng.random(n) < p_negative
    life = simulate(
        rng,
        created_us=created,
        end_us=scenario.end_us,
        channel=channel,
        topic=topic,
        negative=negative,
        frt_factor=frt_factor,
        one_touch_factor=one_touch_factor,
    )
    if scenario.journey is not None:
        life = _praise_ratings(scenario, scenario.journey, topic, life)
    rows = []
    for inc, strength, mine in zip(scenario.incidents, scoped, injected, strict=True):
        if inc.kind in ("volume_surge", "emerging_issue"):
            rows.append(np.flatnonzero(mine))  # the injected tickets
        elif inc.kind == "kpi_degradation":
            rows.append(np.flatnonzero(strength > 0))  # the degraded tickets
        else:
            rows.append(np.flatnonzero((strength > 0) & negative))  # the angry ones
    return SynthFrame(
        scenario=scenario,
        rates=rates,
        created_us=created,
        cell=cell,
        topic=topic,
        channel=channel,
        language=language,
        attributes=codes,
        order_no=order_no,
        customer=customer,
        customer_since_us=since,
        negative=negative,
        incident_rows=tuple(rows),
        **life._asdict(),
    )


def _ticket_effects(
    scenario: Scenario, scoped: list[np.ndarray], topic: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ticket: the probability of being written in anger, and the factors on its
    first response time and on its one-touch probability, from the incidents."""
    p_negative = _NEGATIVE[topic]
    frt_factor = np.ones(len(topic))
    one_touch_factor = np.ones(len(topic))
    for inc, strength in zip(scenario.incidents, scoped, strict=True):
        if inc.kind == "sentiment_surge":
            p_negative = p_negative + (inc.magnitude - p_negative) * strength
        elif inc.kind == "kpi_degradation":
            factor = 1.0 + (inc.multiplier - 1.0) * strength
            if inc.metric == "first_response_time":
                frt_factor *= factor
            else:
                one_touch_factor *= factor
    return p_negative, frt_factor, one_touch_factor


def _arrivals(
    rng: np.random.Generator, rates: RateModel
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Poisson counts per stream and hour cell, uniform whole-second times inside the
    cell's allowed part; sorted by time (stable, so ties keep stream order)."""
    if not rates.streams:
        empty = np.zeros(0, dtype=np.int16)
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), empty, empty
    created, cells, topics, sources = [], [], [], []
    for stream in rates.streams:
        counts = rng.poisson(stream.expected)
        cell = np.repeat(np.arange(len(counts)), counts)
        lo, hi = stream.lo_us[cell], stream.hi_us[cell]
        offset = np.floor(rng.random(len(cell)) * (hi - lo) / 1e6).astype(np.int64)
        created.append(lo + offset * 1_000_000)
        cells.append(cell)
        topics.append(np.full(len(cell), stream.topic, dtype=np.int16))
        sources.append(np.full(len(cell), stream.incident, dtype=np.int16))
    created_us = np.concatenate(created)
    order = np.argsort(created_us, kind="stable")
    return (
        created_us[order],
        np.concatenate(cells)[order],
        np.concatenate(topics)[order],
        np.concatenate(sources)[order],
    )


def _forced_dims(
    incidents: tuple[Incident, ...], injected: list[np.ndarray], n: int
) -> dict[str, np.ndarray]:
    """Per dim key, the code that injected tickets must carry (-1 = free)."""
    forced: dict[str, np.ndarray] = {}
    for inc, mine in zip(incidents, injected, strict=True):
        for key, value in inc.dims:
            codes = forced.setdefault(key, np.full(n, -1, dtype=np.int16))
            codes[mine] = attrs.DIM_VALUES[key].index(value)
    return forced


def _override(codes: np.ndarray, forced: np.ndarray | None) -> np.ndarray:
    if forced is None:
        return codes
    return np.where(forced >= 0, forced, codes).astype(np.int16)


def _attributes(
    rng: np.random.Generator,
    scenario: Scenario,
    created: np.ndarray,
    topic: np.ndarray,
    forced: dict[str, np.ndarray],
    segment: np.ndarray,
) -> dict[str, np.ndarray]:
    """Draw the categorical attributes in dependency order (the segment is the
    customer's); injected tickets get their incident's dims before anything
    depending on them is drawn."""
    n = len(created)
    region = _override(categorical(rng, attrs.REGION_WEIGHTS, n), forced.get("region"))
    abroad = region == attrs.REGIONS.index(attrs.ABROAD)
    carrier = np.where(
        abroad,
        categorical(rng, attrs.CARRIER_WEIGHTS_ABROAD, n),
        categorical(rng, attrs.CARRIER_WEIGHTS_DOMESTIC, n),
    )
    home = np.array([attrs.WAREHOUSES.index(attrs.HOME_WAREHOUSE[r]) for r in attrs.REGIONS])
    warehouse = np.where(
        rng.random(n) < attrs.HOME_WAREHOUSE_SHARE,
        home[region],
        categorical(rng, attrs.WAREHOUSE_WEIGHTS, n),
    )
    app_version = categorical(rng, attrs.APP_VERSION_WEIGHTS, n)
    if scenario.release is not None:
        adoption = (created - to_us(scenario.release)) / (attrs.NEW_VERSION_ADOPTION_DAYS * DAY_US)
        adopted = rng.random(n) < attrs.NEW_VERSION_PEAK_SHARE * np.clip(adoption, 0.0, 1.0)
        app_version[adopted] = attrs.APP_VERSIONS.index(attrs.NEW_APP_VERSION)
    drawn = {
        "region": region,
        "carrier": carrier,
        "warehouse": warehouse,
        "product": categorical(rng, attrs.PRODUCT_WEIGHTS, n),
        "payment_method": categorical(rng, attrs.PAYMENT_WEIGHTS, n),
        "app_version": app_version,
        "segment": segment,
    }
    out = {}
    for key, codes in drawn.items():
        codes = _override(codes.astype(np.int16), forced.get(key))
        present = _HAS_ATTRIBUTE[key][topic] | (forced[key] >= 0 if key in forced else False)
        out[key] = np.where(present, codes, -1).astype(np.int16)
    return out


def _journey_rng(scenario: Scenario, part: int) -> np.random.Generator:
    """One generator per journey draw, apart from the main stream and each other."""
    return np.random.default_rng([scenario.seed, JOURNEY_STREAM, part])


def _customers(
    rng: np.random.Generator, scenario: Scenario, created: np.ndarray, topic: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A pool of customers with sign-up times (sorted, so older customers have lower
    numbers); each ticket comes from one who had signed up by then, so customers
    file repeat tickets and keep their segment and `customer_since` across them."""
    n = len(created)
    pool = max(1, int(n / TICKETS_PER_CUSTOMER))
    oldest = scenario.start_us - CUSTOMER_HISTORY_US
    since = np.sort(rng.integers(oldest, scenario.end_us, size=pool)) // 1_000_000 * 1_000_000
    since[0] = oldest
    eligible = np.searchsorted(since, created, side="right")
    pick = rng.random(n)
    segments = categorical(rng, attrs.SEGMENT_WEIGHTS, pool)
    if scenario.journey is not None:
        rng = _journey_rng(scenario, 0)
        return _journey_customers(rng, scenario.journey, created, topic, since, segments, pick)
    customer = (pick * eligible).astype(np.int64)
    return customer, since[customer], segments[customer]


def _journey_customers(
    rng: np.random.Generator,
    journey: CustomerJourney,
    created: np.ndarray,
    topic: np.ndarray,
    since: np.ndarray,
    segments: np.ndarray,
    pick: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers when the journey sets the tenure: a ticket from a new customer (in
    the first week for most activation tickets, the first 30 days for the share of
    the others) brings a sign-up inside that window to the pool and then comes from
    any pool customer who signed up inside it, so new customers file repeat tickets
    too; every other ticket comes from a customer of longer standing. The pool stays
    sorted by sign-up, so customers keep their number, segment and sign-up."""
    n = len(created)
    activation = topic == TOPIC_INDEX[journey.activation_topic]
    first_week = activation & (rng.random(n) < journey.activation_first_week_share)
    new = ~first_week & (rng.random(n) < journey.new_customer_share)
    window = np.where(first_week, FIRST_WEEK_DAYS, np.where(new, NEW_CUSTOMER_DAYS, 0)) * DAY_US
    fresh = np.flatnonzero(window > 0)
    # whole seconds in [0, window): the sign-up falls inside its ticket's window
    offset = np.floor(rng.random(len(fresh)) * (window[fresh] // 1_000_000)).astype(np.int64)
    signed_up = np.concatenate([since, created[fresh] - offset * 1_000_000])
    segment = np.concatenate([segments, categorical(rng, attrs.SEGMENT_WEIGHTS, len(fresh))])
    order = np.argsort(signed_up, kind="stable")  # the oldest customer stays first
    signed_up, segment = signed_up[order], segment[order]
    # established customers: signed up at least NEW_CUSTOMER_DAYS before the ticket
    established = np.searchsorted(signed_up, created - NEW_CUSTOMER_DAYS * DAY_US, side="right")
    customer = (pick * established).astype(np.int64)
    lo = np.searchsorted(signed_up, created[fresh] - window[fresh], side="right")
    hi = np.searchsorted(signed_up, created[fresh], side="right")
    customer[fresh] = lo + (rng.random(len(fresh)) * (hi - lo)).astype(np.int64)
    return customer, signed_up[customer], segment[customer]


def _praise_ratings(
    scenario: Scenario, journey: CustomerJourney, topic: np.ndarray, life: Lifecycle
) -> Lifecycle:
    """The journey's praise tickets rated as compliments are (`praise_csat`)."""
    praise = topic == TOPIC_INDEX[journey.praise_topic]
    csat = life.csat.copy()
    csat[praise] = praise_csat(
        _journey_rng(scenario, 1),
        life.solved[praise],
        journey.praise_rated_share,
        journey.praise_five_share,
    )
    return life._replace(csat=csat)


def _in_scope(
    inc: Incident,
    created: np.ndarray,
    topic: np.ndarray,
    channel: np.ndarray,
    codes: dict[str, np.ndarray],
) -> np.ndarray:
    """The incident's strength on each ticket its ticket-level effect (sentiment, KPI)
    reaches: created in its window, of its topic (if any), matching its dims."""
    if inc.kind not in ("sentiment_surge", "kpi_degradation"):
        return np.zeros(len(created))
    match = np.ones(len(created), dtype=bool)
    if inc.topic:
        match &= topic == TOPIC_INDEX[inc.topic]
    for key, value in inc.dims:
        column = channel if key == "channel" else codes[key]
        match &= column == attrs.DIM_VALUES[key].index(value)
    return inc.strength(created) * match
