"""Fine-Gray proportional subdistribution hazards (Fine & Gray 1999), as R ``cmprsk::crr``.

Why: a cause-specific hazard ratio says how fast one outcome comes among those
still in support; it does not say whether that outcome becomes more or less
*common*. The subdistribution hazard ratio (SHR) does: it acts on the
cumulative incidence of the outcome, the share of trajectories that end in it.
lifelines has no Fine-Gray model; this is our own, checked against R ``crr``
(coefficients and its sandwich SEs) and against R ``coxph`` on
``survival::finegray`` output (the Geskus 2011 expansion fitted as a weighted
Cox model), see tests/stats/test_fine_gray.py.

Estimand. Rows are followed from time 0 (no delayed entry: ``crr`` has none,
and ``finegray`` refuses it; Geskus' left-truncation weights would also need
the entry distribution). The subdistribution risk set at time t holds the rows
still without any event (time >= t) and, with a weight, the rows that had a
competing event before t; the model is
  cumulative-incidence hazard of ``event`` at t given x = baseline(t) exp(beta'x).

Method. The Geskus / ``finegray`` data expansion keeps a row with a competing
event at T_j in every later risk set with weight G(t-)/G(T_j-), G the
Kaplan-Meier curve of the censoring. That weight factorises, so a risk-set sum
is sum over time >= t of w_j + G(t-) * sum over competing rows with T_j < t of
w_j / G(T_j-): two cumulative sums over the sorted rows. The expansion is never
materialised (it would hold about (rows x censoring times) rows); the fit is
the weighted Cox fit of the expanded data, exactly.

Conventions (those of ``crr``):
* ``status``: the value ``event`` is the event of interest, ``censored`` is
  censoring, every other value a competing event.
* G: Kaplan-Meier of the censoring times (a censoring tied with an event time
  is at risk at it), evaluated just before each time: G(t-).
* Ties: Breslow (``crr`` has no other), Newton-Raphson from 0 with step halving,
  converged at a relative change in the log pseudo-likelihood below 1e-10.
* ``se``: by default ``crr``'s sandwich (Fine & Gray 1999, section 3): inverse information
  times the sum over rows of (eta_i + psi_i)^2 times inverse information, where
  psi_i carries the variability of the estimated G (the step that a robust SE
  of ``coxph`` on ``finegray`` output leaves out). ``se_model``: inverse
  information. Wald z, two-sided normal p, SHR interval exp(coef +- z se).
* Strata: each stratum its own baseline subdistribution hazard *and* its own
  censoring distribution (weights, and the psi part, within the stratum); the
  sandwich is ``crr``'s applied within strata. Without strata the fit is
  ``crr``'s.

Sparse data never raise: no rows or no events give NaN everywhere; a 0/1 term
with no events of interest among its rows has an SHR of zero (MLE at minus
infinity): it is reported as NaN and its rows leave the risk sets (they still
count for G); aliased and constant terms are dropped (NaN), as in
:mod:`pipeline.stats.cox`. ``problems`` says what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from .cox import _Sorted, _strata_codes, _vary_within_strata
from .design import build_design, independent_columns, wald_table, weighted_cross

VARIANCES = ("crr", "robust")


@dataclass(frozen=True)
class FineGrayResult:
    terms: pl.DataFrame  # term, coef, se, shr, shr_lower, shr_upper, z, p (se: crr sandwich)
    se_model: np.ndarray  # model-based SE per term (NaN where no estimate)
    loglik: float  # log pseudo-likelihood at the estimate (crr's ``loglik``)
    loglik_null: float
    n: int
    events: int  # events of interest
    competing: int
    censored: int
    strata: tuple[str, ...]
    conf_level: float
    cov: np.ndarray  # sandwich covariance of the estimated (non-NaN) terms, term order
    converged: bool
    iterations: int
    problems: tuple[str, ...] = ()


def _cumsum(srt: _Sorted, a: np.ndarray) -> np.ndarray:
    """Sum over the groups of the same stratum up to and including each group (last axis)."""
    cs = np.cumsum(a, axis=-1)
    ext = np.concatenate([np.zeros(cs.shape[:-1] + (1,)), cs], axis=-1)
    return cs - ext[..., srt.g_first]


class _Weights:
    """Censoring Kaplan-Meier per stratum and the per-row weights of the expansion."""

    def __init__(self, srt: _Sorted, competing: np.ndarray, censored: np.ndarray):
        self.pi = srt.rev_cumsum(srt.group_sums(np.ones(srt.t.size)))  # at risk per group
        self.dc = srt.group_sums(censored.astype(float))
        factor = 1.0 - self.dc / self.pi
        g_after = np.empty(srt.ngroups)
        firsts = np.unique(srt.g_first)
        for lo, hi in zip(firsts, np.r_[firsts[1:], srt.ngroups], strict=True):
            g_after[lo:hi] = np.cumprod(factor[lo:hi])
        self.g_before = np.r_[1.0, g_after[:-1]]  # G(t-) per group
        self.g_before[firsts] = 1.0
        self.g_ev = self.g_before[srt.ev_groups]
        # 1 / G(T_j-) for competing rows, 0 otherwise (G(T_j-) > 0: row j was at risk)
        self.inv_g = np.where(competing, 1.0 / self.g_before[srt.gid], 0.0)
        self.censored = censored


class _Sums:
    """Subdistribution risk-set sums at one beta (Breslow)."""

    def __init__(self, srt: _Sorted, wts: _Weights, beta: np.ndarray, in_risk: np.ndarray):
        self.srt, self.wts = srt, wts
        eta = beta @ srt.xt
        shift = eta.max() if eta.size else 0.0
        self.e = np.exp(eta - shift) * in_risk
        self.d = srt.d[srt.ev_groups]
        self.s0 = self._risk(self.e)
        n_ev = self.d.sum()
        self.loglik = float(beta @ srt.sum_x_events - shift * n_ev - self.d @ np.log(self.s0))
        self._s1 = None

    def _risk(self, a):
        """Risk-set sums of per-row ``a`` (last axis rows) at the event groups."""
        srt, wts = self.srt, self.wts
        own = srt.group_sums(a)
        comp = srt.group_sums(a * wts.inv_g)
        late = _cumsum(srt, comp) - comp  # competing rows with T_j < t
        return (srt.rev_cumsum(own) + wts.g_before * late)[..., srt.ev_groups]

    @property
    def s1(self):
        if self._s1 is None:
            self._s1 = self._risk(self.srt.xt * self.e)
        return self._s1

    def score(self):
        return self.srt.sum_x_events - self.s1 @ (self.d / self.s0)

    def _per_row(self, a_ev):
        """Per row: sum over event groups of its weight times ``a_ev`` (last axis groups)."""
        srt, wts = self.srt, self.wts
        a_all = np.zeros(a_ev.shape[:-1] + (srt.ngroups,))
        a_all[..., srt.ev_groups] = a_ev
        later = srt.rev_cumsum(wts.g_before * a_all)
        later = later - wts.g_before * a_all  # groups strictly after
        return _cumsum(srt, a_all)[..., srt.gid] + wts.inv_g * later[..., srt.gid]

    def info(self):
        a = self.d / self.s0
        first = weighted_cross(self.srt.xt, self.e * self._per_row(a))
        return first - (self.s1 * (self.d / self.s0**2)) @ self.s1.T

    def meat(self, psi: bool = True):
        """sum over rows of (eta_i + psi_i)(eta_i + psi_i)' (crr's variance middle);
        without psi the robust variance of the weighted Cox fit with G taken as known."""
        srt, wts = self.srt, self.wts
        a = self.d / self.s0
        ebar = self.s1 / self.s0
        xt, e = srt.xt, self.e
        # eta_i: d N_i part minus the d Lambda part over the risk sets the row is in
        u = xt * (e * self._per_row(a)) - e * self._per_row(a * ebar)
        np.negative(u, out=u)
        ebar_all = np.zeros((xt.shape[0], srt.ngroups))
        ebar_all[:, srt.ev_groups] = ebar
        ev = srt.ev_rows
        u[:, ev] += xt[:, ev] - ebar_all[:, srt.gid[ev]]
        if not psi:
            return weighted_cross(u)
        # psi_i: the censoring martingale part, q(u) / pi(u) dM^c_i(u)
        g_a = np.zeros(srt.ngroups)
        g_a[srt.ev_groups] = wts.g_ev * a
        k0 = srt.rev_cumsum(g_a)
        g_ae = np.zeros((xt.shape[0], srt.ngroups))
        g_ae[:, srt.ev_groups] = wts.g_ev * a * ebar
        k1 = srt.rev_cumsum(g_ae)
        c0 = srt.group_sums(e * wts.inv_g)
        c1 = srt.group_sums(xt * (e * wts.inv_g))
        v0, v1 = _cumsum(srt, c0) - c0, _cumsum(srt, c1) - c1
        q = v1 * k0 - v0 * k1  # p x groups
        h = q * (wts.dc / wts.pi**2)
        u -= _cumsum(srt, h)[:, srt.gid]
        cens = np.flatnonzero(wts.censored)
        u[:, cens] += (q / wts.pi)[:, srt.gid[cens]]
        return weighted_cross(u)


def _fit(srt, wts, in_risk, max_iter=50, eps=1e-10):
    p = srt.xt.shape[0]
    beta = np.zeros(p)
    cur = _Sums(srt, wts, beta, in_risk)
    loglik0 = cur.loglik
    converged, it, step = p == 0, 0, np.zeros(p)
    while p and it < max_iter:
        it += 1
        score, info = cur.score(), cur.info()
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        new = _Sums(srt, wts, beta + step, in_risk)
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < cur.loglik - 1e-12) and halvings < 30:
            step = step / 2
            new = _Sums(srt, wts, beta + step, in_risk)
            halvings += 1
        rel = abs(new.loglik - cur.loglik) / max(abs(new.loglik), 1e-300)
        beta, cur = beta + step, new
        if rel < eps and np.all(np.abs(step) < 1e-6 * np.maximum(1.0, np.abs(beta))):
            converged = True
            break
    return beta, cur, loglik0, converged, it, step


def fine_gray(
    data: pl.DataFrame,
    duration: str,
    status: str,
    covariates: Sequence[str],
    *,
    event,
    censored,
    references: Mapping[str, str] | None = None,
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    variance: str = "crr",
) -> FineGrayResult:
    """Fit a Fine-Gray model for ``status == event`` (see the module docstring).

    ``variance="robust"`` gives the robust SE of R ``coxph`` on ``finegray`` output
    (clustered by row, G taken as known) instead of ``crr``'s.
    """
    if variance not in VARIANCES:
        raise ValueError(f"variance must be one of {VARIANCES}")
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    design = build_design(data, covariates, references,
                          required=[duration, status, *strata_cols])
    problems = list(design.problems)
    kept = data.filter(pl.Series(design.keep)) if design.n_dropped else data
    time = kept[duration].cast(pl.Float64).to_numpy().astype(float)
    if np.any(time < 0):
        raise ValueError("negative durations")
    st = kept[status]
    is_event = (st == event).fill_null(False).to_numpy()
    is_cens = (st == censored).fill_null(False).to_numpy()
    is_comp = ~is_event & ~is_cens
    strat = _strata_codes(kept, strata_cols)
    terms = list(design.terms)
    nterm = len(terms)
    coef, se, se_model = (np.full(nterm, np.nan) for _ in range(3))
    n, n_ev = int(time.size), int(is_event.sum())
    nan = float("nan")

    def result(loglik=nan, loglik0=nan, cov=None, conv=False, it=0):
        return FineGrayResult(
            terms=wald_table(terms, coef, se, conf_level, ("shr", "shr_lower", "shr_upper")),
            se_model=se_model, loglik=loglik, loglik_null=loglik0, n=n, events=n_ev,
            competing=int(is_comp.sum()), censored=int(is_cens.sum()),
            strata=tuple(strata_cols), conf_level=conf_level,
            cov=np.full((0, 0), np.nan) if cov is None else cov,
            converged=conv, iterations=it, problems=tuple(problems))

    if n == 0:
        problems.append("no observations: no model")
        return result()
    if n_ev == 0:
        problems.append(f"no events {event!r}: no model")
        return result()
    xt_full = np.ascontiguousarray(design.matrix.T)
    in_risk = np.ones(n)
    active = []
    for j in range(nterm):
        ones = xt_full[j] == 1
        if design.indicator[j] and ones.any() and not (ones & is_event).any():
            problems.append(f"{terms[j]}: no events {event!r} among its {int(ones.sum())} "
                            "row(s); not estimable (zero), reported as NaN, rows out of the "
                            "risk sets")
            in_risk[ones] = 0.0
            continue
        active.append(j)
    live = in_risk > 0
    varying = [j for j in active if np.ptp(xt_full[j][live]) > 0]
    problems += [f"{terms[j]}: no variation left in the fitted rows; term dropped"
                 for j in active if j not in varying]
    keep_idx = [varying[k] for k in independent_columns(xt_full[varying][:, live].T,
                                                        intercept=True)]
    problems += [f"{terms[j]}: aliased with other terms (collinear); term dropped"
                 for j in varying if j not in keep_idx]
    xt = xt_full[keep_idx]
    if strata_cols and keep_idx:
        inside = _vary_within_strata(xt[:, live], strat[live])
        problems += [f"{terms[j]}: no variation within the strata; term dropped"
                     for k, j in enumerate(keep_idx) if k not in inside]
        xt, keep_idx = xt[inside], [keep_idx[k] for k in inside]
    del xt_full, design
    xt = xt - (xt[:, live].mean(axis=1, keepdims=True) if live.any() else 0.0)
    srt = _Sorted(time, is_event, strat, np.ascontiguousarray(xt))
    del xt
    order = srt.order
    wts = _Weights(srt, is_comp[order], is_cens[order])
    beta, cur, loglik0, converged, it, step = _fit(srt, wts, in_risk[order])
    if not converged and keep_idx:
        problems.append(f"Newton-Raphson did not converge in {it} iterations")
    p = len(keep_idx)
    cov = np.zeros((0, 0))
    if p:
        info = cur.info()
        try:
            inv = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            inv = np.linalg.pinv(info)
            problems.append("singular information matrix: standard errors unreliable")
        cov = inv @ cur.meat(psi=variance == "crr") @ inv
        cov = (cov + cov.T) / 2
        se_fit = np.sqrt(np.clip(np.diag(cov), 0, None))
        se_mod = np.sqrt(np.clip(np.diag(inv), 0, None))
        runaway = (np.abs(step) > 1e-3 * np.maximum(1.0, np.abs(beta))) | (
            (np.abs(beta) > 10) & (se_mod > 50))
        for k, j in enumerate(keep_idx):
            if runaway[k]:
                problems.append(f"{terms[j]}: coefficient may be infinite (monotone "
                                "likelihood); reported as NaN")
            else:
                coef[j], se[j], se_model[j] = beta[k], se_fit[k], se_mod[k]
    return result(cur.loglik, loglik0, cov, converged, it)
