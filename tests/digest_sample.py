"""A hand-made weekly digest for renderer and browser tests: shop, 2026-W46, Shanghai.

The numbers are consistent with each other (KPIs match the MetricSets, days add up
to the week's volume, shares to the issue volumes) so a test can look for a number
in the output and know where it came from.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from ticketminer.digest.kpis import kpis
from ticketminer.digest.movers import p_values, q_values
from ticketminer.domain.anomalies import (
    FIRST_RESPONSE_TIME,
    VOLUME,
    Anomaly,
    AnomalyKind,
    AnomalyStatus,
    RootCauseCandidate,
    Severity,
    TermLift,
)
from ticketminer.domain.digest import (
    ChangeKind,
    DayVolume,
    DigestIssue,
    Highlight,
    IssueChange,
    Kpi,
    Mover,
    SampleTicket,
    WeeklyDigest,
)
from ticketminer.domain.filters import Cohort, TicketFilter
from ticketminer.domain.lifecycle import CustomerInsights, NewCustomerIssue, OutcomeDriver
from ticketminer.domain.metrics import CsatStats, DurationStats, MetricDefinition, MetricSet, Ratio

TENANT = "shop"
TZ = "Asia/Shanghai"
START = datetime(2026, 11, 8, 16, 0, tzinfo=UTC)  # Mon 9 Nov 00:00 +08:00
END = START + timedelta(days=7)
PREV_START = START - timedelta(days=7)
WEEK = TicketFilter(start_time=START, end_time=END)

LOGISTICS = "物流 延迟 快递"
REFUND = "refund not received"
ACTIVATION = "激活码 收不到 activation"
PACKAGING = "包装 礼盒 gift box"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time in November 2026, as a UTC instant."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def metrics(
    volume: int,
    solved: int,
    fcr: int,
    frt: tuple[float, float, float] | None,
    resolution: tuple[float, float, float] | None,
    reopened: int,
    csat: tuple[int, int, int, int, int],
) -> MetricSet:
    """A MetricSet whose derived values follow from its counts, as the service builds it."""
    rated = sum(csat)
    mean = sum((i + 1) * c for i, c in enumerate(csat)) / rated if rated else None
    satisfied = (csat[3] + csat[4]) / rated if rated else None

    def stats(n: int, values: tuple[float, float, float] | None) -> DurationStats:
        return DurationStats(n, *values) if values and n else DurationStats(n)

    return MetricSet(
        volume=volume,
        solved=solved,
        fcr=Ratio(fcr, solved),
        first_response_time=stats(volume - volume // 20, frt),
        resolution_time=stats(solved, resolution),
        full_resolution_time=stats(solved, resolution),
        reopen_rate=Ratio(reopened, solved),
        csat=CsatStats(rated, mean, satisfied, csat),
    )


CURRENT = metrics(
    1284, 1020, 726, (1620, 1860, 14760), (20520, 30240, 172800), 62, (21, 18, 40, 118, 160)
)
PREVIOUS = metrics(
    1131, 958, 703, (2100, 2460, 12960), (19800, 28800, 165600), 56, (12, 14, 36, 120, 171)
)
ZERO = metrics(0, 0, 0, None, None, 0, (0, 0, 0, 0, 0))


def _kpis(current: MetricSet, previous: MetricSet) -> tuple[Kpi, ...]:
    """The service's own KPI reading, so the sample's tiles carry real test scores."""
    return kpis(current, previous, WEEK)


DAILY = (158, 231, 224, 196, 187, 152, 136)  # Tue: the SF surge starts
DAILY_PREVIOUS = (171, 176, 169, 162, 168, 149, 136)


def _days(volumes: tuple[int, ...]) -> tuple[DayVolume, ...]:
    out = []
    for i, (volume, previous) in enumerate(zip(volumes, DAILY_PREVIOUS, strict=True)):
        day_start = START + timedelta(days=i)
        out.append(
            DayVolume(
                day=date(2026, 11, 9) + timedelta(days=i),
                volume=volume,
                previous_volume=previous,
                drill_down=TicketFilter(start_time=day_start, end_time=day_start + timedelta(1)),
            )
        )
    return tuple(out)


def _issue(
    issue_id: int,
    label: str,
    terms: tuple[str, ...],
    weekly: tuple[int, ...],
    current: MetricSet,
    previous: MetricSet,
    first_seen: datetime,
) -> DigestIssue:
    return DigestIssue(
        issue_id=issue_id,
        label=label,
        terms=terms,
        volume=weekly[-1],
        previous_volume=weekly[-2],
        share=weekly[-1] / CURRENT.volume,
        weekly_volumes=weekly,
        metrics=current,
        previous_metrics=previous,
        drill_down=replace(WEEK, issue_ids=(issue_id,)),
        first_seen=first_seen,
    )


TOP_ISSUES = (
    _issue(
        3,
        LOGISTICS,
        ("物流", "延迟", "快递", "顺丰", "delivery"),
        (150, 162, 170, 158, 181, 190, 201, 312),
        metrics(312, 240, 115, (1500, 2280, 15800), (30000, 41400, 190000), 19, (9, 7, 12, 20, 14)),
        metrics(201, 180, 110, (1700, 2100, 11000), (25000, 34000, 160000), 10, (3, 4, 9, 22, 25)),
        datetime(2025, 6, 2, 3, 0, tzinfo=UTC),
    ),
    _issue(
        7,
        REFUND,
        ("refund", "received", "return", "退款"),
        (160, 171, 166, 180, 176, 169, 188, 205),
        metrics(205, 170, 98, (2100, 2700, 9000), (40000, 61200, 250000), 9, (4, 3, 8, 19, 16)),
        metrics(188, 160, 90, (4200, 5400, 14000), (42000, 64800, 260000), 9, (3, 5, 9, 18, 15)),
        datetime(2025, 5, 20, 8, 0, tzinfo=UTC),
    ),
    _issue(
        12,
        "退款 进度 查询",
        ("退款", "进度", "查询", "到账"),
        (120, 131, 158, 149, 162, 175, 170, 164),
        metrics(164, 150, 121, (900, 1320, 6000), (9000, 14400, 86400), 5, (1, 2, 6, 22, 30)),
        metrics(170, 155, 126, (960, 1380, 6100), (9600, 15000, 90000), 6, (2, 2, 5, 21, 31)),
        datetime(2025, 4, 11, 2, 0, tzinfo=UTC),
    ),
    _issue(
        21,
        "login password reset",
        ("login", "password", "reset", "验证码"),
        (110, 98, 104, 99, 101, 96, 104, 98),
        metrics(98, 95, 88, (240, 420, 1800), (1200, 2400, 7200), 1, (0, 1, 2, 10, 24)),
        metrics(104, 101, 92, (260, 450, 1900), (1300, 2500, 7400), 2, (1, 1, 3, 11, 22)),
        datetime(2025, 3, 3, 1, 0, tzinfo=UTC),
    ),
    _issue(
        34,
        "优惠券 无法 使用",
        ("优惠券", "无法", "使用", "coupon"),
        (12, 10, 15, 18, 22, 30, 41, 77),
        metrics(77, 70, 52, (600, 900, 3600), (3600, 7200, 28800), 3, (2, 2, 3, 6, 9)),
        metrics(41, 38, 30, (640, 960, 3800), (3900, 7600, 30000), 2, (1, 1, 2, 4, 6)),
        datetime(2026, 8, 30, 4, 0, tzinfo=UTC),
    ),
)

SURGE = Anomaly(
    anomaly_id=17,
    tenant_id=TENANT,
    kind=AnomalyKind.VOLUME_SURGE,
    metric=VOLUME,
    issue_id=3,
    status=AnomalyStatus.ONGOING,
    severity=Severity.HIGH,
    start=local(10, 9),
    detected_at=local(10, 11),
    end=None,
    updated_at=local(16, 8),
    observed=38.0,
    expected=13.5,
    pvalue=1e-9,
    score=8.7,
    tickets=184,
    root_causes=(
        RootCauseCandidate(
            dims=(("carrier", "SF"), ("region", "华南")),
            observed=121,
            expected=26.3,
            explained_share=0.78,
            lift=4.6,
            support=0.66,
            pvalue=1e-12,
            score=9.1,
            evidence_ticket_ids=("T-230114", "T-230187", "T-230242"),
        ),
        RootCauseCandidate(
            dims=(("carrier", "SF"),),
            observed=139,
            expected=44.0,
            explained_share=0.91,
            lift=3.2,
            support=0.76,
            pvalue=1e-10,
            score=7.4,
        ),
    ),
    terms=(TermLift("顺丰", 121, 30, 4.0), TermLift("转运", 64, 12, 5.3)),
    evidence_ticket_ids=("T-230114", "T-230187", "T-230242", "T-230301"),
    summary="物流 延迟 快递 tickets are 2.8× their usual rate since Tuesday; "
    "SF Express in 华南 explains 78 % of the excess.",
    issue_label=LOGISTICS,
)

SLOW_REPLIES = Anomaly(
    anomaly_id=18,
    tenant_id=TENANT,
    kind=AnomalyKind.KPI_DEGRADATION,
    metric=FIRST_RESPONSE_TIME,
    issue_id=None,
    status=AnomalyStatus.RESOLVED,
    severity=Severity.MEDIUM,
    start=local(12, 14),
    detected_at=local(12, 16),
    end=local(13, 20),
    updated_at=local(13, 21),
    observed=5400.0,
    expected=2100.0,
    pvalue=3e-6,
    score=5.2,
    tickets=233,
    root_causes=(
        RootCauseCandidate(
            dims=(("channel", "email"),),
            observed=5400,
            expected=2200,
            explained_share=0.64,
            lift=2.3,
            support=0.41,
            pvalue=1e-5,
            score=4.8,
            evidence_ticket_ids=("T-230512", "T-230530"),
        ),
    ),
    evidence_ticket_ids=("T-230512", "T-230530", "T-230577"),
    summary="First replies took 1.5 h instead of 35 min on Thursday and Friday, mostly on email.",
    issue_ids=(7, 12),
)

CHANGES = (
    IssueChange(
        ChangeKind.NEW,
        41,
        "gift card balance missing",
        local(11, 10, 24),
        23,
        replace(WEEK, issue_ids=(41,)),
    ),
    IssueChange(ChangeKind.EMERGING, 3, LOGISTICS, local(10, 9), 184, TicketFilter(anomaly_id=17)),
    IssueChange(
        ChangeKind.SPLIT,
        44,
        "退货 上门 取件",
        local(12, 3),
        58,
        replace(WEEK, issue_ids=(44,)),
        related_issue_id=12,
        related_label="退款 进度 查询",
    ),
    IssueChange(
        ChangeKind.MERGED,
        29,
        "password reset email",
        local(12, 3),
        31,
        replace(WEEK, issue_ids=(29,)),
        related_issue_id=21,
        related_label="login password reset",
    ),
    IssueChange(
        ChangeKind.RETIRED, 9, "双十一 预售 定金", local(12, 3), 4, replace(WEEK, issue_ids=(9,))
    ),
)


WEEK_TESTS = 120  # tests behind the sample week's movers: 40 issues x 3 metrics


def _mover(dimension, value, label, metric, cur, prev, n, prev_n, score, improved, flt):
    return Mover(dimension, value, label, metric, cur, prev, n, prev_n, score, improved, flt)


def _tested(movers: tuple[Mover, ...]) -> tuple[Mover, ...]:
    """The movers with the p and q they get among WEEK_TESTS tests, the others null."""
    scores = [m.score for m in movers] + [0.0] * (WEEK_TESTS - len(movers))
    p, q = p_values(scores), q_values(scores)
    return tuple(replace(m, p_value=float(p[k]), q_value=float(q[k])) for k, m in enumerate(movers))


MOVERS = _tested(
    (
        _mover(
            "issue",
            "3",
            LOGISTICS,
            "fcr",
            0.479,
            0.611,
            240,
            180,
            4.1,
            False,
            replace(WEEK, issue_ids=(3,), cohort=Cohort.SOLVED),
        ),
        _mover(
            "channel",
            "email",
            "email",
            "first_response_p50",
            3900.0,
            1800.0,
            402,
            377,
            3.6,
            False,
            replace(WEEK, channels=("email",), cohort=Cohort.RESPONDED),
        ),
        _mover(
            "attributes.region",
            "华南",
            "华南",
            "csat",
            3.62,
            4.18,
            88,
            91,
            3.9,
            False,
            replace(WEEK, attributes=(("region", "华南"),), cohort=Cohort.RATED),
        ),
        _mover(
            "issue",
            "7",
            REFUND,
            "first_response_p50",
            2700.0,
            5400.0,
            197,
            180,
            3.3,
            True,
            replace(WEEK, issue_ids=(7,), cohort=Cohort.RESPONDED),
        ),
        _mover(
            "channel",
            "chat",
            "chat",
            "fcr",
            0.781,
            0.702,
            512,
            488,
            3.8,
            True,
            replace(WEEK, channels=("chat",), cohort=Cohort.SOLVED),
        ),
        _mover(
            "attributes.carrier",
            "SF",
            "SF",
            "volume",
            402.0,
            180.0,
            402,
            180,
            6.2,
            None,
            replace(WEEK, attributes=(("carrier", "SF"),)),
        ),
    )
)

HIGHLIGHTS = (
    Highlight(
        3,
        LOGISTICS,
        "anomaly",
        (
            SampleTicket(
                "T-230114",
                local(10, 9, 42),
                "chat",
                "我的快递已经三天没有更新物流信息了，订单号 <order_no>，"
                "顺丰显示一直在广州转运中心。",
            ),
            SampleTicket(
                "T-230187",
                local(10, 15, 5),
                "app",
                "顺丰说华南仓库爆仓，什么时候能发货？电话 <phone> 一直打不通。",
            ),
            SampleTicket(
                "T-230242",
                local(11, 8, 30),
                "email",
                "Parcel stuck at the Guangzhou hub since Monday, tracking <tracking_no>.",
            ),
        ),
        TicketFilter(anomaly_id=17),
    ),
    Highlight(
        7,
        REFUND,
        "top",
        (
            SampleTicket(
                "T-230355",
                local(12, 11, 17),
                "email",
                "I returned the jacket two weeks ago and still haven't received my "
                "refund for order <order_no>.",
            ),
            SampleTicket(
                "T-230402", local(13, 19, 2), "chat", "退款显示已处理，但是银行卡还没有到账。"
            ),
        ),
        replace(WEEK, issue_ids=(7,)),
    ),
    Highlight(
        41,
        "gift card balance missing",
        "new",
        (
            SampleTicket(
                "T-230290",
                local(11, 10, 24),
                "web",
                "My gift card shows a balance of 0 after the app update — it had "
                "¥200 on it. Email <email>.",
            ),
        ),
        replace(WEEK, issue_ids=(41,)),
    ),
)

DEFINITIONS = (
    MetricDefinition(
        "fcr", "one_touch", "Solved with at most one public agent reply, never reopened."
    ),
    MetricDefinition("first_response_time", "", "Creation to the first public agent reply."),
)


def _driver(kind, key, label, tickets, hits, rate_of_week, evidence) -> OutcomeDriver:
    """An issue (`key` its id) or a word (`key` the word) and its outcome counts."""
    rate = hits / tickets
    is_issue = kind == "issue"
    return OutcomeDriver(
        kind=kind,
        issue_id=key if is_issue else None,
        term="" if is_issue else key,
        label=label,
        tickets=tickets,
        with_outcome=hits,
        rate=rate,
        lift=rate / rate_of_week,
        zscore=6.0,
        pvalue=1e-9,
        qvalue=1e-7,
        evidence_ticket_ids=evidence,
        drill_down=replace(WEEK, issue_ids=(key,)) if is_issue else None,
    )


# 1,284 tickets, 1,102 with customer_since, 152 of those from first-30-day customers;
# 310 praised (24.1 %), 171 in trouble (13.3 %).
PRAISE_RATE, TROUBLE_RATE = 310 / 1284, 171 / 1284
CUSTOMERS = CustomerInsights(
    tenant_id=TENANT,
    start=START,
    end=END,
    tickets=1284,
    new_bucket="first_30_days",
    with_tenure=1102,
    new_customer_tickets=152,
    new_customer_issues=(
        NewCustomerIssue(
            issue_id=52,
            label=ACTIVATION,
            new_tickets=41,
            other_tickets=9,
            share_new=41 / 152,
            share_other=9 / 950,
            lift=(41 / 152) / (9 / 950),
            zscore=14.2,
            pvalue=1e-30,
            qvalue=1e-28,
            metrics_new=metrics(
                41, 30, 12, (900, 1500, 7200), (7200, 9000, 86400), 4, (3, 2, 2, 1, 1)
            ),
            evidence_ticket_ids=("T-230511", "T-230498", "T-230470"),
            drill_down=replace(WEEK, issue_ids=(52,), tenure_buckets=("first_30_days",)),
        ),
    ),
    praise_tickets=310,
    praise=(
        _driver("issue", 61, PACKAGING, 44, 40, PRAISE_RATE, ("T-230601", "T-230588")),
        _driver("term", "礼盒", "礼盒", 31, 29, PRAISE_RATE, ("T-230601",)),
        _driver("term", "packaging", "packaging", 22, 19, PRAISE_RATE, ("T-230588",)),
    ),
    trouble_tickets=171,
    minefields=(
        _driver("issue", 7, REFUND, 140, 49, TROUBLE_RATE, ("T-230355", "T-230402")),
        _driver("term", "退款", "退款", 98, 33, TROUBLE_RATE, ("T-230402",)),
    ),
)

SPARKLINE_LABELS = tuple(f"2026-W{w:02d}" for w in range(39, 47))


def sample_digest(empty: bool = False) -> WeeklyDigest:
    """The sample week; `empty=True` is the same week with no tickets created in it."""
    digest = WeeklyDigest(
        tenant_id=TENANT,
        iso_week="2026-W46",
        previous_iso_week="2026-W45",
        time_zone=TZ,
        start=START,
        end=END,
        generated_at=local(16, 7, 30),
        current=CURRENT,
        previous=PREVIOUS,
        kpis=_kpis(CURRENT, PREVIOUS),
        days=_days(DAILY),
        top_issues=TOP_ISSUES,
        active_issues=37,
        unassigned=96,
        changes=CHANGES,
        anomalies=(SURGE, SLOW_REPLIES),
        movers=MOVERS,
        highlights=HIGHLIGHTS,
        drill_down=WEEK,
        model_version=12,
        definitions=DEFINITIONS,
        sparkline_weeks=SPARKLINE_LABELS,
        customers=CUSTOMERS,
    )
    if not empty:
        return digest
    # Nothing created this week; an issue retired by the weekly re-cluster still shows.
    return replace(
        digest,
        current=ZERO,
        kpis=_kpis(ZERO, PREVIOUS),
        days=_days((0,) * 7),
        top_issues=(),
        active_issues=0,
        unassigned=0,
        changes=(CHANGES[-1],),
        anomalies=(),
        movers=(),
        highlights=(),
        customers=replace(
            CUSTOMERS,
            tickets=0,
            with_tenure=0,
            new_customer_tickets=0,
            new_customer_issues=(),
            praise_tickets=0,
            praise=(),
            trouble_tickets=0,
            minefields=(),
        ),
    )
