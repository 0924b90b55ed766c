"""The year's models (pipeline.models) and their Dagster assets (assets.models)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from registration_files import RUN_DATE, frame_of, open_row, valid_row, write_csv

from pipeline import models
from pipeline.models import ModelSettings, num
from pipeline.stats import cox_ph, cumulative_incidence, kaplan_meier, logistic, logrank
from pipeline.years import trajectories

D = dt.date
FUNCTIONS = (models.time_to_closure, models.cox_model, models.closure_incidence,
             models.eviction_model)
CHOICE = {
    "caw": ["OVL", "BMK", "WH", "LIM"],
    "aanmelder": ["shm", "shm", "svk", "ocmw", "huurder"],
    "verhuurder_type": ["SHM", "SHM", "SHM", "SVK"],
    "gezinstype": ["alleenstaand", "alleenstaand", "eenoudergezin", "koppel_met_kinderen"],
    "inkomensbron": ["arbeid", "arbeid", "leefloon", "werkloosheid", "andere"],
}


def registrations(n: int, seed: int) -> list[dict[str, object]]:
    """Valid rows with varied profiles, starts in 2011-2013, closures up to mid-2013."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(1, n + 1):
        start = D(2011, 1, 1) + dt.timedelta(days=int(rng.integers(0, 760)))
        profile = {col: str(rng.choice(levels)) for col, levels in CHOICE.items()}
        common = dict(
            datum_aanmelding=start - dt.timedelta(days=int(rng.integers(0, 20))),
            datum_start=start, verhuurder_id=None, leeftijd=int(rng.integers(18, 85)),
            procedure_gestart=bool(rng.random() < 0.3),
            probleem_huurachterstand=bool(rng.random() < 0.7),
            probleem_onderhoud=bool(rng.random() < 0.3),
            probleem_samenleven=bool(rng.random() < 0.25), **profile)
        close = start + dt.timedelta(days=int(rng.integers(0, 500)))
        if close > D(2013, 6, 30) or rng.random() < 0.1:
            rows.append(open_row(i, **common))
            continue
        outcome = str(rng.choice(["ja", "ja", "nee", "onbekend"]))
        reason = {"ja": "doelen_bereikt", "onbekend": "verhuisd"}.get(
            outcome, "uithuisgezet" if rng.random() < 0.6 else "voortijdig_gestopt")
        rows.append(valid_row(i, datum_afsluiting=close, afsluitreden=reason,
                              uithuiszetting_vermeden=outcome, **common))
    return rows


@pytest.fixture(scope="module")
def traj() -> pl.DataFrame:
    return trajectories(frame_of(registrations(400, seed=3)), 2012)


def hand_made(durations, closed, outcomes, **columns) -> pl.DataFrame:
    """A trajectories frame by hand: all rows in scope, closed in the year when closed."""
    n = len(durations)
    return pl.DataFrame({
        "in_scope": [True] * n, "closed": closed, "closed_in_year": closed,
        "days_to_closure": durations, "closure_outcome": outcomes,
        "eviction_avoided": [None if o is None else int(o == "vermeden") for o in outcomes],
        "caw": ["OVL"] * n, **columns,
    }, schema_overrides={"eviction_avoided": pl.Int8})


def dump(result: dict) -> str:
    return json.dumps(result, allow_nan=False, sort_keys=True)


# --------------------------------------------------------------------------- time to closure


def test_km_matches_the_library_on_the_survival_sample(traj) -> None:
    result = models.time_to_closure(traj)
    sample = traj.filter("in_scope")
    km = kaplan_meier(sample["days_to_closure"].to_numpy(), sample["closed"].to_numpy())
    assert result["n"] == sample.height < traj.height  # the fixture has starts after 2012
    assert result["events"] == int(sample["closed"].sum()) == km.events
    assert result["median_days"] == num(km.median) and result["median_days"] is not None
    assert result["median_ci"] == [num(km.median_ci[0]), num(km.median_ci[1])]
    assert result["problems"] == []
    s, lo, up = km.at(180)
    i = result["curve"]["days"].index(180)
    assert result["curve"]["survival"][i] == num(s)
    assert [result["curve"]["lower"][i], result["curve"]["upper"][i]] == [num(lo), num(up)]


