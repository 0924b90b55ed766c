"""Log-rank test for k groups, as R ``survdiff(..., rho = 0)``.

Statistic (O - E)' V^- (O - E) over all groups with the hypergeometric
variance V = sum_t d (N - d)/(N - 1) * (diag(p) - p p'), p = n_g / N at each
distinct event time; V^- is a generalised inverse, so no group needs to be
dropped. Degrees of freedom: the rank of V (R: groups with a positive expected
count minus one). Vectorised over rows with ``np.unique``/``bincount`` (group
codes, which ``pipeline.models`` passes as small integers, without a sort).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .design import distinct


@dataclass(frozen=True)
class LogrankResult:
    statistic: float
    df: int
    p: float
    groups: tuple
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    problems: tuple[str, ...] = ()


def logrank(durations, events, groups) -> LogrankResult:
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events)
    g = np.asarray(groups)
    if not (t.shape == e.shape == g.shape):
        raise ValueError("durations, events and groups differ in length")
    problems: list[str] = []
    ok = ~np.isnan(t)
    if e.dtype.kind == "f":
        ok &= ~np.isnan(e)
    if g.dtype.kind == "f":
        ok &= ~np.isnan(g)
    elif g.dtype.kind == "O":
        ok &= np.array([v is not None for v in g], dtype=bool)
    if not ok.all():
        problems.append(f"{int((~ok).sum())} row(s) with a missing time, status or group left out")
        t, e, g = t[ok], e[ok], g[ok]
    e = e.astype(float)
    labels, gi = distinct(g) if g.size else (np.array([]), g)
    k = labels.size
    n_per = np.bincount(gi, minlength=k).astype(float) if k else np.zeros(0)
    nan = float("nan")
    if k < 2:
        problems.append("fewer than two groups: no test")
        obs = np.bincount(gi, weights=e, minlength=k) if k else np.zeros(0)
        return LogrankResult(nan, 0, nan, tuple(labels.tolist()), n_per, obs, obs.copy(),
                             tuple(problems))
    times, ti = np.unique(t, return_inverse=True)
    nt = times.size
    cell = ti * k + gi
    # per (time, group): number leaving the risk set and number of events
    leave = np.bincount(cell, minlength=nt * k).reshape(nt, k)
    dead = np.bincount(cell, weights=e, minlength=nt * k).reshape(nt, k)
    at_risk = np.cumsum(leave[::-1], axis=0)[::-1].astype(float)  # n_g at each time
    d = dead.sum(axis=1)
    n_tot = at_risk.sum(axis=1)
    ev = d > 0
    at_risk, dead, d, n_tot = at_risk[ev], dead[ev], d[ev], n_tot[ev]
    obs = dead.sum(axis=0)
    if d.size == 0:
        problems.append("no events: no test")
        return LogrankResult(nan, 0, nan, tuple(labels.tolist()), n_per, obs, np.zeros(k),
                             tuple(problems))
    frac = at_risk / n_tot[:, None]
    exp_ = (d[:, None] * frac).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n_tot > 1, d * (n_tot - d) / (n_tot - 1), 0.0)
    v = np.diag((c[:, None] * frac).sum(axis=0)) - (frac * c[:, None]).T @ frac
    diff = obs - exp_
    df = int(np.linalg.matrix_rank(v, tol=1e-10 * max(1.0, np.abs(v).max())))
    if df == 0:
        problems.append("no variance (e.g. all events in one group at a single time): no test")
        return LogrankResult(nan, 0, nan, tuple(labels.tolist()), n_per, obs, exp_,
                             tuple(problems))
    stat = float(diff @ np.linalg.pinv(v, rcond=1e-10) @ diff)
    p = float(stats.chi2.sf(stat, df))
    return LogrankResult(stat, df, p, tuple(labels.tolist()), n_per, obs, exp_, tuple(problems))
