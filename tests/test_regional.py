"""Fair regional comparison (pipeline.regional) on synthetic closures with a known truth.

Ten regions whose case mix differs strongly (the share with a started eviction
procedure ranges from 10 % to 70 %) and one region (R10) with a true regional
effect on eviction (odds ratio 3). The crude comparison flags the case-mix
regions; the case-mix adjusted O/E flags only R10. The funnel limits themselves
are tested against R in tests/stats/test_funnel_holm.py.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipeline.models import ModelSettings
from pipeline.regional import by_outcome
from pipeline.regional import regional_comparison as raw_comparison
from pipeline.stats.funnel import poisson_limits

SETTINGS = ModelSettings(logistic_covariates=("procedure_gestart", "gezinstype", "leeftijd"))
REGIONS = [f"R{i:02d}" for i in range(1, 11)]


def closures(seed: int, per_region: int = 600, effect: float = np.log(3.0)) -> pl.DataFrame:
    """The year's closures: eviction and avoided-eviction outcomes from known logistic models."""
    rng = np.random.default_rng(seed)
    caw = np.repeat(REGIONS, per_region)
    k = np.repeat(np.arange(10), per_region)
    procedure = rng.random(caw.size) < 0.1 + 0.6 * k / 9
    family = rng.choice(["alleenstaand", "eenoudergezin", "koppel_met_kinderen"], caw.size)
    age = rng.integers(18, 80, caw.size)
    eta = -2.8 + 1.6 * procedure + 0.3 * (family == "eenoudergezin") + 0.01 * (age - 45)
    eta = eta + effect * (caw == "R10")
    evicted = rng.random(caw.size) < 1 / (1 + np.exp(-eta))
    known = rng.random(caw.size) < 0.9  # 10 % onbekend among the non-evicted
    avoided_eta = 1.2 - 1.0 * procedure
    avoided = rng.random(caw.size) < 1 / (1 + np.exp(-avoided_eta))
    outcome = np.where(evicted, "uithuisgezet",
                       np.where(~known, "onbekend",
                                np.where(avoided, "vermeden", "niet_vermeden")))
    eviction_avoided = np.where(evicted, 0, np.where(known, avoided.astype(int), -1))
    return pl.DataFrame({
        "caw": caw, "closed_in_year": np.ones(caw.size, dtype=bool), "closure_outcome": outcome,
        "eviction_avoided": eviction_avoided, "procedure_gestart": procedure,
        "gezinstype": family, "leeftijd": age,
    }).with_columns(pl.when(pl.col("eviction_avoided") >= 0).then(pl.col("eviction_avoided"))
                    .cast(pl.Int8).alias("eviction_avoided"))


def regional_comparison(*args, **kwargs) -> dict[str, dict]:
    return by_outcome(raw_comparison(*args, **kwargs))


def test_results_json_shape_is_the_issues_with_avoided_beside_it() -> None:
    raw = raw_comparison(closures(seed=12, per_region=100), SETTINGS)
    assert raw["outcome"] == "uithuisgezet" and len(raw["per_caw"]) == 10
    assert raw["vermeden"]["outcome"] == "vermeden" and len(raw["vermeden"]["per_caw"]) == 10
    assert "vermeden" not in by_outcome(raw)["uithuisgezet"] and by_outcome({}) == {}


@pytest.fixture(scope="module")
def result() -> dict:
    return regional_comparison(closures(seed=12), SETTINGS)


def test_shape_and_sums(result) -> None:
    assert list(result) == ["uithuisgezet", "vermeden"]
    for outcome, block in result.items():
        assert block["outcome"] == outcome and block["adjusted"] and not block["problems"]
        rows = block["per_caw"]
        assert [r["caw"] for r in rows] == REGIONS
        assert set(rows[0]) == {"caw", "n", "observed", "expected", "ratio", "limits95",
                                "limits998", "signal"}
        # with an intercept the expected counts add up to the observed total
        assert sum(r["expected"] for r in rows) == pytest.approx(block["observed"], rel=1e-6)
        assert sum(r["n"] for r in rows) == block["n"]
    assert result["uithuisgezet"]["n"] == 6000  # every closure of the year
    assert result["vermeden"]["n"] < 6000  # ja/nee only: onbekend left out


