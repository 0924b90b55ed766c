"""The vectorised estimators against plain, loop-by-loop implementations.

Why: Cox, the concordance and the logistic fit are written as whole-array
numpy for speed at a million rows (group sums, rank sums, a wavelet matrix,
our own Newton steps). These tests recompute the same quantities the slow,
obvious way on small data with heavy ties, strata and sparse cells, so that
an error in the algebra cannot hide behind the tolerance of a published
reference value.
"""

import warnings

import numpy as np
import polars as pl
import pytest

from pipeline.stats import concordance_index, cox_ph, logistic
from pipeline.stats.design import dense_codes, distinct


def _frame(n: int, seed: int, n_times: int = 25) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.random(n) < 0.4
    group = rng.choice(["a", "b", "c"], n)
    lp = 0.5 * x1 - 0.4 * x2 + 0.3 * (group == "b")
    time = np.ceil(rng.exponential(8 * np.exp(-lp))).clip(1, n_times)  # many ties
    return pl.DataFrame({
        "time": time, "event": rng.random(n) < 0.7, "x1": x1, "x2": x2, "group": group,
        "stratum": rng.choice(["s1", "s2", "s3"], n),
    })


def _loop_cox(frame, covariates, ties, strata, beta):
    """Log partial likelihood, score and information at ``beta``, one event time at a time."""
    x = frame.select(covariates).to_numpy().astype(float)
    t, e = frame["time"].to_numpy(), frame["event"].to_numpy()
    s = frame[strata].to_numpy() if strata else np.zeros(t.size)
    loglik, score, info = 0.0, np.zeros(x.shape[1]), np.zeros((x.shape[1],) * 2)
    for stratum in np.unique(s):
        for time in np.unique(t[(s == stratum) & e]):
            risk = (s == stratum) & (t >= time)
            dead = risk & (t == time) & e
            w = np.exp(x @ beta)
            r0, r1 = w[risk].sum(), w[risk] @ x[risk]
            r2 = (x[risk] * w[risk, None]).T @ x[risk]
            d0, d1 = w[dead].sum(), w[dead] @ x[dead]
            d2 = (x[dead] * w[dead, None]).T @ x[dead]
            d = int(dead.sum())
            loglik += (x[dead] @ beta).sum()
            score += x[dead].sum(axis=0)
            for k in range(d):
                f = k / d if ties == "efron" else 0.0
                den = r0 - f * d0
                mean = (r1 - f * d1) / den
                loglik -= np.log(den)
                score -= mean
                info += (r2 - f * d2) / den - np.outer(mean, mean)
    return loglik, score, info


def _loop_fit(frame, covariates, ties, strata):
    beta = np.zeros(len(covariates))
    for _ in range(50):
        _, score, info = _loop_cox(frame, covariates, ties, strata, beta)
        step = np.linalg.solve(info, score)
        beta = beta + step
        if np.abs(step).max() < 1e-12:
            break
    loglik, _, info = _loop_cox(frame, covariates, ties, strata, beta)
    return beta, np.sqrt(np.diag(np.linalg.inv(info))), loglik


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("strata", [None, "stratum"])
def test_cox_matches_an_event_time_loop(ties, strata):
    frame = _frame(300, seed=11)
    covariates = ["x1", "x2"]
    res = cox_ph(frame, "time", "event", covariates, ties=ties, strata=strata)
    beta, se, loglik = _loop_fit(frame.with_columns(pl.col("x2").cast(pl.Float64)),
                                 covariates, ties, strata)
    np.testing.assert_allclose(res.terms["coef"].to_numpy(), beta, rtol=1e-8)
    np.testing.assert_allclose(res.terms["se"].to_numpy(), se, rtol=1e-8)
    assert res.loglik == pytest.approx(loglik, rel=1e-11)
    assert res.loglik_null == pytest.approx(
        _loop_cox(frame.with_columns(pl.col("x2").cast(pl.Float64)), covariates, ties, strata,
                  np.zeros(2))[0], rel=1e-11)


def test_cox_ph_test_matches_a_loop_over_event_times():
    """cox.zph's score test (identity transform), blocks of the information by loop."""
    frame = _frame(250, seed=12).with_columns(pl.col("x2").cast(pl.Float64))
    covariates = ["x1", "x2"]
    res = cox_ph(frame, "time", "event", covariates, ph_transform="identity")
    beta = res.terms["coef"].to_numpy()
    x = frame.select(covariates).to_numpy()
    t, e = frame["time"].to_numpy(), frame["event"].to_numpy()
    p = len(covariates)
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    for time in np.unique(t[e]):
        risk, dead = t >= time, (t == time) & e
        w = np.exp(x @ beta)
        r0, r1 = w[risk].sum(), w[risk] @ x[risk]
        r2 = (x[risk] * w[risk, None]).T @ x[risk]
        d0, d1 = w[dead].sum(), w[dead] @ x[dead]
        d2 = (x[dead] * w[dead, None]).T @ x[dead]
        g = time - t[e].mean()
        d = int(dead.sum())
        u[p:] += x[dead].sum(axis=0) * g
        for k in range(d):
            f = k / d
            mean = (r1 - f * d1) / (r0 - f * d0)
            v = (r2 - f * d2) / (r0 - f * d0) - np.outer(mean, mean)
            u[p:] -= g * mean
            imat += np.block([[v, g * v], [g * v, g * g * v]])
    want = u @ np.linalg.solve(imat, u)
    assert res.ph_test.global_chisq == pytest.approx(want, rel=1e-8)


