"""Measures shared by the programme indicators and the agreements (pipeline.indicators,
pipeline.agreements): safe ratios, Wilson intervals, the circular's norms, the total row.

Why a module of their own: both modules use them, and indicators uses agreements, so
keeping them in either made the two import each other.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pipeline.numbers import num
from pipeline.reference import Reference

TOTAL = "TOTAAL"  # the caw of the overall row


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else num(a / b)


def wilson(successes: int, n: int, conf: float = 0.95) -> list[float | None]:
    """Wilson score interval [lower, upper] for successes/n (Wilson 1927; Newcombe 1998).

    Why Wilson: it keeps its coverage for small n and shares near 0 or 1, where
    regional counts often are; the Wald interval does not. [None, None] when n = 0.
    """
    if n <= 0:
        return [None, None]
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    upper = 1.0 if successes == n else min(1.0, centre + half)
    return [num(lower), num(upper)]


def norms_of(reference: Reference) -> dict[str, float]:
    """The circular's norms from the reference (its normen.csv is the one place they live)."""
    return {k: reference.norms[k] for k in ("clienten_per_vte", "gelijktijdig_per_vte",
                                            "gemiddelde_duur_maanden",
                                            "begeleidingen_per_vte_per_jaar")}
