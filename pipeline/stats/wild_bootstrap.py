"""Wild cluster restricted (WCR) bootstrap for one coefficient of a PPML model.

Why: with ten regions as clusters the cluster sandwich over-rejects (tests/test_models.py
shows 9.9 % at a nominal 5 % for logistic models), and so does a bootstrap of the raw
score when one cluster dominates (measured 7.1 % on the circular's doses, where OVL
carries about a quarter of the score variance).

Test of H0: b = b0 (Kline & Santos 2012; Roodman et al. 2019 for the fast form). The
null is imposed: the restricted PPML fit mu0 (b fixed at b0 through the offset), score
residuals u = y - mu0, weights W = mu0, x~ = the coefficient's column partialled out of
the nuisance columns Z in the metric W. The bootstrap perturbs each cluster's residuals
by one weight, u*_g = v_g u_g, with Webb's six-point weights (Webb 2023: 6^10 distinct
draws for 10 clusters instead of 2^10), and refits the full model linearised at mu0 (one
Newton step, exact for a linear model). Everything is linear in v, so each draw is a few
G-vector products and B = 9999 costs milliseconds:

* numerator: b*(v) - b0 = sum_g v_g s_g / q, s_g = x~_g' u_g, q = x~' W x~;
* studentised ("t", default): divided by the square root of the cluster variance of the
  refit RECOMPUTED in every draw. ``variance="cv3"`` (default) is the cluster jackknife
  (G - 1)/G sum_g (b*_(g) - b*)^2 with b*_(g) the leave-one-region-out refit (CV3,
  MacKinnon, Nielsen & Webb 2023): it does not let the dominant region hide its own
  residual, which is what makes the sandwich too small. ``variance="cv1"`` is the
  sandwich of the refit's cluster scores (x~_g' M u*_g, M = I - W X (X'WX)^-1 X'); a
  CR1 factor G/(G - 1) (N - 1)/(N - K) would scale the statistic and every draw alike and
  leave the p-value unchanged, so it is not applied.
* ``statistic="score"``: the raw score (sum_g v_g s_g)^2, unstudentised (the previous
  method, kept to measure against).

The statistic of the data is the same function at v = (1, ..., 1), so the test compares
like with like (a linearised score-t test). p = share of draws with |t*| >= |t|
(symmetric, two-sided). Measured at a nominal 5 % on 2,000 simulated panels each with a
true elasticity 0 and the circular's doses (tests/test_reinforcement.py, slow; B = 999):
6.2 % (fixed effects only) and 5.95 % (with region trends) when region sizes are drawn at
random, 4.55 % and 3.8 % with fixed unequal sizes as in the generator; the raw score
rejected 7.1 % / 6.5 % of the first, the score-t with CV1 6.7 % / 5.95 % (one dominant
cluster makes a wild cluster bootstrap over-reject somewhat, MacKinnon & Webb 2017; the
jackknife variance reduces it). On 1,000 deliveries of the project's generator (region
trends): 3.5 %.
The confidence set is {b0: p(b0) > alpha}, found by bisection on each side of the
estimate with the SAME weight draws for every b0 (so the set is deterministic given the
seed and consistent with the p-value at 0). A bound is None when the test does not reject
within 50 model-based standard errors of the estimate (the data cannot bound it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.stats.count_model import _irls, independent_columns

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
STATISTICS = ("t", "score")
VARIANCES = ("cv3", "cv1")


def webb_weights(draws: int, clusters: int, seed: int) -> np.ndarray:
    """draws x clusters Webb six-point weights (mean 0, variance 1) from one seed."""
    rng = np.random.default_rng(seed)
    return WEBB[rng.integers(0, 6, size=(draws, clusters))]


@dataclass(frozen=True)
class Linearised:
    """The restricted model's pieces of the bootstrap statistic, all linear in v.

    s: cluster scores (G); q: x~' W x~; crve: G x G, the refit's cluster scores are
    crve @ v; jack: G x G, the leave-one-out refits minus the full refit are (jack @ v) / q
    (NaN rows where leaving a cluster out leaves no variation in x).
    """

    s: np.ndarray
    q: float
    crve: np.ndarray
    jack: np.ndarray

    def statistic(self, v: np.ndarray, statistic: str = "t", variance: str = "cv3"
                  ) -> np.ndarray:
        """The statistic for each row of v (B x G); v = ones gives the data's."""
        num = v @ self.s
        if statistic == "score":
            return num ** 2
        if variance == "cv1":
            var = np.sum((v @ self.crve.T) ** 2, axis=1)
        else:
            g = len(self.s)
            dev = v @ np.nan_to_num(self.jack, nan=0.0).T
            var = (g - 1) / g * np.sum(dev ** 2, axis=1)
            if np.isnan(self.jack).any():  # a leave-one-out refit without x: no CV3, p = 1
                var = np.full(len(num), np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(var > 0, np.abs(num) / np.sqrt(var), 0.0)


def linearise(x: np.ndarray, z: np.ndarray, weight: np.ndarray, u: np.ndarray,
              cluster: np.ndarray, groups: int, z_kept: list[np.ndarray] | None = None
              ) -> Linearised:
    """The WCR pieces of a (weighted) linear model with score residuals u = W e.

    PPML: weight = mu0, u = y - mu0. Ordinary least squares: weight = 1, u = the
    restricted residuals (then everything is exact: tests/reference/wcr_linear.R).
    z_kept[g]: the columns of z that stay independent when cluster g is left out.
    Everything comes from per-cluster sums: P_g = X_g' W_g X_g and A_g = X_g' u_g with
    X = [z, x], so the G leave-one-out fits are (k + 1)-square solves, not passes over the
    rows (the interval's bisection calls this some 50 times).
    """
    xfull = np.column_stack([z, x])
    k = z.shape[1]
    parts = np.stack([xfull[cluster == g].T @ (weight[cluster == g, None] * xfull[cluster == g])
                      for g in range(groups)])
    sums = np.stack([xfull[cluster == g].T @ u[cluster == g] for g in range(groups)], axis=1)
    total = parts.sum(axis=0)

    def tilde_sums(cross: np.ndarray, cols: np.ndarray
                   ) -> tuple[float, np.ndarray, np.ndarray]:
        """q and the per-cluster sums x~' u of the fit whose cross products are `cross`."""
        coef = np.linalg.solve(cross[np.ix_(cols, cols)], cross[cols, k])
        return float(cross[k, k] - cross[cols, k] @ coef), sums[k] - coef @ sums[cols], coef

    every = np.arange(k)
    q, s, coef = tilde_sums(total, every)
    # refit of the full model on the residuals of cluster h alone: (X'WX)^-1 A_h; the
    # refit's cluster-g score is s_g [g = h] - (sum over g of w x~ X) . that refit
    refits = np.linalg.solve(total, sums)
    reach = parts[:, k, :] - np.einsum("j,gjl->gl", coef, parts[:, :k, :])
    crve = np.diag(s) - reach @ refits
    jack = np.full((groups, groups), np.nan)
    for g in range(groups):
        cols = z_kept[g] if z_kept is not None else independent_columns(z[cluster != g])
        qg, dg, _ = tilde_sums(total - parts[g], cols)
        if qg <= 1e-12 * q:
            continue
        dg[g] = 0.0
        jack[g] = (dg / qg - s / q) * q  # scaled by q: the statistic divides by q on both sides
    return Linearised(s, q, crve, jack)


@dataclass(frozen=True)
class ScoreBootstrap:
    """The data of one test: y, the column of interest, the nuisance design, clusters."""

    y: np.ndarray
    x: np.ndarray  # the column whose coefficient is tested
    z: np.ndarray  # nuisance columns (fixed effects, trends), full column rank
    offset: np.ndarray
    cluster: np.ndarray  # integer codes 0..G-1
    weights: np.ndarray  # B x G
    z_kept: tuple[np.ndarray, ...]  # per cluster: z's independent columns without it
    statistic: str = "t"
    variance: str = "cv3"

    @classmethod
    def build(cls, y, x, z, cluster, *, offset=None, draws: int = 9999, seed: int = 1,
              statistic: str = "t", variance: str = "cv3", weights: np.ndarray | None = None
              ) -> ScoreBootstrap:
        """weights: an explicit v matrix (B x G) instead of Webb draws, e.g. all 2^G
        Rademacher sign vectors for an exact enumeration."""
        if statistic not in STATISTICS or variance not in VARIANCES:
            raise ValueError(f"statistic in {STATISTICS}, variance in {VARIANCES}")
        z = np.asarray(z, dtype=np.float64)
        z = z[:, independent_columns(z)]
        codes, cluster = np.unique(np.asarray(cluster), return_inverse=True)
        y = np.asarray(y, dtype=np.float64)
        offset = np.zeros(len(y)) if offset is None else np.asarray(offset, np.float64)
        z_kept = tuple(independent_columns(z[cluster != g]) for g in range(len(codes)))
        v = webb_weights(draws, len(codes), seed) if weights is None else np.asarray(weights)
        return cls(y, np.asarray(x, dtype=np.float64), z, offset, cluster, v, z_kept,
                   statistic, variance)

    def linearised(self, b0: float) -> Linearised:
        """The restricted fit at b = b0 and its linearised bootstrap pieces."""
        _, mu, _, converged = _irls(self.z, self.y, self.offset + b0 * self.x, 100, 1e-10)
        if not converged:
            raise ArithmeticError(f"restricted PPML fit at b0 = {b0} did not converge")
        return linearise(self.x, self.z, mu, self.y - mu, self.cluster,
                         self.weights.shape[1], list(self.z_kept))

    def cluster_scores(self, b0: float) -> np.ndarray:
        """Per-cluster efficient score of the coefficient at the restricted fit b = b0."""
        return self.linearised(b0).s

    def p_value(self, b0: float) -> float:
        lin = self.linearised(b0)
        if not np.any(lin.s):
            return 1.0
        ones = np.ones((1, len(lin.s)))
        t = lin.statistic(ones, self.statistic, self.variance)[0]
        t_star = lin.statistic(self.weights, self.statistic, self.variance)
        # relative tolerance: draws equal to T up to rounding count as at least as extreme
        return float(np.mean(t_star >= t * (1 - 1e-12)))

    def interval(self, estimate: float, se: float, level: float = 0.95,
                 max_se: float = 50.0, tol: float = 1e-4) -> tuple[float | None, float | None]:
        """The confidence set's bounds by inverting the test (None: not bounded, also when
        the restricted fit fails before the test rejects, as on very sparse panels)."""
        alpha = 1 - level
        step = se if np.isfinite(se) and se > 0 else 0.1

        def bound(direction: int) -> float | None:
            inside, k = estimate, 0.5
            while True:
                trial = estimate + direction * k * step
                try:
                    rejected = self.p_value(trial) <= alpha
                except ArithmeticError:  # no restricted fit this far out: not bounded here
                    return None
                if rejected:
                    break
                inside = trial
                k *= 2
                if k > max_se:
                    return None
            outside = trial
            while abs(outside - inside) > tol * step:
                middle = (inside + outside) / 2
                if self.p_value(middle) > alpha:
                    inside = middle
                else:
                    outside = middle
            return (inside + outside) / 2

        return bound(-1), bound(+1)
