"""CR2 small-sample errors, standardised shares and factor tests of the logistic model.

References: tests/reference/stats_cr2_margins.py, written by stats_cr2_margins.R
(R glm at epsilon 1e-14, CR2 by its matrix formula, clubSandwich 0.5.8, emmeans
1.8.4) on R's infert data with 8 clusters of whole matched sets. Tolerance: rtol
1e-6 (both fits converge to about 1e-9; emmeans' and the numerical gradient's
errors are below 1e-9), 1e-8 where no fit is involved (least squares).
"""

import numpy as np
import polars as pl
import pytest
from scipy import stats
from stats_testlib import REFERENCE_DIR, load_reference

from pipeline.stats.logistic import (
    cr2_sandwich,
    fitted_probabilities,
    logistic,
    logistic_factor_tests,
    standardised_shares,
)

REF = load_reference("stats_cr2_margins")
COVARIATES = ["education", "age", "parity", "induced", "spontaneous"]
# R's coefficient order; ours sorts the education levels as strings
R_TERMS = ["(Intercept)", "education[6-11yrs]", "education[12+ yrs]", "age", "parity",
           "induced", "spontaneous"]
R_LEVELS = ["0-5yrs", "6-11yrs", "12+ yrs"]
RTOL = 1e-6


@pytest.fixture(scope="module")
def infert() -> pl.DataFrame:
    return pl.read_csv(REFERENCE_DIR / "infert.csv").with_columns(
        (pl.col("stratum") % 8).cast(pl.String).alias("cl"))


def _in_r_order(fit, column):
    rows = {r["term"]: r[column] for r in fit.terms.iter_rows(named=True)}
    return np.array([rows[t] for t in R_TERMS])


def _cov_in_r_order(fit):
    names = [fit.terms["term"][i] for i in fit.cov_index]
    order = [names.index(t) for t in R_TERMS]
    return fit.cov[np.ix_(order, order)]


def test_model_based_fit_matches_r_glm(infert):
    fit = logistic(infert, "case", COVARIATES)
    np.testing.assert_allclose(_in_r_order(fit, "coef"), REF.LOGIT_COEF, rtol=RTOL)
    np.testing.assert_allclose(_in_r_order(fit, "se"), REF.LOGIT_SE, rtol=RTOL)
    assert fit.cov_type == "nonrobust" and fit.df is None


def test_cr2_matches_the_matrix_formula_with_t_of_g_minus_1(infert):
    fit = logistic(infert, "case", COVARIATES, cluster="cl")
    assert fit.cov_type == "cluster CR2 (G=8), t(7)" and fit.df == 7 and fit.n_clusters == 8
    np.testing.assert_allclose(_cov_in_r_order(fit), REF.LOGIT_CR2_COV, rtol=RTOL, atol=1e-12)
    row = fit.terms.row(by_predicate=pl.col("term") == "parity", named=True)
    t = row["coef"] / row["se"]
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(t), 7), rel=1e-12)
    assert row["p"] > 2 * stats.norm.sf(abs(t))  # t(7) is wider than the normal
    crit = stats.t.ppf(0.975, 7)
    assert row["or_upper"] == pytest.approx(np.exp(row["coef"] + crit * row["se"]), rel=1e-12)
    assert not any("clusters" in p for p in fit.problems)  # corrected: no warning needed


def test_cr2_differs_from_clubsandwich_glm_only_by_the_metric_secondary(infert):
    """clubSandwich's glm CR2 roots I - H in the working variance's Cholesky metric."""
    fit = logistic(infert, "case", COVARIATES, cluster="cl")
    ours = np.sqrt(np.diag(_cov_in_r_order(fit)))
    np.testing.assert_allclose(ours, REF.CLUBSANDWICH_GLM_CR2_SE, rtol=0.02)
    assert not np.allclose(ours, REF.CLUBSANDWICH_GLM_CR2_SE, rtol=1e-4)


def _ols(infert, fe=False):
    cols = ["(Intercept)"]
    edu = infert["education"].to_numpy()
    x = [np.ones(infert.height), edu == "6-11yrs", edu == "12+ yrs"]
    x += [infert[c].to_numpy() for c in COVARIATES[1:]]
    if fe:
        x += [infert["cl"].to_numpy() == str(g) for g in range(1, 8)]
    x = np.column_stack(x).astype(float)
    y = infert["case"].to_numpy().astype(float)
    bread = np.linalg.inv(x.T @ x)
    resid = y - x @ (bread @ x.T @ y)
    return cols, x, resid, bread


