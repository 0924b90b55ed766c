"""Logistic regression and the cluster sandwich against Stata (stats_logistic.py)."""

import numpy as np
import pandas as pd
import polars as pl
import pytest
from stats_testlib import load_reference, statsmodels_test_file

from pipeline.stats import INTERCEPT, cluster_sandwich, logistic

REF = load_reference("stats_logistic")
X = ["GPA", "TUCE", "PSI"]


def _by_term(res):
    return {r["term"]: r for r in res.terms.iter_rows(named=True)}


def test_spector_vs_stata_logit(spector):
    res = logistic(spector, "GRADE", X)
    rows = _by_term(res)
    assert res.cov_type == "nonrobust" and not res.problems and res.n == 32
    for term, (coef, se, z) in REF.SPECTOR_LOGIT.items():
        assert rows[term]["coef"] == pytest.approx(coef, rel=REF.RTOL)
        assert rows[term]["se"] == pytest.approx(se, rel=REF.RTOL)
        assert rows[term]["z"] == pytest.approx(z, rel=REF.RTOL)
        # exp() turns rtol on coef into |coef| * rtol on the odds ratio
        assert rows[term]["odds_ratio"] == pytest.approx(np.exp(coef), rel=20 * REF.RTOL)
    assert res.loglik == pytest.approx(REF.SPECTOR_LLF, rel=1e-9)
    assert res.loglik == pytest.approx(REF.SPECTOR_LLF_LOGIT, rel=1e-7)
    assert res.loglik_null == pytest.approx(REF.SPECTOR_LLNULL, rel=1e-10)


def test_spector_robust_vs_stata_each_row_its_own_cluster(spector):
    res = logistic(spector.with_row_index("row"), "GRADE", X, cluster="row")
    rows = _by_term(res)
    assert res.n_clusters == 32 and res.cov_type.startswith("cluster")
    for term, se in REF.SPECTOR_ROBUST_SE.items():
        assert rows[term]["se"] == pytest.approx(se, rel=REF.RTOL)


def test_cluster_sandwich_vs_stata_poisson_vce_cluster():
    """The generic sandwich on a Stata ML model with 5 real clusters."""
    import statsmodels.api as sm

    ships = pd.read_csv(statsmodels_test_file("discrete", "tests", "results", "ships.csv"))
    ships = ships.dropna()
    exog = np.column_stack([ships["yr_con"], ships["op_75_79"], np.ones(len(ships))])
    y = ships["accident"].to_numpy()
    fit = sm.Poisson(y, exog).fit(disp=0)
    np.testing.assert_allclose(fit.params, REF.SHIPS_PARAMS, rtol=REF.RTOL)
    mu = fit.predict(exog)
    bread = np.linalg.inv(exog.T @ (exog * mu[:, None]))
    cov, g = cluster_sandwich((y - mu)[:, None] * exog, bread, ships["ship"].to_numpy())
    assert g == 5
    np.testing.assert_allclose(cov, REF.SHIPS_COV, rtol=REF.RTOL)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), REF.SHIPS_SE, rtol=REF.RTOL)


def test_cluster_sandwich_by_hand(spector):
    """Hand computation: B (sum_g u_g u_g') B * G/(G-1), written out in plain loops."""
    df = spector.with_columns((pl.int_range(pl.len()) % 5).alias("caw"))
    res = logistic(df, "GRADE", X, cluster="caw", small_sample=None)  # Stata's rule at any G
    x = np.column_stack([np.ones(32), df.select(X).to_numpy()])
    y = df["GRADE"].to_numpy()
    beta = res.terms["coef"].to_numpy()
    p = 1 / (1 + np.exp(-x @ beta))
    info = sum(p[i] * (1 - p[i]) * np.outer(x[i], x[i]) for i in range(32))
    bread = np.linalg.inv(info)
    meat = np.zeros((4, 4))
    for g in range(5):
        u = sum((y[i] - p[i]) * x[i] for i in range(32) if i % 5 == g)
        meat += np.outer(u, u)
    expected = 5 / 4 * bread @ meat @ bread
    np.testing.assert_allclose(res.cov, expected, rtol=1e-8)
    assert res.n_clusters == 5 and res.cov_type == "cluster (G/(G-1), G=5)"
    assert any("only 5 clusters" in p for p in res.problems)


def test_statsmodels_default_differs_by_n_minus_1_over_n_minus_k_secondary(spector):
    """statsmodels' cluster default adds (N-1)/(N-K); ours (Stata's ML rule) does not."""
    import statsmodels.api as sm

    df = spector.with_columns((pl.int_range(pl.len()) % 5).alias("caw"))
    res = logistic(df, "GRADE", X, cluster="caw", small_sample=None)
    exog = sm.add_constant(df.select(X).to_pandas(), prepend=True)
    sm_fit = sm.GLM(df["GRADE"].to_numpy(), exog, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": df["caw"].to_numpy()})
    factor = (32 - 1) / (32 - 4)
    np.testing.assert_allclose(np.asarray(sm_fit.cov_params()), res.cov * factor, rtol=1e-6)


def test_categorical_and_boolean_terms(spector):
    df = spector.with_columns(
        pl.when(pl.col("TUCE") < 20).then(pl.lit("low"))
        .when(pl.col("TUCE") < 25).then(pl.lit("mid")).otherwise(pl.lit("high"))
        .alias("tuce_band"),
        (pl.col("PSI") == 1).alias("psi"),
    )
    res = logistic(df, "GRADE", ["GPA", "tuce_band", "psi"], references={"tuce_band": "low"})
    assert res.terms["term"].to_list() == [INTERCEPT, "GPA", "tuce_band[high]",
                                           "tuce_band[mid]", "psi"]
    assert res.rate == pytest.approx(11 / 32)
