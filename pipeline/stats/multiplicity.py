"""Multiplicity adjustment of a family of p-values.

Why: the report shows a log-rank test per profile (nine at once). Read one at
a time, about one in three such families holds a "significant" profile by chance
alone; the Holm-adjusted column says which survive the family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm(p: Sequence[float | None]) -> list[float]:
    """Holm (1979) step-down adjusted p-values, as R ``p.adjust(p, "holm")``.

    Sorted ascending, the i-th smallest of m gets max over j <= i of
    min(1, (m - j + 1) p_(j)). Missing values (None, NaN) stay NaN and do not
    count in m (R's default ``n = sum(!is.na(p))``). Controls the family-wise
    error rate under any dependence between the tests.
    """
    values = np.array([np.nan if v is None else float(v) for v in p], dtype=float)
    known = np.flatnonzero(~np.isnan(values))
    out = np.full(values.size, np.nan)
    m = known.size
    if m:
        order = known[np.argsort(values[known], kind="stable")]
        scaled = np.minimum(1.0, (m - np.arange(m)) * values[order])
        out[order] = np.maximum.accumulate(scaled)
    return out.tolist()
