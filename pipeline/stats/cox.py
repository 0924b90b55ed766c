"""Cox proportional-hazards regression with a Schoenfeld-residual PH test.

Why our own (numpy) fit rather than a wrapper: the PH test of R's ``cox.zph``
(survival >= 3.0) needs the per-event-time risk-set sums of the fit, and on a
million rows a vectorised fit is much faster than lifelines' or statsmodels'
per-time Python loops (see the note in the report). lifelines and statsmodels
PHReg remain the cross-checks in the tests; R's published output is the
reference.

Conventions
-----------
* Ties: ``"efron"`` (default, as R ``coxph``) or ``"breslow"``.
* Delayed entry (left truncation, counting-process data): with an ``entry``
  column a row is at risk at time t when entry < t <= time, as R
  ``coxph(Surv(entry, time, event))`` (the (start, stop] convention: a row
  entering at t is not at risk at t). For whole days at risk on the days
  a..b inclusive, pass entry = a - 0.5 (R ``Surv(a - 0.5, b, event)``);
  :mod:`pipeline.outcome_models` does so. Risk-set sums are the sums over
  time >= t less the sums over entry >= t, each a cumulative sum over the
  sorted groups (no loop over times). Without ``entry`` the computation is
  exactly the one without delayed entry (the same operations, the same bits).
* Strata: one or more columns; their cross-classification gives separate
  baseline hazards (R ``strata()``); no coefficients for them.
* Fit: Newton-Raphson from beta = 0 with step halving, converged when the
  relative change in the log partial likelihood is below 1e-10 (R: 1e-9).
* ``se``: model-based (inverse information); Wald z and two-sided normal p;
  hazard-ratio interval exp(coef +- z se) at ``conf_level``.
* ``lr_test``: 2 (loglik - loglik at beta = 0) on the number of estimated terms.
* ``concordance``: Harrell's C as R's ``concordance(fit)``: pairs within a
  stratum where the shorter time is an event (an event and a censoring at the
  same time are comparable, two events at the same time are not); ties in the
  linear predictor count 1/2.
* ``ph_test``: the score test of R ``cox.zph`` (survival >= 3.0; Grambsch &
  Therneau 1994): for each term, add x * g(t) to the model and test its
  coefficient at the fitted beta, g(t) centred over events. Transform ``"km"``
  (R's default: g = 1 - S(t-) from the pooled Kaplan-Meier curve), ``"rank"``,
  ``"identity"`` or ``"log"``. Per term (one df per coefficient, as
  ``cox.zph(terms=FALSE)``), per covariate (all levels of a categorical
  together, as ``cox.zph``'s default), and global. With delayed entry the
  same test on the counting-process risk sets, the km transform from the
  pooled delayed-entry Kaplan-Meier curve, as R ``cox.zph`` does for
  ``Surv(start, stop, event)`` (tested against R for ``"km"``).
* With delayed entry ``concordance`` is NaN: R counts only pairs in the same
  risk set there, which this implementation does not do.

Sparse data never crash the fit; ``problems`` says what happened:
* no rows, or no events at all: no fit, every estimate NaN;
* a 0/1 term (a level, a boolean) with no events among its rows has an MLE of
  minus infinity: its rows carry no weight in any risk set, so the other
  coefficients are fitted exactly as in that limit (those rows left out) and
  the term is reported as NaN;
* aliased (collinear) terms are dropped and reported NaN (R: NA); with
  strata, so are terms (or combinations of terms) constant within every
  stratum: the stratified baseline hazards absorb them, their information is
  zero (R: NA);
* a coefficient that still runs away (monotone likelihood) is reported NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from .concordance import _harrell, _sort_by, concordance_index  # noqa: F401 (re-export)
from .cox_risksets import _RiskSets, _Sorted
from .cox_zph import _ph_test
from .design import (
    build_design,
    independent_columns,
    wald_table,
)

TIES = ("efron", "breslow")
PH_TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True)
class LRTest:
    statistic: float
    df: int
    p: float


@dataclass(frozen=True)
class PHTest:
    """Proportional-hazards test (R ``cox.zph`` score test)."""

    terms: pl.DataFrame  # term, chisq, df, p  (one row per coefficient)
    covariates: pl.DataFrame  # covariate, chisq, df, p  (levels of a factor together)
    global_chisq: float
    global_df: int
    global_p: float
    transform: str


@dataclass(frozen=True)
class CoxResult:
    terms: pl.DataFrame  # term, coef, se, hr, hr_lower, hr_upper, z, p
    loglik: float
    loglik_null: float
    lr_test: LRTest
    concordance: float
    ph_test: PHTest
    n: int
    events: int
    ties: str
    strata: tuple[str, ...]
    conf_level: float
    cov: np.ndarray  # covariance of the estimated (non-NaN) coefficients, term order
    converged: bool
    iterations: int
    problems: tuple[str, ...] = ()


def _fit(srt: _Sorted, efron: bool, max_iter: int = 50, eps: float = 1e-10):
    """Newton-Raphson from 0 with step halving; trials evaluate the log likelihood only."""
    p = srt.xt.shape[0]
    beta = np.zeros(p)
    risk = _RiskSets(srt, beta, efron)
    loglik = loglik0 = risk.loglik
    score, info = risk.score(), risk.info()
    converged = p == 0
    last_step = np.zeros(p)
    it = 0
    while p and it < max_iter:
        it += 1
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        new_beta = beta + step
        new = _RiskSets(srt, new_beta, efron)
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < loglik - 1e-12) and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new = _RiskSets(srt, new_beta, efron)
            halvings += 1
        rel = abs(new.loglik - loglik) / max(abs(new.loglik), 1e-300)
        beta, last_step, risk = new_beta, step, new
        loglik, score, info = risk.loglik, risk.score(), risk.info()
        if rel < eps and np.all(np.abs(step) < 1e-6 * np.maximum(1.0, np.abs(beta))):
            converged = True
            break
    return beta, loglik, loglik0, score, info, risk, converged, it, last_step


# ----------------------------------------------------------------------------
# public entry point


def _empty_ph(transform: str, terms: Sequence[str], sources: Sequence[str]) -> PHTest:
    nan = float("nan")
    return PHTest(
        terms=pl.DataFrame(
            {"term": list(terms), "chisq": [nan] * len(terms), "df": [1] * len(terms),
             "p": [nan] * len(terms)},
            schema={"term": pl.String, "chisq": pl.Float64, "df": pl.Int64, "p": pl.Float64},
        ),
        covariates=pl.DataFrame(
            {"covariate": list(dict.fromkeys(sources)),
             "chisq": [nan] * len(dict.fromkeys(sources)),
             "df": [sum(1 for s in sources if s == c) for c in dict.fromkeys(sources)],
             "p": [nan] * len(dict.fromkeys(sources))},
            schema={"covariate": pl.String, "chisq": pl.Float64, "df": pl.Int64,
                    "p": pl.Float64},
        ),
        global_chisq=nan,
        global_df=0,
        global_p=nan,
        transform=transform,
    )


def _vary_within_strata(xt: np.ndarray, strata: np.ndarray) -> list[int]:
    """Indices of the terms (rows of ``xt``) that stay independent within strata.

    Subtracting each stratum's value at one of its rows turns a term, or a
    combination of terms, that is constant within every stratum into exact
    zeros, which the greedy rank check of ``independent_columns`` drops.
    Without this, such a term has (numerically) zero information and its
    estimate is noise.
    """
    ref = np.zeros(int(strata.max()) + 1, dtype=np.int64)
    ref[strata] = np.arange(strata.size)  # a row of each stratum (which one does not matter)
    within = np.empty_like(xt)
    for j, row in enumerate(xt):  # term by term: no second (terms x rows) temporary
        np.subtract(row, row[ref][strata], out=within[j])
    return independent_columns(within.T, intercept=False)


def _strata_codes(frame: pl.DataFrame, cols: Sequence[str]) -> np.ndarray:
    if not cols:
        return np.zeros(frame.height, dtype=np.int64)
    key = frame.select(
        pl.concat_str([pl.col(c).cast(pl.String) for c in cols], separator="\x1f")
    ).to_series()
    # polars' dense rank orders strings as np.unique does (code points), fast
    return key.rank("dense").to_numpy().astype(np.int64) - 1


def cox_ph(
    data: pl.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    references: Mapping[str, str] | None = None,
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    ph_transform: str = "km",
    entry: str | None = None,
    ph_test: bool = True,
) -> CoxResult:
    """Fit a Cox model on ``data`` (see the module docstring for conventions).

    ``entry`` names a column of delayed-entry times (R ``Surv(entry, duration,
    event)``); each must be below its duration (ValueError otherwise, as R).
    ``ph_test=False`` skips the PH test (its result is then all NaN).
    """
    return cox_ph_each(data, duration, [event], covariates, references=references, ties=ties,
                       strata=strata, conf_level=conf_level, ph_transform=ph_transform,
                       entry=entry, ph_test=ph_test)[0]


def cox_ph_each(
    data: pl.DataFrame,
    duration: str,
    events: Sequence[str],
    covariates: Sequence[str],
    *,
    references: Mapping[str, str] | None = None,
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    ph_transform: str = "km",
    entry: str | None = None,
    ph_test: bool = True,
) -> list[CoxResult]:
    """One Cox model per column of ``events`` on the same rows and design (built once).

    Cause-specific hazards: the same covariates and follow-up, each outcome its own
    event column. Rows with a missing value in any event column are left out of
    every fit. Each result is what ``cox_ph`` gives for that column alone.
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}")
    if ph_transform not in PH_TRANSFORMS:
        raise ValueError(f"ph_transform must be one of {PH_TRANSFORMS}")
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    entry_cols = [entry] if entry else []
    design = build_design(data, covariates, references,
                          required=[duration, *events, *strata_cols, *entry_cols])
    kept = data.filter(pl.Series(design.keep)) if design.n_dropped else data
    time = kept[duration].cast(pl.Float64).to_numpy().astype(float)
    evs = [kept[event].cast(pl.Float64).to_numpy().astype(float) != 0 for event in events]
    if np.any(time < 0):
        raise ValueError("negative durations")
    start = kept[entry].cast(pl.Float64).to_numpy().astype(float) if entry else None
    if start is not None and np.any(start >= time):
        raise ValueError("entry must be before the end of follow-up (entry < duration)")
    strat = _strata_codes(kept, strata_cols)
    # one transposed copy (terms x rows): every per-term pass below reads contiguous memory
    held = [np.ascontiguousarray(design.matrix.T), design]
    del design  # the last fit drops ``held``: the full design is freed before it fits
    settings = dict(ties=ties, strata_cols=strata_cols, conf_level=conf_level,
                    ph_transform=ph_transform, ph_test=ph_test)
    return [_fit_event(held, time, ev, start, strat, last=k == len(evs) - 1, **settings)
            for k, ev in enumerate(evs)]