def test_by_group_levels_sum_up_and_logrank_matches(traj) -> None:
    by = models.time_to_closure(traj)["by_group"]
    assert set(ModelSettings().profiles) == set(by)
    sample = traj.filter("in_scope")
    for column in ("verhuurder_type", "gezinstype", "procedure_gestart"):
        levels = by[column]["levels"]
        assert sum(lv["n"] for lv in levels) == sample.height
        assert sum(lv["events"] for lv in levels) == int(sample["closed"].sum())
        test = logrank(sample["days_to_closure"].to_numpy(), sample["closed"].to_numpy(),
                       sample[column].cast(pl.String).to_numpy())
        assert by[column]["logrank"] | {"p_holm": None} == {
            "statistic": num(test.statistic), "df": test.df, "p": num(test.p),
            "exploratory": True, "p_holm": None}
    # Holm across the profiles: the smallest p times the number of profiles, at most 1
    tests = [by[c]["logrank"] for c in by]
    m = len(tests)
    first = min(tests, key=lambda t: t["p"])
    assert first["p_holm"] == pytest.approx(min(1.0, m * first["p"]), rel=1e-5)
    assert all(t["p"] <= t["p_holm"] <= 1 for t in tests)
    assert [lv["level"] for lv in by["verhuurder_type"]["levels"]] == ["SHM", "SVK"]
    assert [lv["level"] for lv in by["inkomensbron"]["levels"]] == [
        "arbeid", "andere", "leefloon", "werkloosheid"]  # reference first, then sorted
    assert [lv["level"] for lv in by["procedure_gestart"]["levels"]] == ["nee", "ja"]
    shm = sample.filter(pl.col("verhuurder_type") == "SHM")
    km = kaplan_meier(shm["days_to_closure"].to_numpy(), shm["closed"].to_numpy())
    assert by["verhuurder_type"]["levels"][0]["median_days"] == num(km.median)


def test_hand_made_median_and_age_bands() -> None:
    frame = hand_made([10, 20, 30, 40], [True, True, True, False],
                      ["vermeden", "uithuisgezet", "ander", None], leeftijd=[16, 29, 30, 60])
    settings = ModelSettings(profiles=(models.AGE_BAND,), curve_days=(0, 15, 40, 41))
    result = models.time_to_closure(frame, settings)
    # S = 0.5 exactly on [20, 30): R's midpoint rule gives (20 + 30) / 2
    assert (result["n"], result["events"], result["median_days"]) == (4, 3, 25.0)
    assert result["curve"]["survival"] == [1.0, 0.75, 0.25, None]  # None: beyond follow-up
    bands = result["by_group"][models.AGE_BAND]["levels"]
    assert [(b["level"], b["n"]) for b in bands] == [("16-29", 2), ("30-44", 1), ("60+", 1)]
    assert "leeftijdsklasse=60+: no events: the curve stays at 1 and the median is not " \
           "reached" in result["problems"]
    assert bands[2]["median_days"] is None


# --------------------------------------------------------------------------- Cox


def test_cox_terms_match_the_library(traj) -> None:
    result = models.cox_model(traj)
    fit = cox_ph(traj.filter("in_scope"), "days_to_closure", "closed",
                 list(models.MODEL_COVARIATES), strata="caw")
    assert (result["n"], result["events"]) == (fit.n, fit.events)
    assert result["strata"] == ["caw"] and result["ties"] == "efron"
    assert [t["term"] for t in result["terms"]] == fit.terms["term"].to_list()
    assert "verhuurder_type[SVK]" in fit.terms["term"].to_list() and "leeftijd" in \
        fit.terms["term"].to_list()
    for got, row in zip(result["terms"], fit.terms.iter_rows(named=True), strict=True):
        assert got["coef"] == num(row["coef"]) and got["se"] == num(row["se"])
        assert got["hr_ci"] == [num(row["hr_lower"]), num(row["hr_upper"])]
        assert set(got) == {"term", "coef", "se", "hr", "hr_ci", "p"}
    assert result["concordance"] == num(fit.concordance)
    assert result["lr_test"]["df"] == fit.lr_test.df
    assert result["ph_test"]["global"]["p"] == num(fit.ph_test.global_p)
    assert len(result["ph_test"]["terms"]) == len(result["terms"])


def test_cox_level_without_events_is_a_problem_not_a_crash() -> None:
    frame = hand_made([10, 20, 30, 40, 50, 60], [True, True, True, False, False, False],
                      ["ander"] * 3 + [None] * 3,
                      gezinstype=["alleenstaand"] * 2 + ["eenoudergezin"] * 2 + ["andere"] * 2)
    settings = ModelSettings(cox_covariates=("gezinstype",), cox_strata=())
    result = models.cox_model(frame, settings)
    terms = {t["term"]: t for t in result["terms"]}
    assert terms["gezinstype[andere]"]["hr"] is None
    assert terms["gezinstype[eenoudergezin]"]["hr"] is not None
    assert any(p.startswith("gezinstype[andere]: no events") for p in result["problems"])
    dump(result)


