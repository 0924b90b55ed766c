"""Cox PH against R coxph / cox.zph and Klein & Moeschberger (tests/reference/stats_cox.py)."""

import numpy as np
import polars as pl
import pytest
from stats_testlib import assert_printed, load_reference, statsmodels_test_file

from pipeline.stats import concordance_index, cox_ph

REF = load_reference("stats_cox")
ROSSI_X = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def _row(res, term):
    return res.terms.filter(pl.col("term") == term).row(0, named=True)


def test_rossi_efron_vs_fox_weisberg(rossi):
    res = cox_ph(rossi, "week", "arrest", ROSSI_X)
    assert res.ties == "efron" and not res.problems
    assert (res.n, res.events) == REF.ROSSI_N_EVENTS
    for term, (coef, hr, se, z, p) in REF.ROSSI.items():
        row = _row(res, term)
        assert_printed(row["coef"], coef, f"{term} coef")
        assert_printed(row["se"], se, f"{term} se")
        assert_printed(row["z"], z, f"{term} z")
        assert_printed(row["p"], p, f"{term} p")
        if hr is not None:
            assert_printed(row["hr"], hr, f"{term} hr")
    stat, df, p = REF.ROSSI_LR
    assert_printed(res.lr_test.statistic, stat)
    assert res.lr_test.df == df
    assert_printed(res.lr_test.p, p)


def test_lung_vs_r_summary_coxph(lung):
    res = cox_ph(lung, "time", "status", ["age", "sex"])
    assert (res.n, res.events) == REF.LUNG_N_EVENTS
    for term, (coef, hr, se, z, p, lo, up) in REF.LUNG.items():
        row = _row(res, term)
        for key, want in (("coef", coef), ("hr", hr), ("se", se), ("z", z), ("p", p),
                          ("hr_lower", lo), ("hr_upper", up)):
            assert_printed(row[key], want, f"{term} {key}")
    assert_printed(res.concordance, REF.LUNG_CONCORDANCE, "concordance")
    assert_printed(res.lr_test.statistic, REF.LUNG_LR[0])
    assert res.lr_test.df == REF.LUNG_LR[1]


def test_lung_missing_row_dropped_vs_r(lung):
    res = cox_ph(lung, "time", "status", ["ph.ecog", "age"])
    assert (res.n, res.events) == REF.LUNG_ECOG_AGE_N_EVENTS
    assert any("missing" in p for p in res.problems)
    for term, (coef, se, p) in REF.LUNG_ECOG_AGE.items():
        row = _row(res, term)
        assert_printed(row["coef"], coef)
        assert_printed(row["se"], se)
        assert_printed(row["p"], p)
    assert_printed(res.lr_test.statistic, REF.LUNG_ECOG_AGE_LR[0])


@pytest.mark.parametrize("fit", REF.OVARIAN_FITS, ids=lambda f: "+".join(f[0]) + f"|{f[1]}")
def test_ovarian_fits_vs_r(ovarian, fit):
    covariates, strata, expected, lr = fit
    res = cox_ph(ovarian, "futime", "fustat", covariates, strata=strata)
    for term, (coef, se) in expected.items():
        row = _row(res, term)
        assert_printed(row["coef"], coef, f"{term} coef")
        assert_printed(row["se"], se, f"{term} se")
    assert_printed(res.lr_test.statistic, lr, "LR")
    if strata and len(covariates) == 2:
        for term, (lo, up) in REF.OVARIAN_STRATA_HR_CI.items():
            assert_printed(_row(res, term)["hr_lower"], lo)
            assert_printed(_row(res, term)["hr_upper"], up)


def test_ovarian_cox_zph_vs_r(ovarian):
    res = cox_ph(ovarian, "futime", "fustat", ["age", "ecog_ps"])
    ph = res.ph_test
    assert ph.transform == "km"
    for term, (chisq, p) in REF.OVARIAN_ZPH.items():
        row = ph.terms.filter(pl.col("term") == term).row(0, named=True)
        assert_printed(row["chisq"], chisq, f"{term} chisq")
        assert_printed(row["p"], p, f"{term} p")
        assert row["df"] == 1
    chisq, df, p = REF.OVARIAN_ZPH_GLOBAL
    assert_printed(ph.global_chisq, chisq)
    assert ph.global_df == df
    assert_printed(ph.global_p, p)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_aml_ties_vs_r(aml, ties):
    res = cox_ph(aml, "time", "status", ["x"], ties=ties)
    row = _row(res, "x[Nonmaintained]")  # reference level: first in sort order
    coef, se, lr = REF.AML[ties]
    assert_printed(row["coef"], coef)
    assert_printed(row["se"], se)
    assert_printed(res.lr_test.statistic, lr)


def test_larynx_breslow_vs_klein_moeschberger():
    from lifelines.datasets import load_larynx

    df = pl.from_pandas(load_larynx())
    res = cox_ph(df, "time", "death", ["age", "Stage_II", "Stage_III", "Stage_IV"],
                 ties="breslow")
    for term, (se, p) in REF.KM_LARYNX.items():
        row = _row(res, term)
        assert_printed(row["se"], se, f"{term} se")
        if p is None:
            assert row["p"] < 0.005
        else:
            assert_printed(row["p"], p, f"{term} p")


