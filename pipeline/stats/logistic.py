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
  (``cov_type = "nonrobust"``). With the clusters as fixed effects (the
  project's default: CAW terms in the model) this is the honest choice: the
  regional differences are in the mean, not left in the errors.
* ``cluster="caw"`` with at least 30 clusters (or ``small_sample=None``): the
  cluster-robust sandwich V = G/(G-1) * B (sum_g u_g u_g') B, with B the model-based
  covariance, u_g the sum of the score vectors (y - p) x within cluster g and G
  the number of clusters. This is the convention of Stata's ``logit ...,
  vce(cluster c)`` (and of every Stata ML estimator) and of R
  ``sandwich::vcovCL(fit, type = "HC0", cadjust = TRUE)``. statsmodels'
  ``cov_type="cluster"`` default multiplies by a further (N-1)/(N-K) (Stata's
  factor for ``regress`` only); we do not. ``cov_type`` reads
  ``"cluster (G/(G-1), G=..)"``; Wald z, two-sided normal p and exp(coef +- z se)
  odds-ratio intervals, as Stata.
* ``cluster="caw"`` with fewer than 30 clusters and ``small_sample="CR2"`` (the
  default): that sandwich is biased downwards and its normal reference
  over-rejects (10 clusters: about 10 % instead of 5 %, see the simulation in
  tests/stats/test_logistic_clusters.py), so we use the Bell-McCaffrey (2002)
  CR2 sandwich with t(G-1) tests and intervals; ``cov_type`` reads
  ``"cluster CR2 (G=..), t(G-1)"``. CR2 replaces u_g by the score of the
  cluster's residuals pre-multiplied by (I - H_gg)^-1/2, the inverse square root
  of one minus the cluster's block of the hat matrix of the final IRLS step,
  taken in the whitened metric: Z = W^1/2 X, Pearson residuals W^-1/2 (y - p),
  H_gg = Z_g M Z_g' (M = B). It makes the sandwich unbiased when the model's
  variance is right. A pseudo-inverse root (eigenvalues of I - H_gg below 1e-9
  set to 0) handles clusters that determine a coefficient alone, as with
  cluster fixed effects. Computed without any n_g x n_g matrix: with the
  push-through identity Z_g' f(Z_g M Z_g') = f(F_g M) Z_g', F_g = X_g' W_g X_g,
  the adjusted score is M^-1/2 f(M^1/2 F_g M^1/2) M^1/2 u_g, f(x) = (1 - x)^-1/2.
  Checked against the matrix formula in R and, for least squares (where the two
  agree), against ``clubSandwich::vcovCR(type = "CR2")``. clubSandwich 0.5.8's
  glm method takes the square root in another metric (the Cholesky factor of
  the working variance) -- equally unbiased, about 1 % apart on infert.
* Clusters that are also a covariate (fixed effects, e.g. ``caw`` in both):
  every score sums to zero within a cluster in the direction of its own term,
  so the sandwich has no information about the cluster terms or the
  intercept; their standard errors are reported as NaN (``problems`` says so)
  and only the other terms carry a cluster-robust error.

Predictions
-----------
:func:`standardised_shares` gives, for each level of a factor, the average
predicted probability with everyone set to that level and the other covariates
as observed (marginal standardisation; Stata ``margins factor``, R
``marginaleffects::avg_predictions(variables = ...)``), with a delta-method
interval on the probability scale (Stata's and emmeans' convention; truncated to
[0, 1]). :func:`fitted_probabilities` gives each row's fitted probability (the
expected counts of the regional comparison).

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
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .design import (
    Design,
    build_design,
    dense_codes,
    factor_tests,
    independent_columns,
    wald_table,
    weighted_cross,
)