# --------------------------------------------------------------------------- cumulative incidence


def test_incidence_by_hand_with_delayed_entry_and_beyond_follow_up() -> None:
    frame = hand_made([10, 20, 30, 40, 50], [True, True, False, True, True],
                      ["vermeden", "uithuisgezet", None, "niet_vermeden", "onbekend"]
                      ).with_columns(active=pl.lit(True),
                                     entry_days=pl.Series([0, 0, 0, 15, 0]))
    result = models.closure_incidence(frame, ModelSettings(
        incidence_days=(0, 15, 25, 40, 45, 50, 55)))
    assert result["basis"] == "period" and result["days"] == [0, 15, 25, 40, 45, 50, 55]
    # at risk on days entry..exit: t=10 rows 1 2 3 5 (row 4 enters on day 15): 1/4;
    # t=20 rows 2-5: S(20-) 3/4 x 1/4 = 3/16; t=40 rows 4 5: 9/16 x 1/2; t=50 row 5: 9/32
    assert result["vermeden"] == [0.0, 0.25, 0.25, 0.25, 0.25, 0.25, None]
    assert result["uithuisgezet"] == [0.0, 0.0, 0.1875, 0.1875, 0.1875, 0.1875, None]
    assert result["niet_vermeden"] == [0.0, 0.0, 0.0, 0.28125, 0.28125, 0.28125, None]
    assert result["onbekend"] == [0.0, 0.0, 0.0, 0.0, 0.0, 0.28125, None]
    assert result["ander"] == [0.0, 0.0, 0.0, 0.28125, 0.28125, 0.5625, None]
    assert result["events"] == {"vermeden": 1, "uithuisgezet": 1, "ander": 2,
                                "niet_vermeden": 1, "onbekend": 1}
    # rows not active in the year are not in the sample
    fewer = models.closure_incidence(frame.with_columns(active=pl.Series([True] * 4 + [False])))
    assert fewer["n"] == 4 and fewer["events"]["onbekend"] == 0
    assert any(p.startswith("onbekend: no closures") for p in fewer["problems"])


def test_incidence_adds_up_to_one_minus_period_km(traj) -> None:
    result = models.closure_incidence(traj)
    sample = traj.filter("active")
    t, entry = sample["days_to_closure"].to_numpy(), sample["entry_days"].to_numpy() - 0.5
    km = kaplan_meier(t, sample["closed"].to_numpy(), entry=entry)
    assert result["n"] == sample.height and (entry > 0).sum() > 20  # carried into 2012
    assert result["days"] == [90, 180, 365, 730]
    four = ("vermeden", "uithuisgezet", "niet_vermeden", "onbekend")
    assert sum(result["events"][c] for c in four) == traj["closed_in_year"].sum()
    follow_up = sample["days_to_closure"].max()  # just under two years here
    assert result["vermeden"][3] is None and follow_up < 730  # not observed, not carried on
    for i, day in enumerate(result["days"][:3]):
        total = sum(result[c][i] for c in four)
        assert total == pytest.approx(1 - km.at(day)[0], abs=5e-6)
        assert result["ander"][i] == pytest.approx(
            result["niet_vermeden"][i] + result["onbekend"][i], abs=2e-6)
        for c in (*four, "ander"):
            assert result["lower"][c][i] <= result[c][i] <= result["upper"][c][i]
    causes = np.where(sample["closed"].to_numpy(), sample["closure_outcome"].to_numpy(), "0")
    fit = cumulative_incidence(t, causes.astype(str), entry=entry, censor_code="0")
    assert result["vermeden"][2] == num(fit.at(365)["vermeden"])
    # ander's interval is its own (the merged cause), not a sum of two intervals
    merged = np.where(np.isin(causes, ["niet_vermeden", "onbekend"]), "ander", causes)
    own = cumulative_incidence(t, merged.astype(str), entry=entry, censor_code="0")
    assert result["upper"]["ander"][2] == num(own.upper["ander"][
        np.searchsorted(own.timeline, 365, side="right") - 1])
    assert len(result["curve"]["days"]) == len(result["curve"]["onbekend"]) == 25


# --------------------------------------------------------------------------- eviction avoided


