"""What to generate: the calendar, the volume, the incidents and the customer journey,
with their ground truth.

Incidents are one dataclass for every kind, so their ground truth serialises the same
way and a benchmark can sweep kinds and magnitudes with `dataclasses.replace`. The
customer journey (tenure and praise) is optional, so scenarios without one generate
exactly what they did before it existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ticketminer.domain.model import DEFAULT_TENANT
from ticketminer.domain.timeutil import to_us
from ticketminer.synth.attributes import DIM_VALUES, NEW_APP_VERSION
from ticketminer.synth.topics import STORIES, TOPIC_INDEX, TOPICS

KINDS = ("volume_surge", "emerging_issue", "kpi_degradation", "sentiment_surge")
KPI_METRICS = ("first_response_time", "fcr")
# A fixed end keeps the default output the same whichever day it is generated on.
DEFAULT_END = date(2026, 11, 16)
PRESETS = ("default", "none", "shipping", "lifecycle", "forms")
# How ticket text is written: freely (every preset but one), or mostly as templated
# forms (web forms, in-app feedback, pre-chat surveys, contact-form e-mails; see `forms`).
TEXT_STYLES = ("natural", "forms")
# Presets place their incidents up to 20 days before the end, after some baseline.
MIN_PRESET_DAYS = 28
# The service's first tenure bucket (`domain.tenure.DEFAULT_EDGES_DAYS`) and the first
# week, in which most activation trouble happens.
NEW_CUSTOMER_DAYS = 30
FIRST_WEEK_DAYS = 7
# The lifecycle preset's journey volumes, as shares of `tickets_per_day`.
ACTIVATION_SHARE = 0.04
PRAISE_SHARE = 0.03


@dataclass(frozen=True, slots=True)
class Incident:
    """One injected incident and, once generated, its ground truth.

    - `volume_surge`: `topic`'s volume is `multiplier` times its baseline in
      [start, end); every extra ticket carries `dims` and the `story` wording.
    - `emerging_issue`: `topic` (usually one with no baseline) appears at start and
      grows to `magnitude` tickets on an average day over `ramp_hours`.
    - `kpi_degradation`: `metric` of tickets created in the window that match `topic`
      (any if "") and `dims` is multiplied by `multiplier`: first response time
      (x3 = three times slower) or the one-touch probability behind FCR (x0.5).
    - `sentiment_surge`: the share of `topic`'s tickets (matching `dims`) written in
      anger rises to `magnitude` over `ramp_hours`; negative ones use the `story`.

    `dims` are the root cause: sorted (attribute, value) pairs, "channel" included.
    `external_ids` is filled in the ground truth: the injected tickets (surges,
    emerging issue), the degraded tickets (KPI) or the negative tickets in scope
    (sentiment), in creation order.
    """

    id: str
    kind: str
    start: datetime
    end: datetime
    topic: str = ""
    multiplier: float = 1.0
    magnitude: float = 0.0
    dims: tuple[tuple[str, str], ...] = ()
    metric: str = ""
    ramp_hours: float = 0.0
    story: str = ""
    keywords: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ValueError(f"incident {self.id!r}: {'; '.join(problems)}")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        object.__setattr__(self, "dims", tuple(sorted((k, v) for k, v in self.dims)))
        if self.story and not self.keywords:
            object.__setattr__(self, "keywords", STORIES[self.story].keywords)

    def _problems(self) -> list[str]:
        out = []
        if self.kind not in KINDS:
            out.append(f"kind must be one of {', '.join(KINDS)}")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            out.append("start and end must be time-zone aware")
        elif self.end <= self.start:
            out.append("end must be after start")
        if self.topic and self.topic not in TOPIC_INDEX:
            out.append(f"unknown topic {self.topic!r}")
        if not self.topic and self.kind != "kpi_degradation":
            out.append(f"a {self.kind} needs a topic")
        if self.kind == "volume_surge" and self.multiplier < 1:
            out.append("a volume surge needs multiplier >= 1")
        if self.kind == "emerging_issue" and self.magnitude <= 0:
            out.append("an emerging issue needs magnitude (tickets a day) > 0")
        if self.kind == "sentiment_surge" and not 0 < self.magnitude <= 1:
            out.append("a sentiment surge needs magnitude (negative share) in (0, 1]")
        if self.kind == "kpi_degradation" and (self.metric not in KPI_METRICS):
            out.append(f"a KPI degradation needs metric in {', '.join(KPI_METRICS)}")
        if self.kind == "kpi_degradation" and self.multiplier <= 0:
            out.append("a KPI degradation needs multiplier > 0")
        if self.story and self.story not in STORIES:
            out.append(f"unknown story {self.story!r}")
        if self.ramp_hours < 0:
            out.append("ramp_hours must not be negative")
        for key, value in self.dims:
            if value not in DIM_VALUES.get(key, ()):
                out.append(f"unknown dim {key}={value!r}")
        return out

    @property
    def start_us(self) -> int:
        return to_us(self.start)

    @property
    def end_us(self) -> int:
        return to_us(self.end)

    def strength(self, us: np.ndarray) -> np.ndarray:
        """0 outside [start, end), rising linearly to 1 over `ramp_hours` inside."""
        us = np.asarray(us, dtype=np.int64)
        inside = (us >= self.start_us) & (us < self.end_us)
        if self.ramp_hours <= 0:
            return inside.astype(np.float64)
        ramp = (us - self.start_us) / (self.ramp_hours * 3600e6)
        return np.where(inside, np.clip(ramp, 0.0, 1.0), 0.0)


@dataclass(frozen=True, slots=True)
class CustomerJourney:
    """Customer tenure and praise with a known truth, so that the service's customer
    insights (what trips up new customers, what customers praise) can be checked.

    - `new_customer_share` of the ordinary tickets come from customers in their first
      `NEW_CUSTOMER_DAYS` days (without a journey sign-ups are uniform over six years,
      so hardly any do), the rest from customers of longer standing;
    - `activation_topic` gets `activation_per_day` tickets on an average day on top of
      its baseline; `activation_first_week_share` of them come from customers who
      signed up at most `FIRST_WEEK_DAYS` days before (the others are ordinary);
    - `praise_topic` gets `praise_per_day` tickets a day (ordinary in tenure); of the
      solved ones `praise_rated_share` are rated, `praise_five_share` of those 5, the
      rest 4: people who write to compliment rate generously.

    `activation_ids` and `praise_ids` are filled in the ground truth
    (`SynthFrame.journey_truth`): the activation tickets whose customer had signed up
    at most `FIRST_WEEK_DAYS` days before, and every praise ticket, in creation order.
    """

    new_customer_share: float = 0.12
    activation_topic: str = "account_activation"
    activation_per_day: float = 0.0
    activation_first_week_share: float = 0.85
    praise_topic: str = "packaging_praise"
    praise_per_day: float = 0.0
    praise_rated_share: float = 0.8
    praise_five_share: float = 0.9
    activation_ids: tuple[str, ...] = ()
    praise_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        for name in ("activation_topic", "praise_topic"):
            if getattr(self, name) not in TOPIC_INDEX:
                problems.append(f"unknown {name} {getattr(self, name)!r}")
        if self.activation_topic == self.praise_topic:
            problems.append("activation_topic and praise_topic must differ")
        for name in (
            "new_customer_share",
            "activation_first_week_share",
            "praise_rated_share",
            "praise_five_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must be in [0, 1]")
        for name in ("activation_per_day", "praise_per_day"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if problems:
            raise ValueError(f"customer journey: {'; '.join(problems)}")

    @classmethod
    def scaled(cls, tickets_per_day: float, **params: Any) -> CustomerJourney:
        """The lifecycle preset's journey for a helpdesk of `tickets_per_day`:
        activation and praise at `ACTIVATION_SHARE` and `PRAISE_SHARE` of it."""
        volumes = {
            "activation_per_day": round(ACTIVATION_SHARE * tickets_per_day, 3),
            "praise_per_day": round(PRAISE_SHARE * tickets_per_day, 3),
        }
        return cls(**{**volumes, **params})

    def extra_volume(self, topic: str) -> float:
        """Tickets a day the journey adds to `topic`."""
        if topic == self.activation_topic:
            return self.activation_per_day
        if topic == self.praise_topic:
            return self.praise_per_day
        return 0.0


@dataclass(frozen=True, slots=True)
class Scenario:
    """A helpdesk history: `weeks` of local days ending before `end` (or from `start`),
    `tickets_per_day` on an average day split over the topics by their share, unless
    `topic_volume` sets a topic's tickets a day directly (0 removes it). `release` is
    when the new app version ships (it has no users before). `journey` adds new
    customers, activation trouble and praise with their ground truth (None: none).
    `text_style` "forms" renders most web, app, e-mail and chat tickets as filled-in
    forms (the same rows, only the subject and opening text differ)."""

    name: str = "custom"
    weeks: int = 8
    tickets_per_day: float = 300.0
    seed: int = 1
    end: date = DEFAULT_END
    start: date | None = None
    tz: str = "Asia/Shanghai"
    tenant: str = DEFAULT_TENANT
    topic_volume: Mapping[str, float] = field(default_factory=dict)
    incidents: tuple[Incident, ...] = ()
    release: datetime | None = None
    journey: CustomerJourney | None = None
    text_style: str = "natural"

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # raises on an unknown zone
        if self.text_style not in TEXT_STYLES:
            raise ValueError(f"text_style must be one of {', '.join(TEXT_STYLES)}")
        if self.days < 1:
            raise ValueError("a scenario needs at least one day")
        if self.tickets_per_day < 0:
            raise ValueError("tickets_per_day must not be negative")
        for key, volume in self.topic_volume.items():
            if key not in TOPIC_INDEX or volume < 0:
                raise ValueError(f"topic_volume: unknown topic or negative volume: {key!r}")
        ids = [inc.id for inc in self.incidents]
        if len(set(ids)) != len(ids):
            raise ValueError("incident ids must be unique")

    @property
    def first_day(self) -> date:
        return self.start if self.start is not None else self.end - timedelta(weeks=self.weeks)

    @property
    def days(self) -> int:
        return (self.end - self.first_day).days

    def at(self, day: int, hour: float = 0.0) -> datetime:
        """The UTC instant of local `hour` on day `day` (0 = the first day)."""
        midnight = datetime.combine(
            self.first_day + timedelta(days=day), time(), tzinfo=ZoneInfo(self.tz)
        )
        return (midnight + timedelta(hours=hour)).astimezone(UTC)

    @property
    def start_us(self) -> int:
        return to_us(self.at(0))

    @property
    def end_us(self) -> int:
        return to_us(self.at(self.days))

    @property
    def id_prefix(self) -> str:
        """External ids carry the seed, so two seeds can share a tenant."""
        return f"syn{self.seed}"

    def daily_volume(self, topic: str) -> float:
        """The topic's baseline tickets on an average day, the journey's included."""
        if topic in self.topic_volume:
            volume = float(self.topic_volume[topic])
        else:
            volume = self.tickets_per_day * TOPICS[TOPIC_INDEX[topic]].share
        if self.journey is not None:
            volume += self.journey.extra_volume(topic)
        return volume


def preset(name: str, **params: Any) -> Scenario:
    """A named scenario. `params` override Scenario fields (weeks, tickets_per_day,
    seed, end, tz, tenant, ...); incidents are placed counting back from the end.

    - default: all five incident kinds, staggered over the last three weeks;
    - none: the same history without incidents;
    - shipping: only the storm's shipping-delay surge;
    - lifecycle: the same history without incidents but with a `CustomerJourney`
      scaled to `tickets_per_day` (unless `journey` is given): new customers,
      first-week activation trouble and packaging praise with their ground truth;
    - forms: the history of "none" (no incidents), but most web, app, e-mail and chat
      tickets are filled-in forms: field labels, boilerplate, a coarse issue type and
      the problem in one short phrase (`text_style="forms"`, unless given).
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: use one of {', '.join(PRESETS)}")
    if name == "forms":
        params = {"text_style": "forms", **params}
    base = Scenario(name=name, **params)
    if name in ("default", "shipping") and base.days < MIN_PRESET_DAYS:
        raise ValueError(f"preset {name!r} needs at least {MIN_PRESET_DAYS} days")
    back = base.days  # day index of the end: incidents sit at `back - n`
    release = base.at(back - 14, 20)
    incidents: tuple[Incident, ...] = ()
    if name in ("default", "shipping"):
        incidents = (_storm(base, back),)
    if name == "default":
        incidents += _after_release(base, back)
    journey = base.journey
    if name == "lifecycle" and journey is None:
        journey = CustomerJourney.scaled(base.tickets_per_day)
    return replace(base, release=release, incidents=incidents, journey=journey)