def test_kidney_transplant_breslow_vs_klein_moeschberger():
    from lifelines.datasets import load_kidney_transplant

    df = pl.from_pandas(load_kidney_transplant())
    res = cox_ph(df, "time", "death", list(REF.KM_KIDNEY), ties="breslow")
    for term, coef in REF.KM_KIDNEY.items():
        assert_printed(_row(res, term)["coef"], coef, term)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("stratified", [False, True])
def test_r_coefficients_kept_by_statsmodels(ties, stratified):
    path = statsmodels_test_file("duration", "tests", "results", "survival_data_100_5.csv")
    raw = np.loadtxt(path)
    n = raw.shape[0]
    df = pl.DataFrame({"time": raw[:, 0], "status": raw[:, 1],
                       **{f"x{j}": raw[:, 3 + j] for j in range(5)},
                       "block": np.repeat(np.arange(5), n // 5)})
    res = cox_ph(df, "time", "status", [f"x{j}" for j in range(5)], ties=ties,
                 strata="block" if stratified else None)
    coef, se = REF.R_SIM[(ties, stratified)]
    np.testing.assert_allclose(res.terms["coef"].to_numpy(), coef, rtol=REF.R_SIM_RTOL)
    np.testing.assert_allclose(res.terms["se"].to_numpy(), se, rtol=REF.R_SIM_RTOL)


def test_rossi_matches_lifelines_and_statsmodels_secondary(rossi):
    """Secondary (other implementations): lifelines (Efron) and statsmodels PHReg."""
    from lifelines import CoxPHFitter
    from statsmodels.duration.hazard_regression import PHReg

    pdf = rossi.to_pandas()
    res = cox_ph(rossi, "week", "arrest", ROSSI_X)
    cph = CoxPHFitter().fit(pdf, "week", "arrest")
    np.testing.assert_allclose(res.terms["coef"].to_numpy(), cph.params_[ROSSI_X], rtol=1e-6)
    np.testing.assert_allclose(res.terms["se"].to_numpy(),
                               cph.standard_errors_[ROSSI_X], rtol=1e-5)
    assert res.loglik == pytest.approx(cph.log_likelihood_, rel=1e-9)
    assert res.concordance == pytest.approx(cph.concordance_index_, rel=1e-9)
    for ties in ("efron", "breslow"):
        mine = cox_ph(rossi, "week", "arrest", ROSSI_X, ties=ties)
        ph = PHReg(pdf["week"], pdf[ROSSI_X], pdf["arrest"], ties=ties).fit()
        np.testing.assert_allclose(mine.terms["coef"].to_numpy(), ph.params, rtol=1e-6)
        np.testing.assert_allclose(mine.terms["se"].to_numpy(), ph.bse, rtol=1e-5)


def test_concordance_matches_lifelines_with_ties_and_strata_secondary():
    from lifelines.utils import concordance_index as lifelines_ci

    rng = np.random.default_rng(1)
    t = rng.integers(1, 30, 400).astype(float)
    e = rng.random(400) < 0.6
    risk = rng.integers(0, 8, 400).astype(float)  # many ties in the predictor
    ours = concordance_index(t, e, risk)
    assert ours == pytest.approx(lifelines_ci(t, -risk, e), rel=1e-12)
    s = rng.integers(0, 3, 400)
    # stratified: only pairs within strata; equals the pair-count-weighted pooling
    direct = _brute_concordance(t, e, risk, s)
    assert concordance_index(t, e, risk, s) == pytest.approx(direct, rel=1e-12)


def _brute_concordance(t, e, r, s):
    conc = disc = tied = 0.0
    for i in range(t.size):
        if not e[i]:
            continue
        comp = (s == s[i]) & ((t > t[i]) | ((t == t[i]) & ~e))
        conc += np.sum(r[comp] < r[i])
        disc += np.sum(r[comp] > r[i])
        tied += np.sum(r[comp] == r[i])
    return (conc + tied / 2) / (conc + disc + tied)


def test_categorical_terms_and_references(rossi):
    df = rossi.with_columns(
        pl.when(pl.col("prio") == 0).then(pl.lit("none"))
        .when(pl.col("prio") <= 2).then(pl.lit("few")).otherwise(pl.lit("many"))
        .alias("prio_band"),
        (pl.col("fin") == 1).alias("fin_bool"),
    )
    res = cox_ph(df, "week", "arrest", ["fin_bool", "prio_band"], references={"prio_band": "none"})
    assert res.terms["term"].to_list() == ["fin_bool", "prio_band[few]", "prio_band[many]"]
    # the same model with hand-made dummies gives the same numbers
    manual = df.with_columns(
        (pl.col("prio_band") == "few").cast(pl.Int64).alias("few"),
        (pl.col("prio_band") == "many").cast(pl.Int64).alias("many"),
    )
    res2 = cox_ph(manual, "week", "arrest", ["fin", "few", "many"])
    np.testing.assert_allclose(res.terms["coef"].to_numpy(), res2.terms["coef"].to_numpy())
    cov = res.ph_test.covariates
    assert cov.filter(pl.col("covariate") == "prio_band")["df"].item() == 2
