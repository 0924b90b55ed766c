"""Cumulative incidence of competing closure outcomes (Aalen-Johansen).

Why our own: lifelines' ``AalenJohansenFitter`` breaks ties by adding random
jitter to the times, so its answer depends on a seed and misses published
cumulative incidences on tied data (day-level closure dates are full of ties).
This estimator is deterministic, exact at tied times and vectorised.

Conventions
-----------
* ``causes``: 0 (the value of ``censor_code``) = censored, any other value a
  cause (integers or strings).
* At a tied time, events of all causes happen before censorings: a row
  censored at t is still at risk at t (as R ``survfit``, ``cmprsk::cuminc``,
  Stata ``stcompet``).
* CIF_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j, with S the all-cause Kaplan-
  Meier curve. With one cause this is exactly 1 - Kaplan-Meier.
* Standard error: the delta-method (Greenwood-type) variance of Marubini &
  Valsecchi (1995), which Stata's ``stcompet`` reports (cmprsk's ``cuminc``
  uses Aalen's (1978) variant, slightly different).
* Confidence limits: on the log(-log) scale, CIF^exp(+-z se / (CIF log CIF)),
  so they stay inside (0, 1) -- the ``stcompet`` choice. Where CIF is 0 the
  limits are 0, where it is 1 they are NaN.
* ``timeline``: every distinct observed time (events and censorings);
  ``at(t)`` is the right-continuous step function (0 before the first time).
* Delayed entry (left truncation), ``entry=``: a row is at risk at t when
  entry < t <= exit, R's ``Surv(entry, exit, status)`` (the multi-state
  ``survfit``, whose Aalen-Johansen estimates these equal). Only the risk sets
  change; the estimator and the delta-method variance keep their form. R's
  multi-state standard errors are infinitesimal-jackknife ones, so they differ
  from ours; with one cause ours equal the delayed-entry Greenwood of
  :func:`~pipeline.stats.kaplan_meier.kaplan_meier`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class CumulativeIncidenceResult:
    timeline: np.ndarray
    cif: dict  # cause -> array over timeline
    lower: dict
    upper: dict
    se: dict
    survival: np.ndarray  # all-cause Kaplan-Meier (event-free)
    n_risk: np.ndarray
    n_event: dict  # cause -> events at each time
    n: int
    causes: tuple
    conf_level: float
    problems: tuple[str, ...] = ()

    def at(self, t) -> dict:
        """Cumulative incidence per cause at time(s) ``t`` (0 before the first time)."""
        t_arr = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.timeline, t_arr, side="right")  # 0 = before first
        out = {}
        for k in self.causes:
            vals = np.concatenate(([0.0], self.cif[k]))[idx]
            out[k] = float(vals) if t_arr.ndim == 0 else vals
        return out


def cumulative_incidence(durations, causes, *, entry=None, conf_level: float = 0.95,
                         censor_code=0):
    """Aalen-Johansen cumulative incidence per cause (see module docstring).

    ``entry``: optional delayed-entry times (R ``Surv(entry, exit, status)``).
    """
    t = np.asarray(durations, dtype=float)
    c = np.asarray(causes)
    if t.shape != c.shape:
        raise ValueError("durations and causes differ in length")
    start = None if entry is None else np.asarray(entry, dtype=float)
    if start is not None and start.shape != t.shape:
        raise ValueError("entry and durations differ in length")
    problems: list[str] = []
    ok = ~np.isnan(t)
    if c.dtype.kind == "f":
        ok &= ~np.isnan(c)
    elif c.dtype.kind == "O":
        ok &= np.array([v is not None for v in c], dtype=bool)
    if start is not None:
        ok &= ~np.isnan(start)
    if not ok.all():
        what = "time, cause or entry" if start is not None else "time or cause"
        problems.append(f"{int((~ok).sum())} row(s) with a missing {what} left out")
        t, c = t[ok], c[ok]
        start = None if start is None else start[ok]
    if np.any(t < 0):
        raise ValueError("negative durations")
    if start is not None and np.any(start >= t):
        raise ValueError("entry must lie before the exit time (entry < exit, as R's Surv)")
    if c.dtype.kind in "iub" or c.dtype.kind == "f":
        is_cens = c == censor_code
    else:
        is_cens = c.astype(str) == str(censor_code)
    cause_values = c[~is_cens]
    labels = tuple(sorted(set(cause_values.tolist())))
    if t.size == 0:
        problems.append("no observations")
    elif not labels:
        problems.append("no events: all cumulative incidences are 0")

    timeline, inv = np.unique(t, return_inverse=True)
    m = timeline.size
    n_total = np.bincount(inv, minlength=m).astype(float)
    n_risk = np.cumsum(n_total[::-1])[::-1]
    if start is not None:  # rows not yet entered at t_j: entry >= t_j
        n_risk = n_risk - (start.size - np.searchsorted(np.sort(start), timeline, side="left"))
    d_k = {}
    for k in labels:
        sel = ~is_cens & (c == k)
        d_k[k] = np.bincount(inv[sel], minlength=m).astype(float)
    d_all = sum(d_k.values()) if labels else np.zeros(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d_all / n_risk)
        s_before = np.concatenate(([1.0], surv[:-1]))  # S(t_j-)
        # Greenwood increment; where n == d (everyone left fails) it only ever
        # multiplies (F(t) - F(t_j))^2 = 0, as no later time exists: set to 0
        a = np.where(n_risk > d_all, d_all / (n_risk * (n_risk - d_all)), 0.0)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    cif, lower, upper, se = {}, {}, {}, {}
    for k in labels:
        d = d_k[k]
        inc = s_before * d / n_risk
        f = np.cumsum(inc)
        # Var F(t) = sum_j (F(t)-F_j)^2 a_j + sum_j S_j-^2 d_kj (n_j-d_kj)/n_j^3
        #            - 2 sum_j (F(t)-F_j) S_j- d_kj / n_j^2      (F_j = F(t_j))
        with np.errstate(divide="ignore", invalid="ignore"):
            b = s_before**2 * d * (n_risk - d) / n_risk**3
            e = s_before * d / n_risk**2
        var = (
            f**2 * np.cumsum(a) - 2 * f * np.cumsum(f * a) + np.cumsum(f**2 * a)
            + np.cumsum(b)
            - 2 * (f * np.cumsum(e) - np.cumsum(f * e))
        )
        s = np.sqrt(np.clip(var, 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = (f > 0) & (f < 1)
            lf = np.log(np.where(inner, f, 0.5))
            expo = z * s / (np.where(inner, f, 0.5) * lf)
            lo = np.where(inner, f ** np.exp(-expo), np.where(f == 0, 0.0, np.nan))
            up = np.where(inner, f ** np.exp(expo), np.where(f == 0, 0.0, np.nan))
        cif[k], se[k], lower[k], upper[k] = f, s, lo, up
    return CumulativeIncidenceResult(
        timeline=timeline,
        cif=cif,
        lower=lower,
        upper=upper,
        se=se,
        survival=surv,
        n_risk=n_risk,
        n_event=d_k,
        n=int(t.size),
        causes=labels,
        conf_level=conf_level,
        problems=tuple(problems),
    )