def test_limits_are_the_funnel_of_the_expected_count(result) -> None:
    for r in result["uithuisgezet"]["per_caw"]:
        lo, hi = poisson_limits(r["expected"], 0.998)
        assert r["limits998"] == [pytest.approx(lo[0], rel=1e-5), pytest.approx(hi[0], rel=1e-5)]
        lo, hi = poisson_limits(r["expected"], 0.95)
        assert r["limits95"][0] == pytest.approx(lo[0], rel=1e-5)
        assert r["limits95"][0] < 1 < r["limits95"][1]
        assert r["limits998"][0] < r["limits95"][0] and r["limits95"][1] < r["limits998"][1]
        assert r["ratio"] == pytest.approx(r["observed"] / r["expected"], rel=1e-5)


def test_avoided_limits_use_the_binary_variance_and_hold_their_level() -> None:
    """For the common outcome, the funnel must have the width chance gives it.

    Under no regional effect, the share of region ratios outside the 95 % limits
    should be about 5 %: with the binary variance sum p(1-p) it is; with the
    Poisson variance E (the limits for rare outcomes) far fewer fall outside,
    so real differences would go unseen. 40 data sets x 10 regions = 400 ratios:
    the binomial 99 % band around 5 % is about 2.2-7.8 %, widened for the
    estimated case mix.
    """
    from scipy import stats

    z = stats.norm.ppf(0.975)
    outside_bernoulli = outside_poisson = total = 0
    for seed in range(40):
        block = regional_comparison(closures(seed=100 + seed, per_region=300, effect=0.0),
                                    SETTINGS)["vermeden"]
        assert block["limits"].startswith("normal, binary")
        for r in block["per_caw"]:
            lo, hi = r["limits95"]
            # 1 -+ z sqrt(V)/E with V <= E: narrower than z/sqrt(E)
            assert hi - 1 == pytest.approx(1 - lo, abs=2e-5)  # 6 significant digits
            assert hi - 1 < z / np.sqrt(r["expected"])
            outside_bernoulli += not lo <= r["ratio"] <= hi
            plo, phi = poisson_limits(r["expected"], 0.95)
            outside_poisson += not plo[0] <= r["ratio"] <= phi[0]
            total += 1
    assert 0.02 <= outside_bernoulli / total <= 0.09
    assert outside_poisson / total < 0.01


def test_the_region_with_a_true_effect_is_signalled_the_case_mix_regions_not(result) -> None:
    rows = {r["caw"]: r for r in result["uithuisgezet"]["per_caw"]}
    assert rows["R10"]["signal"] == "hoger" and rows["R10"]["ratio"] > 1.5
    assert [c for c in REGIONS if rows[c]["signal"] == "hoger"] == ["R10"]
    # the reference is the average practice of all regions, R10 included, so the
    # others sit below 1 together (the E's add up to the O's)
    others = sum(rows[c]["observed"] for c in REGIONS[:9]) / sum(
        rows[c]["expected"] for c in REGIONS[:9])
    assert 0.8 < others < 0.95
    # the crude comparison (no case mix) flags R01, which serves few procedures,
    # as far below the overall share; the case-mix adjusted ratio does not
    total = sum(r["observed"] for r in rows.values()) / sum(r["n"] for r in rows.values())
    crude_e = rows["R01"]["n"] * total
    lo, _ = poisson_limits(crude_e, 0.998)
    assert rows["R01"]["observed"] / crude_e < lo[0]
    assert rows["R01"]["signal"] is None and 0.9 < rows["R01"]["ratio"] < 1.2


def test_no_regional_effect_no_signals_for_either_outcome() -> None:
    result = regional_comparison(closures(seed=5, effect=0.0), SETTINGS)
    for block in result.values():
        assert [r["signal"] for r in block["per_caw"]] == [None] * 10
        assert all(0.6 < r["ratio"] < 1.4 for r in block["per_caw"])


def test_sparse_data_give_problems_not_crashes() -> None:
    empty = closures(seed=1, per_region=1).clear()
    result = regional_comparison(empty, SETTINGS)
    assert result["uithuisgezet"]["per_caw"] == [] and result["uithuisgezet"]["problems"]
    # no eviction at all: no model; expected is crude and 0 -> no ratio, said so
    none = closures(seed=2, per_region=30).with_columns(
        pl.lit("vermeden").alias("closure_outcome"))
    block = regional_comparison(none, SETTINGS)["uithuisgezet"]
    assert not block["adjusted"] and all(r["ratio"] is None for r in block["per_caw"])
    assert any("no case-mix model" in p for p in block["problems"])
