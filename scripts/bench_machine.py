"""What the benchmarks report about the machine they ran on, so that figures from different
machines (or from one machine while other tenants load its host) can be compared.

The same code measured ~40% apart on two sessions' machines of the same kind (2 cores): a
figure in requests/s means little without the machine's speed at the time. ``describe`` times
a fixed pure-Python workload (``reference_ms``); ``steal_percent`` says how much of the CPU
time in an interval the hypervisor gave to someone else (``/proc/stat``).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

REFERENCE_LOOP = 1_000_000


def reference_ms(repeats: int = 7) -> float:
    """The median time, in ms, of a fixed pure-Python loop on one core (lower is faster)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0
        for number in range(REFERENCE_LOOP):
            total += number * number % 7
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def describe(**extra: Any) -> dict[str, Any]:
    """The ``machine`` block of a benchmark's report."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "reference_loop_ms": reference_ms(), **extra}


def cpu_ticks() -> tuple[int, int] | None:
    """(stolen, all) CPU ticks since boot, over every CPU; None where ``/proc/stat`` is missing."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(value) for value in first[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[7], sum(ticks)


def steal_percent(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time between two ``cpu_ticks`` readings that the host took for others."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 2)