def _storm(s: Scenario, back: int) -> Incident:
    return Incident(
        id="shipping-storm",
        kind="volume_surge",
        topic="shipping_delay",
        start=s.at(back - 20, 6),
        end=s.at(back - 17, 6),
        multiplier=4.0,
        dims=(("carrier", "SF"), ("region", "华南")),
        story="storm",
    )


def _after_release(s: Scenario, back: int) -> tuple[Incident, ...]:
    loop_start, loop_end = s.at(back - 11, 8), s.at(back)
    return (
        Incident(
            id="payment-release-bug",
            kind="volume_surge",
            topic="payment_failure",
            start=s.at(back - 13, 10),
            end=s.at(back - 10, 10),
            multiplier=3.0,
            dims=(("app_version", NEW_APP_VERSION), ("payment_method", "alipay")),
            story="payment_release",
        ),
        Incident(
            id="login-loop",
            kind="emerging_issue",
            topic="app_login_loop",
            start=loop_start,
            end=loop_end,
            magnitude=round(0.12 * s.tickets_per_day, 3),
            ramp_hours=(loop_end - loop_start).total_seconds() / 3600,
            dims=(("app_version", NEW_APP_VERSION),),
        ),
        Incident(
            id="email-frt-regression",
            kind="kpi_degradation",
            metric="first_response_time",
            start=s.at(back - 9),
            end=s.at(back - 2),
            multiplier=3.0,
            dims=(("channel", "email"),),
        ),
        Incident(
            id="coupon-anger",
            kind="sentiment_surge",
            topic="coupon_not_applied",
            start=s.at(back - 6, 14),
            end=s.at(back - 3, 14),
            magnitude=0.37,
            ramp_hours=3.0,
            story="coupon_outrage",
        ),
    )
