"""The proportional-hazards test of R ``cox.zph`` for :mod:`pipeline.stats.cox`.

Split from ``cox.py`` to keep the modules short; the conventions are in that
module's docstring (``ph_test``). It works on the fit's sorted rows and risk-set
sums, so it needs no second pass over the data per time.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .kaplan_meier import risk_table


def _ph_transform(time, event, kind: str, entry=None) -> np.ndarray:
    if kind == "km" and entry is not None:  # pooled Kaplan-Meier with delayed entry
        timeline = np.unique(time[event])
        exits, entries = np.sort(time), np.sort(entry)
        n_risk = ((exits.size - np.searchsorted(exits, timeline, side="left"))
                  - (entries.size - np.searchsorted(entries, timeline, side="left")))
        n_event = np.bincount(np.searchsorted(timeline, time[event]), minlength=timeline.size)
        surv = np.cumprod(1.0 - n_event / n_risk)
        idx = np.searchsorted(timeline, time, side="left")
        return 1.0 - np.concatenate(([1.0], surv))[idx]
    if kind == "identity":
        return time.astype(float)
    if kind == "log":
        return np.log(time)
    if kind == "rank":
        return stats.rankdata(time)
    # "km": 1 - S(t-) of the pooled Kaplan-Meier curve (R's default)
    timeline, n_risk, n_event, _ = risk_table(time, event)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
    idx = np.searchsorted(timeline, time, side="left")  # times strictly before
    return 1.0 - np.concatenate(([1.0], surv))[idx]


def _ph_test(srt, risk, info, terms, sources, transform, entry=None):
    g_all = _ph_transform(srt.t, srt.e.astype(bool), transform, entry)
    g_all = g_all - g_all[srt.ev_rows].mean()
    g_ev = g_all[srt.gstart[srt.ev_groups]]  # constant within a (stratum, time) group
    p = len(terms)
    u2 = srt.x_events @ g_ev - risk.mean_sum(g_ev)
    i12 = risk.info(g_ev)
    i22 = risk.info(g_ev**2)
    imat = np.block([[info, i12], [i12.T, i22]])

    def score_test(cols):
        kk = [*range(p), *[p + j for j in cols]]
        u = np.concatenate([np.zeros(p), u2[cols]])
        sub = imat[np.ix_(kk, kk)]
        try:
            return float(u @ np.linalg.solve(sub, u))
        except np.linalg.LinAlgError:
            return float("nan")

    term_rows = []
    for j, term in enumerate(terms):
        chisq = score_test([j])
        term_rows.append((term, chisq, 1, float(stats.chi2.sf(chisq, 1))))
    cov_rows = []
    for src in dict.fromkeys(sources):
        cols = [j for j, s in enumerate(sources) if s == src]
        chisq = score_test(cols)
        cov_rows.append((src, chisq, len(cols), float(stats.chi2.sf(chisq, len(cols)))))
    gchisq = score_test(list(range(p)))
    return term_rows, cov_rows, gchisq
