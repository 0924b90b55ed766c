"""Kaplan-Meier survival curve with R ``survfit`` conventions.

Why our own: the report quotes medians with confidence intervals, and the
reader checks them against R. lifelines uses a log-log interval by default and
a different median rule; we follow ``survfit`` (R survival 3.x) exactly:

* ``timeline`` holds every distinct observed time (events and censorings), as
  ``survfit``'s ``$time``; ``survival`` is S(t) just after t.
* Greenwood variance of log S: sum d / (n (n - d)); ``std_err`` is the
  standard error of S itself, S * sqrt(that) (what ``summary.survfit`` prints).
* ``conf_type``: ``"log"`` (R's default) S*exp(+-z se), upper capped at 1;
  ``"log-log"`` exp(-exp(log(-log S) -+ z se / log S)); ``"plain"`` S +- z S se
  clipped to [0, 1]. Where S = 0 the log and log-log limits are undefined (NaN),
  as R prints NA. When everyone left at risk dies, the variance is infinite and
  ``std_err`` is NaN, as in R.
* Median (and other quantiles): the first time the curve reaches 1 - p; where
  the curve is flat at exactly 1 - p (within sqrt(machine eps)) the midpoint of
  that flat, as ``quantile.survfit``/``print.survfit``. The median's interval
  is where the lower and the upper confidence limits cross 0.5; a limit that
  never crosses is ``nan`` (R's NA).

Delayed entry (left truncation), ``entry=``: the counting-process form
``survfit(Surv(entry, exit, event) ~ 1)``. A row is at risk at t when
entry < t <= exit (R's (start, stop] interval; entry < exit is required, as R
does). The timeline holds the distinct exit times only (entries are no time
points, as in R); n_risk(t) = #{exit >= t} - #{entry >= t}. Everything else
(Greenwood, limits, median) is unchanged, and without ``entry`` the result is
exactly the one without delayed entry. Callers on whole days with "at risk on
days e..x inclusive" pass entry = e - 0.5. With delayed entry the risk set can
empty early while later rows still enter; the curve then stays at 0 (R does the
same) and ``problems`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

CONF_TYPES = ("log", "log-log", "plain")
_TOL = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class KaplanMeierResult:
    timeline: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    std_err: np.ndarray  # standard error of S(t) (Greenwood)
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n: int
    events: int
    median: float
    median_ci: tuple[float, float]
    conf_level: float
    conf_type: str
    problems: tuple[str, ...] = ()

    def at(self, t):
        """(S, lower, upper) at time(s) ``t``: the step function, right-continuous.

        Before the first observed time S = lower = upper = 1. Beyond the last
        observed time the last values are carried forward (as
        ``summary(fit, times=, extend=TRUE)``) -- the caller decides whether a
        time beyond follow-up is meaningful.
        """
        t_arr = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.timeline, t_arr, side="right") - 1
        s = np.concatenate(([1.0], self.survival))[idx + 1]
        lo = np.concatenate(([1.0], self.lower))[idx + 1]
        up = np.concatenate(([1.0], self.upper))[idx + 1]
        if t_arr.ndim == 0:
            return float(s), float(lo), float(up)
        return s, lo, up

    def quantile(self, p: float) -> tuple[float, float, float]:
        """Time by which a fraction ``p`` had the event, with its interval (R rules)."""
        return (
            _find_quantile(self.timeline, self.survival, p),
            _find_quantile(self.timeline, self.lower, p),
            _find_quantile(self.timeline, self.upper, p),
        )


def risk_table(durations, events, entry=None):
    """Distinct times with numbers at risk, events and censorings (vectorised).

    With ``entry`` (delayed entry, see the module docstring) a row counts at risk
    at t only when entry < t; ``entry`` must hold no missing values.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events).astype(bool)
    if t.shape != e.shape:
        raise ValueError("durations and events differ in length")
    timeline, inv = np.unique(t, return_inverse=True)
    n_event = np.bincount(inv, weights=e, minlength=timeline.size)
    n_total = np.bincount(inv, minlength=timeline.size).astype(float)
    n_censor = n_total - n_event
    n_risk = np.cumsum(n_total[::-1])[::-1]
    if entry is not None:
        start = np.sort(np.asarray(entry, dtype=float))
        if start.shape != t.shape:
            raise ValueError("entry and durations differ in length")
        # rows not yet entered at t_j: entry >= t_j
        n_risk = n_risk - (start.size - np.searchsorted(start, timeline, side="left"))
    return timeline, n_risk, n_event, n_censor