INTERCEPT = "(Intercept)"
#: statsmodels' perfect-prediction warning, quoted once per Newton step that
#: triggers it (the wording of ``problems`` is kept as it was with statsmodels)
PERFECT_PREDICTION = "Perfect separation or prediction detected, parameter may not be identified"
#: below this many clusters a cluster-robust error needs a small-sample correction
MIN_CLUSTERS = 30
SMALL_SAMPLE = ("CR2",)
#: eigenvalues of I - H_gg at or below this count as 0 in CR2's pseudo-inverse root
CR2_TOL = 1e-9


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
    cov: np.ndarray  # over the estimated terms: rows cov_index of ``terms``
    converged: bool
    problems: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # input column of each term (INTERCEPT for the intercept)
    cov_index: tuple[int, ...] = ()
    df: int | None = None  # t degrees of freedom of the tests and intervals; None: normal
    # for predictions: the design, the rows of it the fit used (separated rows left
    # out), the fitted design transposed (cov terms x fitted rows), outcome of every
    # design row, fitted probabilities of the fitted rows
    design: Design | None = field(default=None, repr=False, compare=False)
    fit_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    exog_t: np.ndarray | None = field(default=None, repr=False, compare=False)
    outcome: np.ndarray | None = field(default=None, repr=False, compare=False)
    prob: np.ndarray | None = field(default=None, repr=False, compare=False)

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


def _sym_power(matrix: np.ndarray, power: float) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * values ** power) @ vectors.T


