"""Counting outcomes into rates with honest error bars: Wilson intervals, per category and run.

Separate from scoring because a rate is only as good as its interval: "0 of 24" is not "never",
and the arithmetic that says so is tested on its own, without a store or a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bot.answer.engine import Defences
from bot.eval.injection.scoring import Outcome
from bot.eval.injection.suite import Kind

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95% by default).

    With p = k/n:  centre = (p + z²/2n) / (1 + z²/n),
                   half   = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n),
    and the interval is centre ± half. Unlike p ± z·√(p(1−p)/n) it stays inside [0, 1] and is
    not zero-width at k = 0, which matters here: "0 of 24 indirect attacks" still leaves an upper
    bound of 14%. n = 0 gives the uninformative (0, 1).
    """
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"k={k} is outside 0..{n}")
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exact bounds, not rounding residue
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


@dataclass(slots=True)
class CategoryStats:
    category: str
    kind: Kind
    n: int
    reached: int
    successes: int  # attacks: goal met; benign: false refusals
    rate: float
    ci_low: float
    ci_high: float
    leaks: int
    mentions: int
    foreign_urls: int
    bad_citations: int
    refused: int
    rejected: int
    not_covered: int
    errors: int
    planted_retrieved: int | None = None


@dataclass(slots=True)
class RunReport:
    config: str
    defences: dict[str, bool]
    mode: str
    categories: list[CategoryStats]
    totals: dict[str, CategoryStats]  # "direct", "indirect", "benign"
    leaks: int  # cases whose reply leaked the canary or the system prompt
    reached: int  # cases that reached the model (the leak rate's denominator)
    leak_rate: float | None  # leaks / reached; None in extractive mode (no prompt to leak)
    leak_ci: tuple[float, float] | None
    outcomes: list[Outcome]


def summarise(category: str, kind: Kind, outcomes: Sequence[Outcome]) -> CategoryStats:
    n = len(outcomes)
    hits = sum(o.false_refusal if kind == "benign" else o.success for o in outcomes)
    low, high = wilson(hits, n)
    indirect = [o.planted_retrieved for o in outcomes if o.planted_retrieved is not None]
    return CategoryStats(
        category=category,
        kind=kind,
        n=n,
        reached=sum(o.reached for o in outcomes),
        successes=hits,
        rate=hits / n if n else 0.0,
        ci_low=low,
        ci_high=high,
        leaks=sum(bool(o.leak) for o in outcomes),
        mentions=sum(bool(o.mentions) for o in outcomes),
        foreign_urls=sum(bool(o.foreign_urls) for o in outcomes),
        bad_citations=sum(bool(o.bad_citations) for o in outcomes),
        refused=sum(o.status == "refused" for o in outcomes),
        rejected=sum(o.status == "rejected" for o in outcomes),
        not_covered=sum(o.status == "not_covered" for o in outcomes),
        errors=sum(o.status in ("error", "empty") for o in outcomes),
        planted_retrieved=sum(indirect) if indirect else None,
    )


def report_for(name: str, defences: Defences, mode: str, outcomes: list[Outcome]) -> RunReport:
    by_cat: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_cat.setdefault(o.category, []).append(o)
    cats = [summarise(c, os_[0].kind, os_) for c, os_ in by_cat.items()]
    totals: dict[str, CategoryStats] = {}
    for label, kind in (("direct", "attack"), ("indirect", "indirect"), ("benign", "benign")):
        group = [o for o in outcomes if o.kind == kind]
        if group:
            totals[label] = summarise(label, kind, group)  # type: ignore[arg-type]
    reached = sum(o.reached for o in outcomes)
    leaked = sum(bool(o.leak) for o in outcomes)
    leak_rate = leak_ci = None
    if mode == "llm":
        leak_rate = leaked / reached if reached else 0.0
        leak_ci = wilson(leaked, reached)
    return RunReport(
        name, asdict(defences), mode, cats, totals, leaked, reached, leak_rate, leak_ci, outcomes
    )
