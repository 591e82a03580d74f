"""One way to check that work grows linearly, for every linearity test in the suite.

CPU time of this process (``time.process_time``), best of several runs, so that other jobs on a
busy shared machine do not count; inputs too quick to time reliably pass, because a quadratic
path on the sizes the tests use takes seconds, far above the floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def cpu_seconds(work: Callable[[], object], runs: int = 5) -> float:
    """The least CPU time ``work`` took over ``runs`` calls."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        work()
        best = min(best, time.process_time() - began)
    return best


def grows_linearly(
    work: Callable[[int], object],
    n: int,
    factor: int = 4,
    max_ratio: float = 8.0,
    floor: float = 0.25,
) -> bool:
    """``factor`` times the input costs at most ``max_ratio`` times the CPU, or under ``floor``."""
    small = cpu_seconds(lambda: work(n))
    big = cpu_seconds(lambda: work(factor * n))
    return big < max_ratio * small or big < floor