def cr2_sandwich(xt: np.ndarray, weight: np.ndarray, residual: np.ndarray, bread: np.ndarray,
                 clusters) -> tuple[np.ndarray, int]:
    """Bell-McCaffrey CR2: B (sum_g a_g a_g') B with a_g = (I - F_g B)^+1/2 u_g.

    Generic for a GLM with canonical link at its fit (least squares: ``weight``
    1): ``xt`` the design transposed (terms x rows), ``weight`` the working
    weights (logistic: p(1 - p)), ``residual`` y - fitted, ``bread`` the inverse
    of X'WX. u_g = X_g' residual_g and F_g = X_g' W_g X_g; the power is taken as
    M^-1/2 f(M^1/2 F_g M^1/2) M^1/2 (module docstring), eigenvalues of
    I - H_gg at or below CR2_TOL treated as 0 (pseudo-inverse root). No G/(G-1).
    """
    codes = dense_codes(clusters)
    g = int(codes.max()) + 1 if codes.size else 0
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=g))
    xs = np.ascontiguousarray(xt[:, order])
    ws, rs = np.asarray(weight, dtype=float)[order], np.asarray(residual, dtype=float)[order]
    half, minus_half = _sym_power(bread, 0.5), _sym_power(bread, -0.5)
    meat = np.zeros_like(bread)
    lo = 0
    for hi in ends:
        part = xs[:, lo:hi]
        u = part @ rs[lo:hi]
        lam, vec = np.linalg.eigh(half @ weighted_cross(part, ws[lo:hi]) @ half)
        rest = 1.0 - lam
        f = np.zeros_like(rest)
        f[rest > CR2_TOL] = rest[rest > CR2_TOL] ** -0.5
        a = minus_half @ (vec * f) @ vec.T @ half @ u
        meat += np.outer(a, a)
        lo = hi
    return bread @ meat @ bread, g


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
    small_sample: str | None = "CR2",
    conf_level: float = 0.95,
) -> LogisticResult:
    """Fit P(outcome = 1) on ``covariates`` (see the module docstring)."""
    if small_sample is not None and small_sample not in SMALL_SAMPLE:
        raise ValueError(f"small_sample must be None or one of {SMALL_SAMPLE}")
    required = [outcome] + ([cluster] if cluster else [])
    design = build_design(data, covariates, references, required=required)
    problems = list(design.problems)
    kept = data.filter(pl.Series(design.keep)) if design.n_dropped else data
    y = kept[outcome].cast(pl.Float64).to_numpy().astype(float)
    if np.any((y != 0) & (y != 1)):
        raise ValueError(f"{outcome} must be boolean or 0/1")
    clusters = dense_codes(kept[cluster]) if cluster else None
    terms = [INTERCEPT, *design.terms]
    sources = (INTERCEPT, *design.sources)
    coef = np.full(len(terms), np.nan)
    se = np.full(len(terms), np.nan)
    n, events = int(y.size), int(y.sum())
    nan = float("nan")
    base_cov_type = "cluster" if cluster else "nonrobust"

    def result(loglik=nan, loglik0=nan, cov=None, cov_type=base_cov_type, g=None, conv=False,
               df=None, index=(), **extra):
        return LogisticResult(
            terms=_table(terms, coef, se, conf_level, df),
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
            sources=sources,
            cov_index=tuple(index),
            df=df,
            design=design,
            outcome=y,
            **extra,
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
    est_idx = [0] + [1 + j for j in keep_idx]
    df = None
    if cluster:
        g = int(np.unique(cl_fit).size)
        if small_sample == "CR2" and g < MIN_CLUSTERS:
            cov, g = cr2_sandwich(exog_t, fit.prob * (1 - fit.prob), y_fit - fit.prob, fit.cov,
                                  cl_fit)
            df = g - 1
            cov_type = f"cluster CR2 (G={g}), t({df})"
        else:
            scores = ((y_fit - fit.prob) * exog_t).T  # rows x terms (a view, no copy)
            cov, g = cluster_sandwich(scores, fit.cov, cl_fit)
            cov_type = f"cluster (G/(G-1), G={g})"
            if g < MIN_CLUSTERS:
                problems.append(
                    f"only {g} clusters: cluster-robust standard errors may be too small"
                )
        if cluster in design.sources:
            problems.append(
                f"{cluster} is both the cluster and a covariate (fixed effects): the "
                f"cluster-robust errors of the {cluster} terms and the intercept carry no "
                "information (scores sum to zero within each cluster); reported as NaN"
            )
    else:
        cov, g, cov_type = fit.cov, None, "nonrobust"
    coef[est_idx] = fit.params
    se[est_idx] = np.sqrt(np.clip(np.diag(cov), 0, None))
    if cluster and cluster in design.sources:
        se[[i for i in est_idx if sources[i] in (cluster, INTERCEPT)]] = np.nan
    return result(fit.loglik, _llnull(y_fit), cov, cov_type, g, True, df, est_idx,
                  fit_rows=rows, exog_t=exog_t, prob=fit.prob)


def _table(terms, coef, se, conf_level: float, df: int | None) -> pl.DataFrame:
    """The Wald table; with ``df`` the p-values and intervals use t(df) (CR2)."""
    table = wald_table(terms, coef, se, conf_level, ("odds_ratio", "or_lower", "or_upper"))
    if df is None:
        return table
    from scipy import stats

    crit = stats.t.ppf(1 - (1 - conf_level) / 2, df)
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.asarray(coef, dtype=float) / np.asarray(se, dtype=float)
        return table.with_columns(
            pl.Series("or_lower", np.exp(np.asarray(coef) - crit * np.asarray(se))),
            pl.Series("or_upper", np.exp(np.asarray(coef) + crit * np.asarray(se))),
            pl.Series("p", 2 * stats.t.sf(np.abs(z), df)))


def logistic_factor_tests(fit: LogisticResult) -> pl.DataFrame:
    """Joint Wald test per multi-level factor of a fit (``design.factor_tests``).

    Over the terms with a finite standard error: a level dropped for separation
    or aliasing lowers the factor's df; a factor none of whose terms has an error
    (the cluster terms under a cluster-robust error) gets NaN with its df.
    """
    idx = [i for i in fit.cov_index if np.isfinite(fit.terms["se"][i])]
    pos = [fit.cov_index.index(i) for i in idx]
    tested = factor_tests([fit.sources[i] for i in idx], fit.terms["coef"].to_numpy()[idx],
                          fit.cov[np.ix_(pos, pos)] if pos else np.zeros((0, 0)))
    rows = {r["factor"]: r for r in tested.iter_rows(named=True)}
    out = []
    for factor in dict.fromkeys(fit.sources):
        k = sum(s == factor for s in fit.sources)
        if factor == INTERCEPT or k < 2:
            continue
        out.append(rows.get(factor, {"factor": factor, "chi2": float("nan"), "df": k,
                                     "p": float("nan")}))
    return pl.DataFrame(out, schema=tested.schema)


def standardised_shares(fit: LogisticResult, factor: str,
                        boolean_levels: tuple[str, str] = ("nee", "ja")) -> list[dict]:
    """Average predicted probability with everyone at each level of ``factor``.

    The population standardised over is the rows the fit used (complete cases,
    separated rows left out); the other covariates stay as observed. Gradient
    of the share: mean of p(1 - p) x with the factor's columns set to the level;
    variance g' V g with the fit's covariance (model-based or CR2, t(G-1) then).
    Levels of a categorical in the design's order (reference first); a 0/1 term
    as ``boolean_levels``; a numeric covariate has no levels (empty list). A level
    whose term was not estimated gets None; so do the errors when some estimated
    term has none (cluster terms under a cluster-robust error: the share depends
    on them).
    """
    from scipy import stats

    d = fit.design
    if d is None or not fit.converged or factor not in d.sources:
        return []
    first = d.sources.index(factor)
    if factor in d.levels:
        labels = list(d.levels[factor])
        level_terms = [None] + [f"{factor}[{lv}]" for lv in labels[1:]]
    elif d.indicator[first]:
        labels, level_terms = list(boolean_levels), [None, factor]
    else:
        return []
    cov_terms = [fit.terms["term"][i] for i in fit.cov_index]
    beta = fit.terms["coef"].to_numpy()[list(fit.cov_index)]
    mine = [j for j, i in enumerate(fit.cov_index) if fit.sources[i] == factor]
    # the levels that can be predicted: the reference and each estimated level term
    at = [None if term is None else cov_terms.index(term)
          for term in level_terms if term is None or term in cov_terms]
    shift = np.array([0.0 if j is None else beta[j] for j in at])
    k, n = fit.exog_t.shape
    total, weight, grads = np.zeros(len(at)), np.zeros(len(at)), np.zeros((k, len(at)))
    # row blocks small enough that OpenBLAS keeps each product on one thread (see
    # design.weighted_cross): one pass over the design for all levels of the factor
    block = max(256, 200_000 // max(k * len(at), 1))
    for lo in range(0, n, block):
        xb = fit.exog_t[:, lo:lo + block]
        eta = beta @ xb
        if mine:
            eta -= beta[mine] @ xb[mine]
        p = _cdf(eta[None, :] + shift[:, None])  # levels x rows
        w = p * (1 - p)
        total += p.sum(axis=1)
        weight += w.sum(axis=1)
        grads += xb @ w.T
    crit = (stats.t.ppf(1 - (1 - fit.conf_level) / 2, fit.df) if fit.df
            else stats.norm.ppf(1 - (1 - fit.conf_level) / 2))
    se_all = fit.terms["se"].to_numpy()[list(fit.cov_index)]
    no_errors = not np.all(np.isfinite(se_all))
    rows = []
    done = 0
    for label, term in zip(labels, level_terms, strict=True):
        if term is not None and term not in cov_terms:
            rows.append({"level": label, "share": None, "se": None, "lower": None,
                         "upper": None})
            continue
        j, col = at[done], done
        done += 1
        share = float(total[col] / n)
        if no_errors:
            rows.append({"level": label, "share": share, "se": None, "lower": None,
                         "upper": None})
            continue
        grad = grads[:, col] / n  # mean of p(1 - p) x with the factor set to the level
        grad[mine] = 0.0
        if j is not None:
            grad[j] = weight[col] / n
        se = float(np.sqrt(max(grad @ fit.cov @ grad, 0.0)))
        rows.append({"level": label, "share": share, "se": se,
                     "lower": max(0.0, share - crit * se), "upper": min(1.0, share + crit * se)})
    return rows


def fitted_probabilities(fit: LogisticResult) -> np.ndarray:
    """Fitted P(outcome = 1) for every complete-case row (``fit.design.keep``).

    Rows left out for separation get their observed outcome, the limit of their
    fitted value as the separated coefficient goes to infinity. NaN when there
    is no model.
    """
    if fit.design is None:
        return np.zeros(0)
    out = np.full(fit.outcome.size, np.nan)
    if fit.prob is None:
        return out
    out[fit.fit_rows] = fit.prob
    out[~fit.fit_rows] = fit.outcome[~fit.fit_rows]
    return out


def _llnull(y: np.ndarray) -> float:
    """Intercept-only log likelihood in closed form (statsmodels refits it slowly)."""
    p = y.mean()
    n1 = y.sum()
    return float(n1 * np.log(p) + (y.size - n1) * np.log1p(-p))
