"""Logistic regression (eviction avoided yes/no) with cluster-robust errors.

Fit: maximum likelihood with statsmodels ``Logit`` (Newton), intercept
included and reported as the term ``(Intercept)``; the other terms follow
:mod:`pipeline.stats.design`.

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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from .design import build_design, independent_columns

INTERCEPT = "(Intercept)"


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
    values = np.asarray(clusters)
    if values.dtype.kind in "OUS":  # strings: integer codes via polars (fast)
        codes = pl.Series(values.astype(str)).rank("dense").to_numpy().astype(np.int64) - 1
    else:
        codes = np.unique(values, return_inverse=True)[1]
    g = int(codes.max()) + 1 if codes.size else 0
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0]) if codes.size else []
    u = np.add.reduceat(scores[order], starts, axis=0) if codes.size else np.zeros((0, 0))
    meat = u.T @ u
    factor = g / (g - 1) if g > 1 else float("nan")
    return factor * bread @ meat @ bread, g


def _frame(terms, coef, se, conf_level) -> pl.DataFrame:
    zc = stats.norm.ppf(1 - (1 - conf_level) / 2)
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = coef / se
        data = {
            "term": list(terms),
            "coef": coef,
            "se": se,
            "odds_ratio": np.exp(coef),
            "or_lower": np.exp(coef - zc * se),
            "or_upper": np.exp(coef + zc * se),
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
        }
    schema = {"term": pl.String} | {k: pl.Float64 for k in data if k != "term"}
    return pl.DataFrame(data, schema=schema)


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
    import statsmodels.api as sm  # heavy import, only here

    required = [outcome] + ([cluster] if cluster else [])
    design = build_design(data, covariates, references, required=required)
    problems = list(design.problems)
    kept = data.filter(pl.Series(design.keep)) if design.n_dropped else data
    y = kept[outcome].cast(pl.Float64).to_numpy().astype(float)
    if np.any((y != 0) & (y != 1)):
        raise ValueError(f"{outcome} must be boolean or 0/1")
    clusters = kept[cluster].to_numpy() if cluster else None
    terms = [INTERCEPT, *design.terms]
    coef = np.full(len(terms), np.nan)
    se = np.full(len(terms), np.nan)
    n, events = int(y.size), int(y.sum())
    nan = float("nan")
    base_cov_type = "cluster" if cluster else "nonrobust"

    def result(loglik=nan, loglik0=nan, cov=None, cov_type=base_cov_type, g=None, conv=False):
        return LogisticResult(
            terms=_frame(terms, coef, se, conf_level),
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

    x_all = design.matrix
    rows = np.ones(n, dtype=bool)
    active = []
    for j, term in enumerate(design.terms):
        if design.indicator[j]:
            ones = x_all[:, j] == 1
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
    y_fit, x_fit = y[rows], x_all[rows]
    cl_fit = clusters[rows] if clusters is not None else None
    if y_fit.size == 0 or y_fit.min() == y_fit.max():
        problems.append("no variation in the outcome left after separated levels: no model")
        return result()
    varying = [j for j in active if np.ptp(x_fit[:, j]) > 0]
    for j in active:
        if j not in varying:
            problems.append(f"{design.terms[j]}: no variation left in the fitted rows; dropped")
    keep_idx = [varying[k] for k in independent_columns(x_fit[:, varying], intercept=True)]
    for j in varying:
        if j not in keep_idx:
            problems.append(f"{design.terms[j]}: aliased with other terms (collinear); dropped")

    exog = np.column_stack([np.ones(y_fit.size), x_fit[:, keep_idx]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(y_fit, exog).fit(method="newton", maxiter=100, disp=False)
        except Exception as exc:  # perfect separation in older statsmodels, singular H
            problems.append(f"fit failed: {exc}")
            return result()
    messages = [str(w.message) for w in caught]
    converged = bool(fit.mle_retvals.get("converged", False))
    separation = [m for m in messages if "separation" in m.lower()]
    if separation or not converged:
        problems.append(
            "perfect or quasi-complete separation or no convergence: estimates not finite; "
            + ("; ".join(separation) if separation else "Newton did not converge")
        )
        return result(loglik=float(fit.llf), loglik0=_llnull(y_fit))
    bread = np.asarray(fit.cov_params())
    if cluster:
        p_hat = fit.predict(exog)
        scores = (y_fit - p_hat)[:, None] * exog
        cov, g = cluster_sandwich(scores, bread, cl_fit)
        cov_type = f"cluster (G/(G-1), G={g})"
        if g < 30:
            problems.append(
                f"only {g} clusters: cluster-robust standard errors may be too small"
            )
    else:
        cov, g, cov_type = bread, None, "nonrobust"
    est_idx = [0] + [1 + j for j in keep_idx]
    coef[est_idx] = fit.params
    se[est_idx] = np.sqrt(np.clip(np.diag(cov), 0, None))
    return result(float(fit.llf), _llnull(y_fit), cov, cov_type, g, True)


def _llnull(y: np.ndarray) -> float:
    """Intercept-only log likelihood in closed form (statsmodels refits it slowly)."""
    p = y.mean()
    n1 = y.sum()
    return float(n1 * np.log(p) + (y.size - n1) * np.log1p(-p))