def _clean(t: np.ndarray, e: np.ndarray, entry, problems: list[str]):
    """Drop rows with a missing time, status or entry (counted); check the intervals."""
    start = None if entry is None else np.asarray(entry, dtype=float)
    if start is not None and start.shape != t.shape:
        raise ValueError("entry and durations differ in length")
    ok = ~np.isnan(t)
    if e.dtype.kind == "f":
        ok &= ~np.isnan(e)
    if start is not None:
        ok &= ~np.isnan(start)
    if not ok.all():
        what = "time, status or entry" if start is not None else "time or status"
        problems.append(f"{int((~ok).sum())} row(s) with a missing {what} left out")
        t, e = t[ok], e[ok]
        start = None if start is None else start[ok]
    if start is not None and np.any(start >= t):
        raise ValueError("entry must lie before the exit time (entry < exit, as R's Surv)")
    return t, e, start


def kaplan_meier(durations, events, *, entry=None, conf_level: float = 0.95,
                 conf_type: str = "log"):
    """Kaplan-Meier estimate with confidence limits and median (see module docstring).

    ``entry``: optional delayed-entry times (R ``Surv(entry, exit, event)``).
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}")
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events)
    problems: list[str] = []
    t, e, start = _clean(t, e, entry, problems)
    if np.any(t < 0):
        raise ValueError("negative durations")
    e = e.astype(bool)
    timeline, n_risk, n_event, n_censor = risk_table(t, e, start)
    if t.size == 0:
        problems.append("no observations")
    elif not e.any():
        problems.append("no events: the curve stays at 1 and the median is not reached")
    if start is not None:
        emptied = np.flatnonzero((n_risk == n_event) & (n_event > 0))
        if emptied.size and emptied[0] < timeline.size - 1:
            problems.append(f"the risk set emptied at t={timeline[emptied[0]]:g} while later "
                            f"rows still entered: the curve stays at 0 from there")

    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        terms = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        var_log = np.cumsum(terms)  # inf once n == d
        se_log = np.sqrt(var_log)
        se_log = np.where(np.isfinite(se_log), se_log, np.nan)
        std_err = surv * se_log
        z = stats.norm.ppf(1 - (1 - conf_level) / 2)
        if conf_type == "log":
            lower = np.where(surv > 0, surv * np.exp(-z * se_log), np.nan)
            upper = np.where(surv > 0, np.minimum(surv * np.exp(z * se_log), 1.0), np.nan)
        elif conf_type == "log-log":
            inner = (surv > 0) & (surv < 1)
            ll = np.log(-np.log(np.where(inner, surv, 0.5)))
            half = z * se_log / np.log(np.where(inner, surv, 0.5))
            lower = np.where(inner, np.exp(-np.exp(ll - half)), np.nan)
            upper = np.where(inner, np.exp(-np.exp(ll + half)), np.nan)
            # S == 1 (before the first event): the limits are 1, as in R
            lower = np.where(surv == 1, 1.0, lower)
            upper = np.where(surv == 1, 1.0, upper)
        else:
            lower = np.clip(surv - z * std_err, 0.0, 1.0)
            upper = np.clip(surv + z * std_err, 0.0, 1.0)
    # before the first event se = 0 and the limits equal S exactly
    median = _find_quantile(timeline, surv, 0.5)
    median_ci = (_find_quantile(timeline, lower, 0.5), _find_quantile(timeline, upper, 0.5))
    return KaplanMeierResult(
        timeline=timeline,
        survival=surv,
        lower=lower,
        upper=upper,
        std_err=std_err,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_censor,
        n=int(t.size),
        events=int(e.sum()),
        median=median,
        median_ci=median_ci,
        conf_level=conf_level,
        conf_type=conf_type,
        problems=tuple(problems),
    )


def _find_quantile(times: np.ndarray, surv: np.ndarray, p: float) -> float:
    """Where the cumulative distribution 1 - S first reaches ``p`` (R's midpoint rule).

    Written from the rule documented in R's ``quantile.survfit``: prepend
    (0, F=0); drop repeated F values (censorings); the quantile is the first
    time F >= p - tol; if F equals p within tol over a flat, the midpoint of
    the flat's start and the next jump (or the last observed time when the flat
    runs to the end of follow-up). NaN values of the curve are ignored; a
    curve that never reaches p gives NaN.
    """
    if times.size == 0:
        return float("nan")
    x = np.concatenate(([0.0], times))
    f = np.concatenate(([0.0], 1.0 - surv))
    xmax = x[-1]
    good = ~np.isnan(f)
    x, f = x[good], f[good]
    if f.size == 0 or f.max() < p - _TOL:
        return float("nan")
    first = np.ones(f.size, dtype=bool)
    first[1:] = f[1:] != f[:-1]
    x, f = x[first], f[first]
    if p == 0:
        return float(x[0])
    i1 = int(np.argmax(f >= p - _TOL))
    if abs(f[i1] - p) < _TOL:  # flat exactly at p
        if i1 + 1 < f.size:
            return float((x[i1] + x[i1 + 1]) / 2)
        return float((x[i1] + xmax) / 2)
    return float(x[i1])
