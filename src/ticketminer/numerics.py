"""Pin the SIMD level of numpy and OpenBLAS, so results do not depend on the CPU.

The same tickets and seed must give the same issues on every machine. AVX-512
kernels round float sums differently from AVX2 ones; k-means and the choice of k
amplify such a last-bit difference into a different partition (seen: 237 issues
against 67 on one history, on an AVX-512 machine and with AVX-512 switched off).
Every x86-64 machine with AVX2 therefore runs the AVX2 code paths. This only
works before numpy is first imported; a variable already set by the operator wins.

The package arms `pin_before_numpy` on import, so the variables are set at the
moment numpy is first imported, from whichever module, and not before: a process
that only loads the generated stubs (`ticketminer.v1`) keeps its environment.
"""

from __future__ import annotations

import importlib.abc
import os
import platform
import sys
from pathlib import Path

# numpy >= 2.4 names (pyproject requires it): the X86_V4 group is AVX-512.
AVX512_FEATURES = "X86_V4 AVX512_ICL AVX512_SPR"


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def pin_simd_level() -> None:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return
    flags = _cpu_flags()
    if "avx2" not in flags:
        return  # nothing wider to switch off; older CPUs take their own paths
    if "avx512f" in flags:
        os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", AVX512_FEATURES)
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")


def quiet_idle_blas_threads() -> None:
    """OpenBLAS worker threads spin for about 2**28 cycles (~0.1 s) after each call
    before they sleep. On a 2-core server that spin starves the request threads: a
    scan's matrix products held health checks up to 0.2 s. 2**4 cycles makes them
    sleep at once; large products run as fast."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def pin_numerics() -> None:
    pin_simd_level()
    quiet_idle_blas_threads()


class _PinBeforeNumpy(importlib.abc.MetaPathFinder):
    """Finds nothing; sees the first import of numpy, pins, and steps aside."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == "numpy":
            _disarm()
            pin_numerics()
        return None  # the ordinary finders load numpy, now pinned


_HOOK = _PinBeforeNumpy()


def pin_before_numpy() -> None:
    """Pin the moment numpy is first imported (at once when it already is: too late
    for this process, as it always was, but its child processes inherit the pin)."""
    if "numpy" in sys.modules:
        pin_numerics()
    elif _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def _disarm() -> None:
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)