def test_cr2_with_unit_weights_is_clubsandwich_lm(infert):
    """Least squares: our CR2 and clubSandwich's coincide (weights 1), incl. pseudo-inverse."""
    _, x, resid, bread = _ols(infert)
    cov, g = cr2_sandwich(np.ascontiguousarray(x.T), np.ones(len(resid)), resid, bread,
                          infert["cl"].to_numpy())
    assert g == 8
    np.testing.assert_allclose(cov, REF.OLS_CLUBSANDWICH_CR2_COV, rtol=1e-8, atol=1e-14)
    # cluster fixed effects: I - H_gg is singular; both take the pseudo-inverse root
    _, x, resid, bread = _ols(infert, fe=True)
    cov, _ = cr2_sandwich(np.ascontiguousarray(x.T), np.ones(len(resid)), resid, bread,
                          infert["cl"].to_numpy())
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), REF.OLS_FE_CLUBSANDWICH_CR2_SE, rtol=1e-6)


def test_cluster_fixed_effects_with_cr2(infert):
    fit = logistic(infert, "case", [*COVARIATES, "cl"], cluster="cl")
    r_terms = R_TERMS + [f"cl[{g}]" for g in range(1, 8)]
    rows = {r["term"]: r for r in fit.terms.iter_rows(named=True)}
    np.testing.assert_allclose([rows[t]["coef"] for t in r_terms], REF.FE_COEF, rtol=RTOL)
    np.testing.assert_allclose([rows[t]["se"] for t in R_TERMS[1:]], REF.FE_CR2_SE[1:7],
                               rtol=RTOL)
    # degenerate for the cluster terms and the intercept: reported as NaN, said so
    assert all(np.isnan(rows[t]["se"]) for t in ["(Intercept)", *r_terms[7:]])
    assert any("both the cluster and a covariate" in p for p in fit.problems)
    tests = {r["factor"]: r for r in logistic_factor_tests(fit).iter_rows(named=True)}
    assert tests["cl"]["df"] == 7 and np.isnan(tests["cl"]["chi2"])
    assert tests["education"]["df"] == 2 and tests["education"]["chi2"] > 0
    model = logistic(infert, "case", [*COVARIATES, "cl"])  # model-based: all terms have errors
    np.testing.assert_allclose([r["se"] for r in model.terms.iter_rows(named=True)
                                if r["term"] in r_terms],
                               np.array(REF.FE_SE)[[r_terms.index(t) for t in
                                                    model.terms["term"]]], rtol=RTOL)


def test_standardised_shares_match_r_and_emmeans(infert):
    fit = logistic(infert, "case", COVARIATES)
    shares = {r["level"]: r for r in standardised_shares(fit, "education")}
    assert list(shares) == ["0-5yrs", "12+ yrs", "6-11yrs"]  # reference first, then sorted
    got = [shares[lv]["share"] for lv in R_LEVELS]
    se = [shares[lv]["se"] for lv in R_LEVELS]
    np.testing.assert_allclose(got, REF.SHARES_MODEL, rtol=RTOL)
    np.testing.assert_allclose(got, REF.EMMEANS_PROB, rtol=RTOL)
    np.testing.assert_allclose(se, REF.SHARES_SE_MODEL, rtol=RTOL)
    np.testing.assert_allclose(se, REF.EMMEANS_SE, rtol=RTOL)
    low = shares["0-5yrs"]
    assert low["lower"] == pytest.approx(low["share"] - stats.norm.ppf(0.975) * low["se"])
    cr2 = logistic(infert, "case", COVARIATES, cluster="cl")
    rows = {r["level"]: r for r in standardised_shares(cr2, "education")}
    np.testing.assert_allclose([rows[lv]["se"] for lv in R_LEVELS], REF.SHARES_SE_CR2, rtol=RTOL)
    r = rows["6-11yrs"]
    assert r["upper"] == pytest.approx(r["share"] + stats.t.ppf(0.975, 7) * r["se"])
    assert standardised_shares(fit, "age") == []  # numeric: no levels


