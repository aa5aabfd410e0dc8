"""The surge detector on NAB's count series, against S-H-ESD (Twitter ADVec), plus its
speed and its false-alarm rate and power on synthetic ticket volumes.

    .venv/bin/python -m bench.surge_nab [--skip-synthetic]

Data: ../shared/data/nab_counts (10 realTweets series, tweets per 5 min, and nyc_taxi,
passengers per 30 min; 38 labelled anomaly windows). Nothing is tuned here: the detector
runs with its defaults, and the only NAB-specific step is the mapping of the series onto
the detector's hourly grid: values are summed per UTC hour (the detector learns the weekly
profile, whatever the time zone), and an alarm on hour h is raised at the last row of h,
when that hour's sum is complete.

Scoring, the same for every detector, in NAB's time:
- a window is caught when at least one alarm falls inside it; the delay is from the window
  start to the first alarm inside;
- alarms closer than CLUSTER_GAP form one cluster; a cluster with no alarm inside a window
  is one false alarm;
- alarms in NAB's probationary period (the first 15 % of rows, at most 750) are ignored,
  as NAB does;
- NAB's standard score (sweeper rules, standard profile), normalised so that the null
  detector scores 0 and a perfect one 100; our detections are the events' first alarms,
  S-H-ESD's are its anomalies (as in NAB's own run).

S-H-ESD is implemented here (Hochenbaum et al. 2017, Twitter's AnomalyDetectionVec):
robust STL with a periodic seasonal, residual = value - seasonal - median, then a
generalized ESD with median and MAD. Two configurations run: the one this benchmark was
specified with (max_anoms 0.02, alpha 0.05, positive anomalies, one-day period) and the
one in NAB's R script (max_anoms 0.002, alpha 0.05, both directions, period 150).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from bench.common import ROOT, write_result
from ticketminer.anomalies.surge import SurgeDetector
from ticketminer.anomalies.surge_sim import Surge, simulate_counts
from ticketminer.services.anomaly_scan import SURGE_WINDOWS_HOURS

NAME = "surge_nab"
DATA = ROOT.parent / "shared" / "data" / "nab_counts"
FILES = (
    *(
        f"realTweets/Twitter_volume_{t}.csv"
        for t in ("AAPL", "AMZN", "CRM", "CVS", "FB", "GOOG", "IBM", "KO", "PFE", "UPS")
    ),
    "realKnownCause/nyc_taxi.csv",
)
HOUR = np.timedelta64(3600, "s")
CLUSTER_GAP = 12 * HOUR  # the detector's own max_gap_hours
# Normalised NAB standard scores published for exactly these 11 files (shared/data README).
PUBLISHED = {
    "ARTime": 82.6,
    "Numenta HTM": 68.9,
    "relative entropy": 63.5,
    "Twitter ADVec (S-H-ESD)": 51.8,
    "windowed Gaussian": 44.6,
    "Random Cut Forest": 44.2,
}


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    times: np.ndarray  # datetime64[s]
    values: np.ndarray
    windows: list[tuple[np.datetime64, np.datetime64]]

    @property
    def rows_per_day(self) -> int:
        step = float(np.median(np.diff(self.times).astype(float)))
        return round(86_400 / step)

    @property
    def warmed_up(self) -> np.datetime64:
        """When the surge detector may first alarm: 7 days after the first full UTC day."""
        day = self.times[0].astype("datetime64[D]")
        first_full = day if self.times[0] == day else day + np.timedelta64(1, "D")
        return first_full + np.timedelta64(7, "D")

    @property
    def probation(self) -> int:
        """NAB's probationary rows: detections there are not scored."""
        return int(min(math.floor(0.15 * self.times.size), 0.15 * 5000))


def load(data_dir: Path) -> list[Series]:
    labels = json.loads((data_dir / "labels" / "combined_windows.json").read_text())
    out = []
    for name in FILES:
        with (data_dir / "data" / name).open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        times = np.array([r["timestamp"] for r in rows], dtype="datetime64[s]")
        values = np.array([float(r["value"]) for r in rows])
        windows = [(np.datetime64(a[:19]), np.datetime64(b[:19])) for a, b in labels[name]]
        out.append(Series(name, times, values, windows))
    return out