def test_eviction_model_matches_the_library(traj) -> None:
    """CAW fixed effects, model-based errors (issue 12); the library fit term for term."""
    result = models.eviction_model(traj)
    sample = traj.filter(pl.col("closed_in_year") & pl.col("eviction_avoided").is_not_null())
    assert result["n"] == sample.height > 50
    assert result["rate"] == num(sample["eviction_avoided"].mean())
    fit = logistic(sample, "eviction_avoided", [*models.MODEL_COVARIATES, "caw"],
                   references={"caw": "WH"})  # the largest region (asserted below)
    assert result["cov_type"] == fit.cov_type == "nonrobust" and result["cluster"] is None
    assert result["terms"][0]["term"] == "(Intercept)"
    for got, row in zip(result["terms"], fit.terms.iter_rows(named=True), strict=True):
        assert (got["term"], got["coef"], got["se"], got["or"]) == (
            row["term"], num(row["coef"]), num(row["se"]), num(row["odds_ratio"]))
        assert set(got) == {"term", "coef", "se", "or", "or_ci", "p"}
    # reference region: the CAW with the most rows in the sample
    largest = sample["caw"].value_counts().sort("count")["caw"][-1]
    assert largest == "WH" and "caw[WH]" not in [t["term"] for t in result["terms"]]
    assert [t["term"] for t in result["terms"] if t["term"].startswith("caw")] == [
        "caw[BMK]", "caw[LIM]", "caw[OVL]"]
    tests = {t["factor"]: t for t in result["factor_tests"]}
    assert set(tests) == {"gezinstype", "inkomensbron", "caw"}  # the multi-level factors
    assert tests["caw"]["df"] == 3 and 0 <= tests["caw"]["p"] <= 1
    shares = [p for p in result["predicted"] if p["factor"] == "caw"]
    assert [p["level"] for p in shares] == ["WH", "BMK", "LIM", "OVL"]  # reference first
    assert all(p["lower"] <= p["share"] <= p["upper"] for p in result["predicted"])
    assert {p["factor"] for p in result["predicted"]} == {
        "verhuurder_type", "gezinstype", "inkomensbron", "probleem_huurachterstand",
        "probleem_onderhoud", "probleem_samenleven", "procedure_gestart", "caw"}  # not leeftijd
    closures = traj.filter("closed_in_year")
    yes = int((closures["uithuiszetting_vermeden"] == "ja").sum())
    no = int((closures["uithuiszetting_vermeden"] == "nee").sum())
    unknown = int((closures["closure_outcome"] == "onbekend").sum())
    assert unknown == result["unknown"] > 0
    assert result["unknown_bounds"] == [num(yes / (yes + no + unknown)),
                                        num((yes + unknown) / (yes + no + unknown))]
    assert result["unknown_bounds"][0] < result["rate"] < result["unknown_bounds"][1]


def test_eviction_model_cluster_option_uses_cr2(traj) -> None:
    result = models.eviction_model(traj, ModelSettings(cluster="caw"))
    assert result["cov_type"] == "cluster CR2 (G=4), t(3)" and result["t_df"] == 3
    terms = {t["term"]: t for t in result["terms"]}
    assert terms["caw[OVL]"]["se"] is None and terms["leeftijd"]["se"] > 0  # degenerate: null
    assert {t["factor"]: t["chi2"] for t in result["factor_tests"]}["caw"] is None
    assert any("both the cluster and a covariate" in p for p in result["problems"])


def test_eviction_separation_is_a_problem() -> None:
    frame = hand_made([10] * 8, [True] * 8, ["vermeden", "ander"] * 3 + ["ander"] * 2,
                      procedure_gestart=[False] * 6 + [True] * 2)
    result = models.eviction_model(frame, ModelSettings(logistic_covariates=(
        "procedure_gestart",), cluster=None))
    terms = {t["term"]: t for t in result["terms"]}
    assert terms["procedure_gestart"]["or"] is None
    assert terms["(Intercept)"]["coef"] == 0.0  # 3 of 6 avoided in the remaining rows
    assert any("separation" in p for p in result["problems"])


# --------------------------------------------------------------------------- all models


@pytest.mark.parametrize("case", ["empty", "one_row", "no_closures", "out_of_scope"])
def test_sparse_data_give_problems_not_crashes(case: str) -> None:
    rows = {"empty": [], "one_row": [valid_row(1)],
            "no_closures": [open_row(i, gezinstype=g) for i, g in
                            enumerate(["alleenstaand", "andere", "eenoudergezin"] * 2)],
            "out_of_scope": [valid_row(1, datum_start=D(2013, 2, 1),
                                       datum_afsluiting=D(2013, 3, 1))]}[case]
    valid = frame_of(rows) if rows else frame_of([valid_row(1)]).clear()
    frame = trajectories(valid, 2012)
    for function in FUNCTIONS:
        result = function(frame)
        dump(result)
        assert result["problems"], (case, function.__name__)
    if case != "one_row":  # one closure: S drops to 0 and the median is its day
        assert models.time_to_closure(frame)["median_days"] is None
        assert models.eviction_model(frame)["rate"] is None


