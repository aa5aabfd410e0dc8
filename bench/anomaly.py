"""Anomaly benchmarks in one result: synthetic ticket histories, NAB counts, Squeeze
B0 root-cause localisation, and scan / root-cause speed. Thresholds are the
detectors' defaults, fixed before scoring; nothing is tuned per data set.

Run: `python -m bench.anomaly` (or `make bench-anomaly`, which also renders BENCHMARKS.md).
"""

from __future__ import annotations

import importlib
import time

from bench import anomaly_perf, anomaly_synthetic, squeeze_b0
from bench.common import log, write_result

NAME = "anomaly"


def _nab() -> dict:
    try:
        nab = importlib.import_module("bench.nab_counts")
    except ModuleNotFoundError:
        return {"skipped": "bench/nab_counts.py is not in this tree"}
    result = nab.run()
    if "skipped" not in result:
        result["markdown"] = nab.markdown(result)
    result["surge_scan_timing"] = nab.time_scan()
    return result


def main() -> None:
    started = time.perf_counter()
    log("synthetic histories")
    synthetic = anomaly_synthetic.run()
    synthetic["markdown"] = anomaly_synthetic.markdown(synthetic)
    log("squeeze B0")
    b0 = squeeze_b0.run()
    if "skipped" not in b0:
        b0["markdown"] = squeeze_b0.markdown(b0)
    log("NAB counts")
    nab = _nab()
    log("performance")
    perf = anomaly_perf.run()
    result = {"synthetic": synthetic, "squeeze_b0": b0, "nab": nab, "performance": perf}
    print(f"wrote {write_result(NAME, result, started)}")


if __name__ == "__main__":
    main()
