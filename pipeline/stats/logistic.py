"""Logistic regression (eviction avoided yes/no) with cluster-robust errors.

Fit: maximum likelihood by Newton-Raphson, step for step the algorithm of
statsmodels ``Logit(...).fit(method="newton")`` (start at 0, the 1e-10 ridge on
the scaled Hessian, stop when no coefficient moves more than 1e-8, at most 100
steps, its perfect-prediction check), written out in numpy so that a step is
a few passes over the rows: statsmodels' model set-up (a QR decomposition to
check the rank) and Hessian (a new rows x terms temporary and one
multi-threaded product per call, erratic on 2 busy cores) took most of the
model's time at the stress size. Intercept included
and reported as the term ``(Intercept)``; the other terms follow
:mod:`pipeline.stats.design`. statsmodels remains the cross-check in the tests.

Standard errors
---------------
* ``cluster=None``: model-based, inverse of the observed information
  (``cov_type = "nonrobust"``).
* ``cluster="caw"``: the cluster-robust sandwich
  V = G/(G-1) * B (sum_g u_g u_g') B, with B the model-based covariance,
  u_g the sum of the score vectors (y - p) x within cluster g and G the number
  of clusters. This is the convention of Stata's ``logit ..., vce(cluster c)``
  (and of every Stata ML estimator) and of R ``sandwich::vcovCL(fit,
  type = "HC0", cadjust = TRUE)``. statsmodels' ``cov_type="cluster"`` default
  multiplies by a further (N-1)/(N-K) (Stata's factor for ``regress`` only);
  we do not. ``cov_type`` reads ``"cluster (G/(G-1), G=..)"``.
  With few clusters (the CAW's) the sandwich is biased downwards; the result
  says so when G < 30. Wald z, two-sided normal p and exp(coef +- z se) odds-
  ratio intervals, as Stata.

Sparse data
-----------
* no rows / only one outcome value: no model, estimates NaN, ``problems`` says so;
* a 0/1 term whose rows all have the same outcome (quasi-complete separation
  by one level): its MLE is infinite; the likelihood contributions of those
  rows tend to 1 and their scores to 0, so the other coefficients equal the fit
  without those rows -- we fit that, report the term NaN and say so;
* any other separation or non-convergence reported by the optimiser: all terms
  NaN with the reason in ``problems``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from .design import build_design, dense_codes, independent_columns, wald_table, weighted_cross

INTERCEPT = "(Intercept)"
#: statsmodels' perfect-prediction warning, quoted once per Newton step that
#: triggers it (the wording of ``problems`` is kept as it was with statsmodels)
PERFECT_PREDICTION = "Perfect separation or prediction detected, parameter may not be identified"


@dataclass(frozen=True)
class LogisticResult:
    terms: pl.DataFrame  # term, coef, se, odds_ratio, or_lower, or_upper, z, p
    n: int
    events: int  # rows with outcome 1
    loglik: float
    loglik_null: float
    cov_type: str
    n_clusters: int | None
    conf_level: float
    cov: np.ndarray
    converged: bool
    problems: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return self.events / self.n if self.n else float("nan")


def cluster_sandwich(scores: np.ndarray, bread: np.ndarray, clusters) -> tuple[np.ndarray, int]:
    """G/(G-1) * B (sum_g u_g u_g') B with u_g the per-cluster score sums.

    ``scores``: n x k matrix of per-observation score contributions;
    ``bread``: k x k model-based covariance (inverse information). Generic for
    any ML estimator, so it is checked against Stata on more than one model.
    """
    codes = dense_codes(clusters)
    g = int(codes.max()) + 1 if codes.size else 0
    scores = np.asarray(scores, dtype=float)
    # u: one row per cluster, the sums of its rows' scores (column by column)
    u = np.stack([np.bincount(codes, weights=col, minlength=g) for col in scores.T], axis=1) \
        if codes.size else np.zeros((0, scores.shape[1]))
    meat = u.T @ u
    factor = g / (g - 1) if g > 1 else float("nan")
    return factor * bread @ meat @ bread, g


@dataclass(frozen=True)
class _NewtonFit:
    params: np.ndarray
    prob: np.ndarray  # fitted probabilities at params
    cov: np.ndarray  # inverse observed information at params
    loglik: float
    converged: bool
    perfect_steps: int  # Newton steps after which every fitted value was within 1e-8 of y


def _cdf(eta: np.ndarray) -> np.ndarray:
    """The logistic function as statsmodels' ``Logit.cdf`` evaluates it (same rounding)."""
    with np.errstate(over="ignore"):  # exp overflow: 1/inf = 0, the right limit
        return 1.0 / (1.0 + np.exp(-eta))


def _newton(xt: np.ndarray, y: np.ndarray, max_iter: int = 100, tol: float = 1e-8,
            ridge: float = 1e-10) -> _NewtonFit:
    """statsmodels' ``Logit.fit(method="newton", maxiter=100)``, step for step.

    ``xt``: the design transposed (terms x rows, C order, intercept first), so
    that X'WX is a product over contiguous rows (``weighted_cross``). Like
    statsmodels' ``_fit_newton``: the Hessian and score are divided by n and
    the Hessian gets ``ridge`` on its diagonal before solving; the loop stops
    when no coefficient changed by more than ``tol``; reaching ``max_iter``
    steps counts as not converged; after each step the fitted values are
    checked for perfect prediction (``_check_perfect_pred``). Raises
    ``LinAlgError`` where statsmodels would.
    """
    n = y.size
    params = np.zeros(xt.shape[0])
    prob = _cdf(params @ xt)
    iterations = perfect = 0
    moving = True
    while iterations < max_iter and moving:
        hessian = weighted_cross(xt, prob * (1 - prob)) / n
        hessian[np.diag_indices_from(hessian)] += ridge
        step = np.linalg.solve(hessian, xt @ (y - prob) / n)
        params = params + step
        prob = _cdf(params @ xt)
        perfect += bool(np.allclose(prob - y, 0))
        iterations += 1
        moving = bool(np.any(np.abs(step) > tol))
    info = weighted_cross(xt, prob * (1 - prob))
    q = 2 * y - 1
    with np.errstate(divide="ignore"):
        loglik = float(np.sum(np.log(_cdf(q * (params @ xt)))))
    return _NewtonFit(params, prob, np.linalg.inv(info / n) / n, loglik,
                      iterations < max_iter, perfect)


def logistic(
    data: pl.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    references: Mapping[str, str] | None = None,
    cluster: str | None = None,
    conf_level: float = 0.95,
) -> LogisticResult:
    """Fit P(outcome = 1) on ``covariates`` (see the module docstring)."""
    required = [outcome] + ([cluster] if cluster else [])
    design = build_design(data, covariates, references, required=required)
    problems = list(design.problems)
    kept = data.filter(pl.Series(design.keep)) if design.n_dropped else data
    y = kept[outcome].cast(pl.Float64).to_numpy().astype(float)
    if np.any((y != 0) & (y != 1)):
        raise ValueError(f"{outcome} must be boolean or 0/1")
    clusters = dense_codes(kept[cluster]) if cluster else None
    terms = [INTERCEPT, *design.terms]
    coef = np.full(len(terms), np.nan)
    se = np.full(len(terms), np.nan)
    n, events = int(y.size), int(y.sum())
    nan = float("nan")
    base_cov_type = "cluster" if cluster else "nonrobust"

    def result(loglik=nan, loglik0=nan, cov=None, cov_type=base_cov_type, g=None, conv=False):
        return LogisticResult(
            terms=wald_table(terms, coef, se, conf_level,
                             ("odds_ratio", "or_lower", "or_upper")),
            n=n,
            events=events,
            loglik=loglik,
            loglik_null=loglik0,
            cov_type=cov_type,
            n_clusters=g,
            conf_level=conf_level,
            cov=np.full((0, 0), np.nan) if cov is None else cov,
            converged=conv,
            problems=tuple(problems),
        )

    if n == 0:
        problems.append("no observations: no model")
        return result()
    if events in (0, n):
        problems.append(f"all {n} outcomes are {int(y[0])}: no model")
        return result()

    xt_all = design.matrix.T  # terms x rows, C order: per-term passes read contiguous memory
    rows = np.ones(n, dtype=bool)
    active = []
    for j, term in enumerate(design.terms):
        if design.indicator[j]:
            ones = xt_all[j] == 1
            if ones.any():
                ys = y[ones]
                if np.all(ys == ys[0]):
                    problems.append(
                        f"{term}: all {int(ones.sum())} outcome(s) in its rows are {int(ys[0])} "
                        "(separation); odds ratio infinite, term reported as NaN and its rows "
                        "left out"
                    )
                    rows &= ~ones
                    continue
        active.append(j)
    all_rows = bool(rows.all())
    y_fit = y if all_rows else y[rows]
    xt_fit = xt_all if all_rows else xt_all.compress(rows, axis=1)
    cl_fit = clusters if clusters is None or all_rows else clusters[rows]
    if y_fit.size == 0 or y_fit.min() == y_fit.max():
        problems.append("no variation in the outcome left after separated levels: no model")
        return result()
    varying = [j for j in active if np.ptp(xt_fit[j]) > 0]
    for j in active:
        if j not in varying:
            problems.append(f"{design.terms[j]}: no variation left in the fitted rows; dropped")
    keep_idx = [varying[k] for k in independent_columns(xt_fit[varying].T, intercept=True)]
    for j in varying:
        if j not in keep_idx:
            problems.append(f"{design.terms[j]}: aliased with other terms (collinear); dropped")

    exog_t = np.vstack([np.ones((1, y_fit.size)), xt_fit[keep_idx]])
    try:
        fit = _newton(exog_t, y_fit)
    except np.linalg.LinAlgError as exc:  # singular Hessian
        problems.append(f"fit failed: {exc}")
        return result()
    if fit.perfect_steps or not fit.converged:
        problems.append(
            "perfect or quasi-complete separation or no convergence: estimates not finite; "
            + ("; ".join([PERFECT_PREDICTION] * fit.perfect_steps) if fit.perfect_steps
               else "Newton did not converge")
        )
        return result(loglik=fit.loglik, loglik0=_llnull(y_fit))
    if cluster:
        scores = ((y_fit - fit.prob) * exog_t).T  # rows x terms (a view, no copy)
        cov, g = cluster_sandwich(scores, fit.cov, cl_fit)
        cov_type = f"cluster (G/(G-1), G={g})"
        if g < 30:
            problems.append(
                f"only {g} clusters: cluster-robust standard errors may be too small"
            )
    else:
        cov, g, cov_type = fit.cov, None, "nonrobust"
    est_idx = [0] + [1 + j for j in keep_idx]
    coef[est_idx] = fit.params
    se[est_idx] = np.sqrt(np.clip(np.diag(cov), 0, None))
    return result(fit.loglik, _llnull(y_fit), cov, cov_type, g, True)


def _llnull(y: np.ndarray) -> float:
    """Intercept-only log likelihood in closed form (statsmodels refits it slowly)."""
    p = y.mean()
    n1 = y.sum()
    return float(n1 * np.log(p) + (y.size - n1) * np.log1p(-p))