def _brute_concordance(t, e, r, s):
    conc = disc = tied = 0.0
    for i in np.flatnonzero(e):
        comp = (s == s[i]) & ((t > t[i]) | ((t == t[i]) & ~e))
        conc += np.sum(r[comp] < r[i])
        disc += np.sum(r[comp] > r[i])
        tied += np.sum(r[comp] == r[i])
    return (conc + tied / 2) / (conc + disc + tied)


@pytest.mark.parametrize("seed", range(6))
def test_concordance_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 600))
    t = rng.integers(1, [3, 40, 1000][seed % 3], n).astype(float)
    e = rng.random(n) < 0.6
    e[0] = True
    r = rng.integers(0, 6, n).astype(float) if seed % 2 else rng.normal(size=n)
    s = rng.integers(0, 1 + seed, n)
    labels = np.array([f"stratum {v}" for v in s], dtype=object)
    assert concordance_index(t, e, r, labels) == pytest.approx(
        _brute_concordance(t, e, r, s), rel=1e-13)


def test_cox_term_constant_within_strata_is_dropped_like_r():
    """A covariate that is also a stratum has no information: dropped (R: NA)."""
    frame = _frame(400, seed=13).with_columns((pl.col("stratum") == "s1").alias("in_s1"))
    res = cox_ph(frame, "time", "event", ["x1", "in_s1"], strata="stratum")
    assert np.isnan(res.terms["coef"][1]) and res.lr_test.df == 1
    assert any("no variation within the strata" in p for p in res.problems)
    ref = cox_ph(frame, "time", "event", ["x1"], strata="stratum")
    assert res.terms["coef"][0] == pytest.approx(ref.terms["coef"][0], rel=1e-12)
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-12)


def test_logistic_matches_statsmodels_logit():
    import statsmodels.api as sm

    frame = _frame(3000, seed=14).with_columns((pl.col("event") ^ (pl.col("x1") > 1)).alias("y"))
    res = logistic(frame, "y", ["x1", "x2", "group"])
    exog = np.column_stack([np.ones(frame.height), frame["x1"].to_numpy(),
                            frame["x2"].to_numpy().astype(float),
                            (frame["group"] == "b").to_numpy().astype(float),
                            (frame["group"] == "c").to_numpy().astype(float)])
    fit = sm.Logit(frame["y"].to_numpy().astype(float), exog).fit(method="newton", maxiter=100,
                                                                   disp=False)
    np.testing.assert_allclose(res.terms["coef"].to_numpy(), fit.params, rtol=1e-10)
    np.testing.assert_allclose(res.terms["se"].to_numpy(), fit.bse, rtol=1e-10)
    assert res.loglik == pytest.approx(fit.llf, rel=1e-12)


def test_logistic_separation_messages_as_statsmodels_warned():
    """One perfect-prediction message per Newton step that statsmodels warned on."""
    import statsmodels.api as sm

    x = np.arange(20.0)
    y = (x >= 10).astype(float)
    res = logistic(pl.DataFrame({"x": x, "y": y}), "y", ["x"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sm.Logit(y, np.column_stack([np.ones(20), x])).fit(method="newton", maxiter=100,
                                                                 disp=False)
    warned = sum("separation" in str(w.message).lower() for w in caught)
    assert warned > 0 and not fit.mle_retvals["converged"]
    (problem,) = res.problems
    assert problem.count("Perfect separation or prediction detected") == warned
    assert res.loglik == pytest.approx(fit.llf, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("values", [
    np.array([3, 1, 3, 7, 0]),
    np.array([5_000_000, 2, 2]),
    np.array([-1, 4, -1]),
    np.array([2.5, np.nan, 2.5, -1.0]),
    np.array(["b", "a", "b"]),
    np.array(["b", None, "a"], dtype=object),
    np.array(["b", 1, "a"], dtype=object),
])
def test_dense_codes_and_distinct_equal_np_unique(values):
    as_str = values.astype(str) if values.dtype.kind in "OU" else values
    want_values, want = np.unique(as_str, return_inverse=True)
    np.testing.assert_array_equal(dense_codes(values), want)
    if values.dtype.kind in "iuf":
        got_values, got = distinct(values)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got_values, want_values)
    np.testing.assert_array_equal(dense_codes(pl.Series(as_str.tolist())), want)