# --- our detector ------------------------------------------------------------------


def surge_alarms(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """(rows of all alarm hours, rows of each event's first alarm), on the hourly grid."""
    hours = series.times.astype("datetime64[h]")
    first = hours[0]
    index = (hours - first).astype(int)
    counts = np.bincount(index, weights=series.values)
    grid = first + np.arange(counts.size).astype("timedelta64[h]")
    days = grid.astype("datetime64[D]").astype(int)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    hour_of_week = weekday * 24 + (grid - grid.astype("datetime64[D]")).astype(int)
    detector = SurgeDetector(windows_hours=SURGE_WINDOWS_HOURS).fit(counts[None, :], hour_of_week)
    last_row = np.searchsorted(index, np.arange(counts.size), side="right") - 1
    alarm_rows = last_row[np.flatnonzero(detector.alarm_[0])]
    event_rows = last_row[[e.detected for e in detector.events_]]
    return alarm_rows, event_rows


# --- S-H-ESD -----------------------------------------------------------------------


def _next_odd(x: float) -> int:
    n = math.ceil(x)
    return n if n % 2 else n + 1


def _loess(y: np.ndarray, weights: np.ndarray, span: int, jump: int) -> np.ndarray:
    """Degree-1 loess with tricube x robustness weights over the `span` nearest points,
    evaluated every `jump` points (and at the last) and interpolated linearly, as R's stl
    does (stless / stlest)."""
    n = y.size
    at = np.unique(np.append(np.arange(0, n, jump), n - 1))
    if span >= n:
        left, width = np.zeros(at.size, dtype=int), n
    else:
        left, width = np.clip(at - (span + 1) // 2 + 1, 0, n - span), span
    idx = left[:, None] + np.arange(width)
    h = np.maximum(at - left, left + width - 1 - at) + max(0, span - n) // 2
    r = np.abs(idx - at[:, None]) / np.maximum(h, 1e-12)[:, None]
    w = np.where(r <= 0.001, 1.0, np.where(r <= 0.999, (1 - r**3) ** 3, 0.0)) * weights[idx]
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    mean_x = (w * idx).sum(axis=1, keepdims=True)
    var_x = (w * (idx - mean_x) ** 2).sum(axis=1, keepdims=True)
    tilt = np.sqrt(var_x) > 0.001 * (n - 1)
    slope = np.divide(at[:, None] - mean_x, var_x, out=np.zeros_like(var_x), where=tilt)
    fit = (w * (slope * (idx - mean_x) + 1.0) * y[idx]).sum(axis=1)
    fit = np.where(total[:, 0] > 0, fit, y[at])
    return np.interp(np.arange(n), at, fit)


def stl_seasonal(x: np.ndarray, period: int, outer: int = 15) -> np.ndarray:
    """Seasonal component of R's stl(x, s.window = "periodic", robust = TRUE).

    With a periodic seasonal, the cycle-subseries smoother is a (robustness-)weighted mean
    and the low-pass filter of a periodic series is its mean, so the seasonal is the
    centred per-phase weighted mean of the detrended series; the trend is a degree-1 loess
    (t.window = nextodd(1.5 period / (1 - 1.5 / s.window))), with 15 robustness passes."""
    n = x.size
    t_window = _next_odd(1.5 * period / (1 - 1.5 / (10 * n + 1)))
    t_jump = math.ceil(t_window / 10)
    phase = np.arange(n) % period
    robust = np.ones(n)
    trend = np.zeros(n)
    for k in range(outer + 1):
        detrended = x - trend
        num = np.bincount(phase, weights=robust * detrended, minlength=period)
        den = np.bincount(phase, weights=robust, minlength=period)
        cycle = np.divide(num, den, out=np.zeros(period), where=den > 0)
        seasonal = (cycle - cycle.mean())[phase]
        trend = _loess(x - seasonal, robust, t_window, t_jump)
        if k < outer:
            residual = np.abs(x - trend - seasonal)
            cmad = 6.0 * np.median(residual)
            r = residual / cmad if cmad > 0 else np.zeros(n)
            robust = np.where(r <= 0.001, 1.0, np.where(r <= 0.999, (1 - r**2) ** 2, 0.0))
    return seasonal


def shesd(x: np.ndarray, period: int, max_anoms: float, alpha: float, direction: str) -> np.ndarray:
    """Row indices flagged by S-H-ESD (AnomalyDetectionVec, longterm off, no threshold)."""
    n = x.size
    data = x - stl_seasonal(x, period) - np.median(x)
    keep = np.ones(n, dtype=bool)
    one_tail = direction != "both"
    flagged, n_anoms = [], 0
    for i in range(1, max(1, int(n * max(max_anoms, 1 / n))) + 1):
        remaining = np.flatnonzero(keep)
        values = data[remaining]
        center = np.median(values)
        sigma = 1.4826 * np.median(np.abs(values - center))
        if sigma == 0:
            break
        deviation = values - center if direction == "pos" else np.abs(values - center)
        j = int(np.argmax(deviation))
        flagged.append(remaining[j])
        keep[remaining[j]] = False
        p = 1 - alpha / (n - i + 1) if one_tail else 1 - alpha / (2 * (n - i + 1))
        t = stats.t.ppf(p, n - i - 1)
        lam = t * (n - i) / math.sqrt((n - i - 1 + t**2) * (n - i + 1))
        if deviation[j] / sigma > lam:
            n_anoms = i
    return np.array(sorted(flagged[:n_anoms]), dtype=int)


SHESD_CONFIGS = {
    "shesd": {"max_anoms": 0.02, "alpha": 0.05, "direction": "pos", "period": "day"},
    "shesd_nab": {"max_anoms": 0.002, "alpha": 0.05, "direction": "both", "period": 150},
}


def shesd_alarms(series: Series, config: dict[str, Any]) -> np.ndarray:
    period = series.rows_per_day if config["period"] == "day" else int(config["period"])
    return shesd(series.values, period, config["max_anoms"], config["alpha"], config["direction"])


# --- scoring -----------------------------------------------------------------------


def event_scores(series: Series, rows: np.ndarray) -> dict[str, Any]:
    """Caught windows, delays (hours) and false-alarm clusters of one detector on a file;
    also counted after our warm-up only ("reachable": windows ending after the surge
    detector may first alarm, clusters starting after it), since S-H-ESD sees the whole
    file at once while the surge detector needs a week of history."""
    rows = np.sort(rows[rows >= series.probation])
    times = series.times[rows]
    inside = np.zeros(times.size, dtype=bool)
    delays: list[float | None] = []
    for start, end in series.windows:
        hit = (times >= start) & (times <= end)
        inside |= hit
        delays.append(float((times[hit][0] - start) / HOUR) if hit.any() else None)
    new = np.ones(times.size, dtype=bool)
    new[1:] = np.diff(times) > CLUSTER_GAP
    cluster = np.cumsum(new) - 1
    n_clusters = int(new.sum())
    with_hit = np.zeros(n_clusters, dtype=bool)
    np.logical_or.at(with_hit, cluster, inside)
    reachable = [bool(end >= series.warmed_up) for _, end in series.windows]
    late = times[new] >= series.warmed_up
    return {
        "windows": len(series.windows),
        "caught": sum(d is not None for d in delays),
        "false_alarms": int((~with_hit).sum()),
        "reachable_windows": sum(reachable),
        "reachable_caught": sum(d is not None for d, r in zip(delays, reachable, strict=True) if r),
        "false_alarms_after_warmup": int((~with_hit & late).sum()),
        "delays_h": delays,
    }


def nab_raw_score(series: Series, rows: np.ndarray, profile: dict[str, float]) -> float:
    """NAB sweeper score of binary detections at `rows` (threshold 1), one file."""
    n = series.times.size
    left = np.searchsorted(series.times, [w[0] for w in series.windows])
    right = np.searchsorted(series.times, [w[1] for w in series.windows])
    detected = np.zeros(n, dtype=bool)
    detected[rows] = True
    window_of = np.full(n, -1)
    for k, (a, b) in enumerate(zip(left, right, strict=True)):
        window_of[a : b + 1] = k
    scorable = np.arange(n) >= series.probation
    best = {k: -profile["fnWeight"] for k in set(window_of[scorable]) if k >= 0}
    max_tp = _scaled_sigmoid(-1.0)
    fp = 0.0
    for i in np.flatnonzero(detected & scorable):
        k = window_of[i]
        if k >= 0:
            position = -(right[k] - i + 1) / (right[k] - left[k] + 1)
            best[k] = max(best[k], _scaled_sigmoid(position) * profile["tpWeight"] / max_tp)
        else:
            previous = np.flatnonzero(right < i)
            if previous.size == 0:
                position = 3.0
            else:
                k = previous[-1]
                position = abs(right[k] - i) / (right[k] - left[k])
            fp += _scaled_sigmoid(position) * profile["fpWeight"]
    return fp + sum(best.values())


def _scaled_sigmoid(position: float) -> float:
    if position >= 3.0:
        return -1.0
    return 2 / (1 + math.exp(5 * position)) - 1


def normalised_nab(
    series: list[Series], rows: Sequence[np.ndarray], profile: dict[str, float]
) -> float:
    raw = sum(nab_raw_score(s, r, profile) for s, r in zip(series, rows, strict=True))
    null = sum(nab_raw_score(s, np.zeros(0, dtype=int), profile) for s in series)
    perfect = sum(len(s.windows) for s in series) * profile["tpWeight"]
    return 100 * (raw - null) / (perfect - null)


# --- runs --------------------------------------------------------------------------


def run(data_dir: Path | None = None, synthetic: bool = True) -> dict[str, Any]:
    data_dir = data_dir or DATA
    if not (data_dir / "labels" / "combined_windows.json").exists():
        return {"skipped": f"NAB counts data not found under {data_dir}"}
    series = load(data_dir)
    profile = json.loads((data_dir / "config" / "profiles.json").read_text())["standard"]
    detectors: dict[str, list[np.ndarray]] = {"surge": [], **{k: [] for k in SHESD_CONFIGS}}
    surge_events: list[np.ndarray] = []
    for s in series:
        alarm_rows, event_rows = surge_alarms(s)
        detectors["surge"].append(alarm_rows)
        surge_events.append(event_rows)
        for key, config in SHESD_CONFIGS.items():
            detectors[key].append(shesd_alarms(s, config))
    per_file = {
        s.name: {key: event_scores(s, rows[i]) for key, rows in detectors.items()}
        for i, s in enumerate(series)
    }
    nab = {
        "surge": normalised_nab(series, surge_events, profile["CostMatrix"]),
        **{k: normalised_nab(series, detectors[k], profile["CostMatrix"]) for k in SHESD_CONFIGS},
    }
    result: dict[str, Any] = {
        "config": {
            "surge": "SurgeDetector defaults with the service's windows "
            f"{SURGE_WINDOWS_HOURS} h, on hourly sums",
            **SHESD_CONFIGS,
            "cluster_gap_hours": int(CLUSTER_GAP / HOUR),
        },
        "per_file": per_file,
        "total": {key: _total(per_file, key) for key in detectors},
        "nab_standard_normalised": nab,
        "published_nab_standard_normalised": PUBLISHED,
    }
    if synthetic:
        result["synthetic"] = synthetic_targets()
    return result


def _total(per_file: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
    delays = [d for f in per_file.values() for d in f[key]["delays_h"] if d is not None]
    counts = (
        "windows",
        "caught",
        "false_alarms",
        "reachable_windows",
        "reachable_caught",
        "false_alarms_after_warmup",
    )
    return {
        **{c: sum(f[key][c] for f in per_file.values()) for c in counts},
        "median_delay_h": statistics.median(delays) if delays else None,
    }


def synthetic_targets(seed: int = 7) -> dict[str, Any]:
    """False alarms per 10 issue-months on no-incident histories, and recall / median delay
    (hours) of injected surges, by baseline volume, surge ratio and duration."""
    rng = np.random.default_rng(seed)
    n_null, null_days = 400, 120
    per_day = np.exp(rng.uniform(np.log(1), np.log(3000), n_null))
    counts, how, _ = simulate_counts(per_day, null_days, seed=seed + 1)
    events = len(SurgeDetector().fit(counts, how).events_)
    months = n_null * (null_days - 7) / 30
    power = {}
    for base in (5, 20, 100, 1000):
        for factor in (2, 3, 5):
            for hours in (6, 24, 72):
                power[f"{base}/day x{factor} {hours}h"] = _power_cell(base, factor, hours, seed)
    return {
        "null": {"series": n_null, "days": null_days, "events": events},
        "false_alarms_per_10_issue_months": round(events / months * 10, 3),
        "recall_and_median_delay": power,
    }


def _power_cell(base: float, factor: float, hours: int, seed: int) -> dict[str, Any]:
    n, n_days = 40, 100
    rng = np.random.default_rng([seed, int(base), int(factor), hours])
    starts = rng.integers(40 * 24, 90 * 24, n)
    surges = [Surge(i, int(t), int(t) + hours, factor) for i, t in enumerate(starts)]
    counts, how, _ = simulate_counts([base] * n, n_days, seed=seed + hours, surges=surges)
    detector = SurgeDetector().fit(counts, how)
    delays = []
    for sg in surges:
        hits = [
            e.detected - sg.start
            for e in detector.events_
            if e.series == sg.series and sg.start <= e.detected < sg.end + 24
        ]
        if hits:
            delays.append(hits[0])
    return {
        "recall": round(len(delays) / n, 3),
        "median_delay_h": float(np.median(delays)) if delays else None,
    }


def time_scan(n_series: int = 500, n_days: int = 365, repeats: int = 3) -> dict[str, Any]:
    """Seconds for one fit over n_series x n_days of hourly counts (median of `repeats`)."""
    rng = np.random.default_rng(0)
    per_day = np.exp(rng.uniform(np.log(1), np.log(3000), n_series))
    counts, how, _ = simulate_counts(per_day, n_days, seed=1)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        SurgeDetector().fit(counts, how)
        seconds.append(time.perf_counter() - started)
    return {
        "series": n_series,
        "steps": n_days * 24,
        "median_s": round(statistics.median(seconds), 3),
        "runs_s": [round(s, 3) for s in seconds],
    }


def markdown(result: dict[str, Any]) -> str:
    keys = ("surge", "shesd", "shesd_nab")
    head = ["file", "windows"] + [f"{k} {c}" for k in keys for c in ("caught", "FA", "delay h")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = [(name.split("/")[-1], f) for name, f in result["per_file"].items()]
    for name, f in rows:
        cells = [name, str(f["surge"]["windows"])]
        for k in keys:
            found = [d for d in f[k]["delays_h"] if d is not None]
            delay = f"{statistics.median(found):.1f}" if found else "-"
            cells += [str(f[k]["caught"]), str(f[k]["false_alarms"]), delay]
        lines.append("| " + " | ".join(cells) + " |")
    total = result["total"]
    cells = ["**total**", str(total["surge"]["windows"])]
    for k in keys:
        d = total[k]["median_delay_h"]
        cells += [str(total[k]["caught"]), str(total[k]["false_alarms"])]
        cells.append(f"{d:.1f}" if d is not None else "-")
    lines.append("| " + " | ".join(cells) + " |")
    cells = ["after warm-up", str(total["surge"]["reachable_windows"])]
    for k in keys:
        cells += [str(total[k]["reachable_caught"]), str(total[k]["false_alarms_after_warmup"])]
        cells.append("")
    lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("NAB standard score, normalised (null 0, perfect 100), measured here:")
    for k, v in result["nab_standard_normalised"].items():
        lines.append(f"- {k}: {v:.1f}")
    lines.append("Published on these 11 files (not re-run here):")
    for k, v in PUBLISHED.items():
        lines.append(f"- {k}: {v}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(synthetic=not args.skip_synthetic)
    result["time_scan"] = time_scan()
    write_result(NAME, result, started)
    if "per_file" in result:
        print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