def test_json_ready_and_deterministic(traj) -> None:
    for function in FUNCTIONS:
        first = dump(function(traj))
        assert first == dump(function(traj))
        assert "NaN" not in first and "Infinity" not in first
    shuffled = traj.sample(fraction=1.0, shuffle=True, seed=11)
    for function in (models.time_to_closure, models.closure_incidence):
        assert dump(function(traj)) == dump(function(shuffled))


def test_settings_are_checked_and_json_ready() -> None:
    with pytest.raises(ValueError):
        ModelSettings(ties="exact")
    with pytest.raises(ValueError):
        ModelSettings(km_conf_type="arcsin")
    with pytest.raises(ValueError):
        ModelSettings(age_bands=(45, 30))
    settings = ModelSettings().as_dict()
    json.dumps(settings, allow_nan=False)
    assert settings["references"]["verhuurder_type"] == "SHM"
    assert settings["cox_strata"] == ["caw"]
    assert num(float("nan")) is None and num(-0.0) == 0.0 and num(1 / 3) == 0.333333


# --------------------------------------------------------------------------- Dagster


REFERENCE_FILES = ("verhuurders.csv", "personeel.csv")


def reference_dir(tmp: Path) -> str | None:
    """The shipped reference data, or a minimal stand-in while it is being written."""
    from pipeline.reference import SHIPPED

    if all((SHIPPED / name).is_file() for name in REFERENCE_FILES):
        return None
    (tmp / "verhuurders.csv").write_text(
        "verhuurder_id,verhuurder_type,naam,caw,gemeente_nis,woningen,overeenkomst,"
        "overeenkomst_sinds,lokaal_bestuur,illustratief\n"
        "SHM001,SHM,Test,OVL,44021,100,ja,2010-01-01,nee,ja\n")
    (tmp / "personeel.csv").write_text("caw,jaar,basis_vte,illustratief\nOVL,2012,1.0,ja\n")
    return str(tmp)


@pytest.fixture(scope="module")
def materialised(tmp_path_factory: pytest.TempPathFactory):
    from dagster import DagsterInstance, materialize

    from assets.definitions import ASSETS, resources
    from assets.models import MODEL_ASSETS
    from assets.resources import EvaluationSettings, PwbSettings

    root = tmp_path_factory.mktemp("models")
    inbox = root / "inbox"
    inbox.mkdir()
    write_csv(inbox / "levering_2012.csv", registrations(150, seed=5), sep=";")
    settings = PwbSettings(input_dir=str(inbox), out_dir=str(root / "out"),
                           run_date=RUN_DATE.isoformat(),
                           reference_dir=reference_dir(tmp_path_factory.mktemp("ref")))
    result = materialize(
        [*ASSETS, *MODEL_ASSETS], partition_key="2012",
        instance=DagsterInstance.local_temp(str(root)),
        resources=resources(root / "store", settings, EvaluationSettings(cox_strata=[])))
    return result, root


def test_materialised_assets_store_the_model_dicts(materialised) -> None:
    result, root = materialised
    assert result.success
    traj = pl.read_parquet(root / "store" / "trajecten" / "2012.parquet")
    settings = ModelSettings(cox_strata=())
    for name, function in [("duur_tot_afsluiting", models.time_to_closure),
                           ("afsluitingsmodel", models.cox_model),
                           ("afsluitingsuitkomsten", models.closure_incidence),
                           ("uithuiszetting_vermeden", models.eviction_model)]:
        stored = json.loads((root / "store" / name / "2012.json").read_text())
        assert stored == json.loads(dump(function(traj, settings))), name
    cox = json.loads((root / "store" / "afsluitingsmodel" / "2012.json").read_text())
    assert cox["strata"] == [] and cox["n"] > 100 and len(cox["terms"]) >= 8


def test_materialisation_metadata(materialised) -> None:
    result, _ = materialised
    meta = {m.asset_key.to_user_string(): m.metadata
            for m in result.get_asset_materialization_events()
            for m in [m.materialization]}
    assert meta["duur_tot_afsluiting"]["mediaan_dagen"].value > 0
    assert 0.5 < meta["afsluitingsmodel"]["concordantie"].value < 1
    assert meta["afsluitingsmodel"]["lr_toets"].value.startswith("chi2 = ")
    assert meta["uithuiszetting_vermeden"]["cov_type"].value == "nonrobust"  # CAW fixed effects
    assert meta["afsluitingsuitkomsten"]["problemen"].value == 0


def test_resource_defaults_equal_model_settings() -> None:
    from assets.resources import EvaluationSettings

    assert EvaluationSettings().models() == ModelSettings()
