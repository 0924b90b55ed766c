"""Dummy coding conventions and sparse data: every case says so, none crashes."""

import numpy as np
import polars as pl
import pytest

from pipeline.stats import (
    DEFAULT_REFERENCES,
    INTERCEPT,
    build_design,
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    logistic,
    logrank,
)


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "duur": rng.integers(1, 700, n),
        "gesloten": rng.random(n) < 0.7,
        "vermeden": rng.random(n) < 0.6,
        "verhuurder_type": rng.choice(["SHM", "SVK", "privaat"], n),
        "gezinstype": rng.choice(["alleenstaand", "koppel", "eenoudergezin"], n),
        "inkomensbron": rng.choice(["arbeid", "vervangingsinkomen", "leefloon"], n),
        "leeftijd": rng.integers(18, 80, n),
        "procedure_gestart": rng.random(n) < 0.3,
        "caw": rng.choice([f"caw{i}" for i in range(11)], n),
    })


def test_default_references_and_term_names():
    df = _frame()
    d = build_design(df, ["verhuurder_type", "gezinstype", "inkomensbron", "leeftijd",
                          "procedure_gestart"])
    assert d.references == {k: DEFAULT_REFERENCES[k]
                            for k in ("verhuurder_type", "gezinstype", "inkomensbron")}
    assert d.terms == (
        "verhuurder_type[SVK]", "verhuurder_type[privaat]",
        "gezinstype[eenoudergezin]", "gezinstype[koppel]",
        "inkomensbron[leefloon]", "inkomensbron[vervangingsinkomen]",
        "leeftijd", "procedure_gestart",
    )
    assert set(np.unique(d.matrix[:, -1])) == {0.0, 1.0}


def test_first_level_in_sort_order_and_missing_reference_fallback():
    df = pl.DataFrame({"kleur": ["rood", "blauw", "groen", "blauw"]})
    assert build_design(df, ["kleur"]).terms == ("kleur[groen]", "kleur[rood]")
    d = build_design(df, ["kleur"], {"kleur": "paars"})
    assert d.references["kleur"] == "blauw"
    assert any("paars" in p for p in d.problems)
    d = build_design(pl.DataFrame({"verhuurder_type": ["SVK", "privaat"]}), ["verhuurder_type"])
    assert d.references["verhuurder_type"] == "SVK" and any("'SHM'" in p for p in d.problems)


def test_missing_values_and_constant_columns_are_reported():
    df = pl.DataFrame({"a": [1.0, None, 3.0, float("nan")], "b": ["x", "x", "x", "x"],
                       "c": [True, True, True, True]})
    d = build_design(df, ["a", "b", "c"])
    assert d.n_dropped == 2 and d.matrix.shape == (2, 1) and d.terms == ("a",)
    assert sum("dropped" in p for p in d.problems) == 2


def test_cox_level_without_events_is_nan_and_others_are_the_limit():
    df = _frame(seed=1).with_columns(
        pl.when(pl.col("verhuurder_type") == "privaat").then(False)
        .otherwise(pl.col("gesloten")).alias("gesloten"))
    res = cox_ph(df, "duur", "gesloten", ["verhuurder_type", "leeftijd"])
    row = res.terms.filter(pl.col("term") == "verhuurder_type[privaat]").row(0, named=True)
    assert np.isnan(row["coef"]) and np.isnan(row["hr"])
    assert any("no events among" in p for p in res.problems)
    # the other estimates equal the fit without those rows (the MLE limit)
    ref = cox_ph(df.filter(pl.col("verhuurder_type") != "privaat"), "duur", "gesloten",
                 ["verhuurder_type", "leeftijd"])
    np.testing.assert_allclose(
        res.terms.filter(pl.col("term") != "verhuurder_type[privaat]")["coef"].to_numpy(),
        ref.terms["coef"].to_numpy(), rtol=1e-10)


def test_cox_no_events_empty_and_collinear():
    df = _frame(seed=2)
    res = cox_ph(df.with_columns(pl.lit(False).alias("gesloten")), "duur", "gesloten",
                 ["leeftijd"])
    assert res.events == 0 and np.isnan(res.terms["coef"][0]) and np.isnan(res.lr_test.p)
    assert any("no events" in p for p in res.problems)
    res = cox_ph(df.head(0), "duur", "gesloten", ["leeftijd", "gezinstype"])
    assert res.n == 0 and any("no observations" in p for p in res.problems)
    res = cox_ph(df.with_columns((pl.col("leeftijd") * 2).alias("dubbel")), "duur", "gesloten",
                 ["leeftijd", "dubbel"])
    assert np.isnan(res.terms["coef"][1]) and any("aliased" in p for p in res.problems)
    assert np.isfinite(res.terms["coef"][0])


def test_cox_strata_by_caw_and_ph_test_shapes():
    res = cox_ph(_frame(seed=3), "duur", "gesloten",
                 ["verhuurder_type", "gezinstype", "leeftijd"], strata="caw")
    assert res.strata == ("caw",) and res.ph_test.terms.height == 5
    assert res.ph_test.covariates["covariate"].to_list() == ["verhuurder_type", "gezinstype",
                                                           "leeftijd"]
    assert res.ph_test.global_df == 5 and 0 <= res.ph_test.global_p <= 1


def test_logistic_separation_by_level_and_degenerate_outcome():
    df = _frame(seed=4).with_columns(
        pl.when(pl.col("inkomensbron") == "leefloon").then(True)
        .otherwise(pl.col("vermeden")).alias("vermeden"))
    res = logistic(df, "vermeden", ["inkomensbron", "leeftijd"], cluster="caw")
    row = res.terms.filter(pl.col("term") == "inkomensbron[leefloon]").row(0, named=True)
    assert np.isnan(row["coef"]) and any("separation" in p for p in res.problems)
    assert np.isfinite(res.terms.filter(pl.col("term") == "leeftijd")["coef"].item())
    res = logistic(df.with_columns(pl.lit(True).alias("vermeden")), "vermeden", ["leeftijd"])
    assert np.all(np.isnan(res.terms["coef"].to_numpy())) and res.problems
    res = logistic(df.head(0), "vermeden", ["leeftijd"])
    assert res.n == 0 and res.terms["term"].to_list() == [INTERCEPT, "leeftijd"]


def test_logistic_complete_separation_on_a_number():
    df = pl.DataFrame({"x": np.arange(20.0), "y": np.arange(20) >= 10})
    res = logistic(df, "y", ["x"])
    assert np.all(np.isnan(res.terms["coef"].to_numpy()))
    assert any("separation" in p for p in res.problems)


def test_everything_accepts_empty_input():
    assert kaplan_meier([], []).n == 0
    assert logrank([], [], []).df == 0
    assert cumulative_incidence([], []).n == 0


def test_bad_arguments_raise():
    df = _frame()
    with pytest.raises(ValueError):
        cox_ph(df, "duur", "gesloten", ["leeftijd"], ties="exact")
    with pytest.raises(KeyError):
        cox_ph(df, "duur", "gesloten", ["bestaat_niet"])