def _fit_event(held, time, ev, start, strat, *, last, ties, strata_cols, conf_level,
               ph_transform, ph_test) -> CoxResult:
    """The fit of ``cox_ph_each`` for one event vector (``held``: design, shared)."""
    xt_full, design = held
    if last:
        held.clear()
    problems = list(design.problems)
    terms, sources = list(design.terms), list(design.sources)
    nterm = len(terms)
    coef = np.full(nterm, np.nan)
    se = np.full(nterm, np.nan)
    n, n_events = int(time.size), int(ev.sum())
    nan = float("nan")

    def result(loglik=nan, loglik0=nan, lr=None, conc=nan, ph=None, cov=None, conv=False, it=0):
        return CoxResult(
            terms=wald_table(terms, coef, se, conf_level, ("hr", "hr_lower", "hr_upper")),
            loglik=loglik,
            loglik_null=loglik0,
            lr_test=lr or LRTest(nan, 0, nan),
            concordance=conc,
            ph_test=ph or _empty_ph(ph_transform, terms, sources),
            n=n,
            events=n_events,
            ties=ties,
            strata=tuple(strata_cols),
            conf_level=conf_level,
            cov=np.full((0, 0), np.nan) if cov is None else cov,
            converged=conv,
            iterations=it,
            problems=tuple(problems),
        )

    if n == 0:
        problems.append("no observations: no model")
        return result()
    if n_events == 0:
        problems.append("no events (no closures at all): no model")
        return result()

    # 0/1 terms without events among their rows: MLE at -infinity (see docstring)
    rows = np.ones(n, dtype=bool)
    active = []
    for j in range(nterm):
        if design.indicator[j]:
            ones = xt_full[j] == 1
            if ones.any() and not (ones & ev).any():
                problems.append(
                    f"{terms[j]}: no events among its {int(ones.sum())} row(s); hazard ratio "
                    "not estimable (zero), term reported as NaN and its rows left out"
                )
                rows &= ~ones
                continue
        active.append(j)
    if not rows.all():
        time, ev, strat = time[rows], ev[rows], strat[rows]
        start = None if start is None else start[rows]
        xt_full = xt_full.compress(rows, axis=1)  # C order, as xt_full[:, rows] is not
    # terms constant on the remaining rows, then aliased terms
    varying = [j for j in active if np.ptp(xt_full[j]) > 0] if time.size else []
    for j in active:
        if j not in varying:
            problems.append(f"{terms[j]}: no variation left in the fitted rows; term dropped")
    keep_idx = [varying[k] for k in independent_columns(xt_full[varying].T, intercept=True)]
    for j in varying:
        if j not in keep_idx:
            problems.append(f"{terms[j]}: aliased with other terms (collinear); term dropped")
    xt = xt_full[keep_idx]  # a copy: the model's terms x rows
    del xt_full, design  # the full design is no longer needed (memory at a million rows)
    if strata_cols and keep_idx:
        inside = _vary_within_strata(xt, strat)
        for k, j in enumerate(keep_idx):
            if k not in inside:
                problems.append(f"{terms[j]}: no variation within the strata (aliased with "
                                "them); term dropped")
        if len(inside) < len(keep_idx):
            xt, keep_idx = xt[inside], [keep_idx[k] for k in inside]
    if not ev.any():
        problems.append("no events left after removing empty levels: no model")
        return result()

    xt -= xt.mean(axis=1, keepdims=True)  # centring: same estimates, better conditioning
    srt = _Sorted(time, ev, strat, xt, start)
    del xt
    efron = ties == "efron"
    beta, loglik, loglik0, _score, info, risk, converged, it, last_step = _fit(srt, efron)
    if not converged and keep_idx:
        problems.append(f"Newton-Raphson did not converge in {it} iterations")
    try:
        cov = np.linalg.inv(info) if keep_idx else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
        problems.append("singular information matrix: standard errors unreliable")
    se_fit = np.sqrt(np.clip(np.diag(cov), 0, None)) if keep_idx else np.zeros(0)
    runaway = (np.abs(last_step) > 1e-3 * np.maximum(1.0, np.abs(beta))) | (
        (np.abs(beta) > 10) & (se_fit > 50)
    )
    for k, j in enumerate(keep_idx):
        if runaway[k]:
            problems.append(
                f"{terms[j]}: coefficient may be infinite (monotone likelihood); reported as NaN"
            )
        else:
            coef[j], se[j] = beta[k], se_fit[k]
    df = int(len(keep_idx))
    lr_stat = 2 * (loglik - loglik0)
    lr = LRTest(float(lr_stat), df, float(stats.chi2.sf(lr_stat, df)) if df else nan)

    fit_terms = [terms[j] for j in keep_idx]
    fit_sources = [sources[j] for j in keep_idx]
    if keep_idx and ph_test:
        term_rows, cov_rows, gchisq = _ph_test(srt, risk, info, fit_terms, fit_sources,
                                               ph_transform, srt.entry)
        by_term = {r[0]: r for r in term_rows}
        all_rows = [by_term.get(tm, (tm, nan, 1, nan)) for tm in terms]
        by_cov = {r[0]: r for r in cov_rows}
        cov_all = []
        for src in dict.fromkeys(sources):
            cov_all.append(by_cov.get(src, (src, nan, 0, nan)))
        ph = PHTest(
            terms=pl.DataFrame(all_rows, schema={"term": pl.String, "chisq": pl.Float64,
                                                 "df": pl.Int64, "p": pl.Float64},
                               orient="row"),
            covariates=pl.DataFrame(cov_all, schema={"covariate": pl.String,
                                                     "chisq": pl.Float64, "df": pl.Int64,
                                                     "p": pl.Float64}, orient="row"),
            global_chisq=gchisq,
            global_df=df,
            global_p=float(stats.chi2.sf(gchisq, df)),
            transform=ph_transform,
        )
    else:
        ph = _empty_ph(ph_transform, terms, sources)

    eta = beta @ srt.xt
    del risk
    srt.free_scratch()  # the concordance, computed last, can use the memory
    conc = nan if start is not None else _harrell(srt.trank, srt.e > 0, eta, srt.s)
    return result(loglik, loglik0, lr, conc, ph, cov, converged, it)
