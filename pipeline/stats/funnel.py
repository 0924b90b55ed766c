"""Funnel-plot limits for an observed/expected ratio (Spiegelhalter 2005).

Why: a region's O/E ratio of evictions varies by chance more when its expected
count E is small; a ranking of ratios then puts the small regions at both ends.
A funnel plot compares each ratio with limits that depend on E, and only a
ratio outside the 99.8 % limits (about 3 standard errors) is a signal.

Spiegelhalter DJ (2005), "Funnel plots for comparing institutional
performance", Statistics in Medicine 24:1185-1202. Under the null the
observed count O is Poisson with mean E (target ratio 1, an indirectly
standardised ratio). We use his exact Poisson limits with his interpolation
between the integers (so the limits are smooth in E): for a tail probability p,
r_p is the p-quantile of Poisson(E) (smallest r with F(r) >= p) and the limit
is (r_p - (F(r_p) - p) / (F(r_p) - F(r_p - 1))) / E; a lower limit below 0 is 0.
His normal approximation 1 +- z / sqrt(E) is :func:`normal_limits`.

For a binary outcome the null variance of O is sum p_i (1 - p_i), below the
Poisson variance E. For a rare outcome (an eviction, a few per cent) the two
agree and the exact Poisson limits keep the skew of small counts; for a common
outcome (an avoided eviction, about two in three) the Poisson limits are far
too wide (here about 1.7 times), so :func:`bernoulli_limits` uses the binary
variance with the normal approximation, 1 -+ z sqrt(sum p(1-p)) / E
(Spiegelhalter 2005, section 4, a ratio with a known null variance).
"""

from __future__ import annotations

import numpy as np

#: the two funnels of the report: 95 % ("2 sigma") and 99.8 % ("3 sigma")
LEVELS = (0.95, 0.998)


def poisson_limits(expected, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact interpolated Poisson limits for O/E around 1 (module docstring)."""
    from scipy import stats

    e = np.atleast_1d(np.asarray(expected, dtype=float))
    tail = (1 - level) / 2
    out = []
    for p in (tail, 1 - tail):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = stats.poisson.ppf(p, e)
            f_r = stats.poisson.cdf(r, e)
            f_below = stats.poisson.cdf(r - 1, e)
            limit = (r - (f_r - p) / (f_r - f_below)) / e
        limit = np.where(e > 0, np.maximum(limit, 0.0), np.nan)
        out.append(limit)
    return out[0], out[1]


def normal_limits(expected, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Spiegelhalter's normal approximation: 1 -+ z / sqrt(E) (lower limit at least 0)."""
    from scipy import stats

    e = np.atleast_1d(np.asarray(expected, dtype=float))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore"):
        half = np.where(e > 0, z / np.sqrt(e), np.nan)
    return np.maximum(1 - half, 0.0), 1 + half


def bernoulli_limits(expected, variance, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal limits for O/E with the binary null variance V = sum p_i (1 - p_i):
    1 -+ z sqrt(V) / E (lower limit at least 0; NaN when E is 0)."""
    from scipy import stats

    e = np.atleast_1d(np.asarray(expected, dtype=float))
    v = np.atleast_1d(np.asarray(variance, dtype=float))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.where(e > 0, z * np.sqrt(v) / e, np.nan)
    return np.maximum(1 - half, 0.0), 1 + half


def signal(ratio: float | None, lower: float | None, upper: float | None) -> str | None:
    """'hoger' above the upper limit, 'lager' below the lower limit, else None."""
    if ratio is None or lower is None or upper is None or not np.isfinite(ratio):
        return None
    if ratio > upper:
        return "hoger"
    if ratio < lower:
        return "lager"
    return None
