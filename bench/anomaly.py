"""Anomaly benchmarks in one result: synthetic ticket histories, NAB counts, Squeeze
B0 root-cause localisation, and scan / root-cause speed. Thresholds are the
detectors' defaults, fixed before scoring; nothing is tuned per data set.

Run: `python -m bench.anomaly` (or `make bench-anomaly`, which also renders BENCHMARKS.md).
"""

from __future__ import annotations

import time

from bench import anomaly_perf, anomaly_synthetic, rootcause_b0, surge_nab
from bench.common import log, write_result

NAME = "anomaly"


def _nab() -> dict:
    result = surge_nab.run()
    if "skipped" not in result:
        result["markdown"] = surge_nab.markdown(result)
    result["surge_scan_timing"] = surge_nab.time_scan()
    return result


def main() -> None:
    started = time.perf_counter()
    log("synthetic histories")
    synthetic = anomaly_synthetic.run()
    synthetic["markdown"] = anomaly_synthetic.markdown(synthetic)
    log("squeeze B0")
    b0 = rootcause_b0.run()
    if "skipped" not in b0:
        b0["markdown"] = rootcause_b0.markdown(b0)
    log("NAB counts")
    nab = _nab()
    log("performance")
    perf = anomaly_perf.run()
    result = {"synthetic": synthetic, "squeeze_b0": b0, "nab": nab, "performance": perf}
    print(f"wrote {write_result(NAME, result, started)}")


if __name__ == "__main__":
    main()