def test_factor_test_is_the_wald_statistic_of_the_fit(infert):
    fit = logistic(infert, "case", COVARIATES)
    table = logistic_factor_tests(fit)
    assert table["factor"].to_list() == ["education"]  # single-term covariates: their z-test
    names = [fit.terms["term"][i] for i in fit.cov_index]
    idx = [names.index("education[12+ yrs]"), names.index("education[6-11yrs]")]
    b = fit.terms["coef"].to_numpy()[[1, 2]]
    chi2 = b @ np.linalg.solve(fit.cov[np.ix_(idx, idx)], b)
    assert table["chi2"][0] == pytest.approx(chi2, rel=1e-12) and table["df"][0] == 2
    assert table["p"][0] == pytest.approx(stats.chi2.sf(chi2, 2), rel=1e-12)


def _simulate(rng, n, beta=(-0.5, 0.0, 0.8, -0.6), gamma=0.7):
    level = rng.integers(0, 3, n)
    flag = rng.random(n) < 0.4
    x = rng.normal(size=n)
    eta = beta[0] + np.array([0.0, beta[2], beta[3]])[level] + beta[1] * flag + gamma * x
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    frame = pl.DataFrame({"y": y.astype(np.int8), "level": np.array(["a", "b", "c"])[level],
                          "flag": flag, "x": x})
    return frame, x


def test_standardised_shares_recover_the_truth():
    """Large sample: shares within 3 se of the population truth (Gauss-Hermite integral)."""
    rng = np.random.default_rng(20261207)
    frame, _ = _simulate(rng, 200_000)
    fit = logistic(frame, "y", ["level", "flag", "x"])
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    for row, shift in zip(standardised_shares(fit, "level"), [0.0, 0.8, -0.6], strict=True):
        truth = sum(pf * np.sum(weights / (1 + np.exp(-(-0.5 + shift + 0.7 * nodes))))
                    for pf in (0.6, 0.4))  # flag has no effect; its share does not matter
        assert abs(row["share"] - truth) < 3 * row["se"] + 0.002, (row, truth)
        assert row["se"] < 0.003
    flags = standardised_shares(fit, "flag")
    assert [r["level"] for r in flags] == ["nee", "ja"]
    assert flags[0]["share"] == pytest.approx(flags[1]["share"], abs=0.01)


def test_standardised_share_intervals_cover():
    """200 samples of 600: the 95 % delta interval covers the sample's true share.

    The delta interval treats the covariates as fixed, so its target is the
    share averaged over the sample's own covariates under the true model.
    Tolerance: 3 binomial standard errors of a 95 % rate over 200 samples (0.046).
    """
    rng = np.random.default_rng(7)
    hits = total = 0
    for _ in range(200):
        frame, x = _simulate(rng, 600)
        fit = logistic(frame, "y", ["level", "flag", "x"])
        for row, shift in zip(standardised_shares(fit, "level"), [0.0, 0.8, -0.6], strict=True):
            truth = np.mean(1 / (1 + np.exp(-(-0.5 + shift + 0.7 * x))))
            hits += row["lower"] <= truth <= row["upper"]
            total += 1
    assert abs(hits / total - 0.95) < 3 * np.sqrt(0.95 * 0.05 / 200), hits / total


def test_separated_level_and_fitted_probabilities():
    rng = np.random.default_rng(3)
    frame, _ = _simulate(rng, 300)
    frame = frame.with_columns(pl.when(pl.col("level") == "c").then(1).otherwise(pl.col("y"))
                               .cast(pl.Int8).alias("y"))  # level c: every outcome 1
    fit = logistic(frame, "y", ["level", "flag", "x"])
    assert fit.converged and any("level[c]" in p for p in fit.problems)
    shares = {r["level"]: r for r in standardised_shares(fit, "level")}
    assert shares["c"]["share"] is None  # separated: its share is not estimable
    assert 0 < shares["a"]["share"] < 1 and shares["b"]["se"] > 0
    p = fitted_probabilities(fit)
    c = (frame["level"] == "c").to_numpy()
    assert p.shape == (300,) and np.all(p[c] == 1.0)  # the limit of the separated rows
    # the score equation of the intercept: fitted rows' probabilities sum to their outcomes
    assert p[~c].sum() == pytest.approx(frame["y"].to_numpy()[~c].sum(), rel=1e-8)
