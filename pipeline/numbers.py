"""Numbers as results.json holds them: stable across runs and platforms."""

from __future__ import annotations

import math
from typing import Any

SIGNIFICANT = 6


def num(x: Any, digits: int = SIGNIFICANT) -> float | None:
    """A JSON-stable number: `digits` significant digits, None for missing/NaN/inf, no -0.0."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}") + 0.0
