"""Restricted mean survival time (RMST): the area under a Kaplan-Meier curve up to tau.

Why: a mean duration can only be compared with a mean (the 2011 study's 9 months
is a mean), and with censoring the plain mean is not estimable, but the mean of
min(T, tau) is: RMST(tau) = integral_0^tau S(t) dt. It is the expected time to
closure counted up to tau days.

Conventions (R survival's ``print(survfit, rmean=tau)``, ``survival:::survmean``,
which gives the same numbers as ``survRM2::rmst2`` for one arm):

* the area runs from 0 (all our times are >= 0) over the right-continuous step
  function, the last value carried on to tau when tau lies beyond the last time;
* variance (Greenwood type): sum over times t_j <= tau with events of
  A_j^2 d_j / (n_j (n_j - d_j)), A_j = integral_{t_j}^tau S(t) dt; a term with
  n_j = d_j counts 0, as R;
* interval: plain, RMST +- z se (survRM2's choice; R prints only the se);
* with delayed entry the same formulas hold with the counting-process risk sets
  of the Kaplan-Meier fit (R does exactly this for ``Surv(entry, exit, event)``).

``beyond_follow_up`` is True when tau lies after the last observed time while the
curve is still above 0: the area is then partly extrapolated (R extends quietly;
callers that publish the number should not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .kaplan_meier import KaplanMeierResult


@dataclass(frozen=True)
class RMSTResult:
    tau: float
    estimate: float
    se: float
    lower: float
    upper: float
    conf_level: float
    beyond_follow_up: bool


def rmst(km: KaplanMeierResult, tau: float, *, conf_level: float | None = None) -> RMSTResult:
    """RMST(tau) of a Kaplan-Meier fit with its standard error and interval."""
    if not tau > 0:
        raise ValueError("tau must be positive")
    level = km.conf_level if conf_level is None else conf_level
    keep = km.timeline <= tau
    times = km.timeline[keep]
    surv = km.survival[keep]
    d, n = km.n_event[keep], km.n_risk[keep]
    # S on each piece between consecutive knots 0, t_1, ..., t_k, tau
    knots = np.concatenate(([0.0], times, [float(tau)]))
    level_on = np.concatenate(([1.0], surv))
    pieces = np.diff(knots) * level_on
    estimate = float(pieces.sum())
    # A_j = area from t_j to tau = the sum of the pieces after knot j
    after = np.cumsum(pieces[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where((n > d) & (d > 0), d / (n * (n - d)), 0.0)
    se = float(np.sqrt(np.sum(after**2 * h)))
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    last = km.timeline[-1] if km.timeline.size else 0.0
    still_open = km.survival[-1] > 0 if km.survival.size else True
    return RMSTResult(tau=float(tau), estimate=estimate, se=se, lower=estimate - z * se,
                      upper=estimate + z * se, conf_level=float(level),
                      beyond_follow_up=bool(tau > last and still_open))
