"""Outcome-specific models (pipeline.outcome_models): truth recovery, the mixing of the
all-closure hazard, Fine-Gray against its generating model, sparse data, JSON.

Generators with known truth: tests/competing_sim.py. Fast tests use one seed and
require every estimate within 3.5 standard errors of the truth; the slow studies
(``-m slow``) check 95 % interval coverage over 200 seeds: each model's pooled coverage
must lie in [0.925, 0.975] (binomial SE of a coverage over 800 intervals is 0.8 %).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from competing_sim import (
    CAUSE_SPECIFIC_TRUTH,
    COVARIATES,
    FINE_GRAY_TRUTH,
    fine_gray_model,
    latent_competing,
)
from registration_files import frame_of, open_row, valid_row

from pipeline import models, outcome_models
from pipeline.models import ModelSettings
from pipeline.stats import cox_ph
from pipeline.years import OUTCOMES, trajectories

SETTINGS = ModelSettings(cox_covariates=COVARIATES)


def dump(result) -> str:
    return json.dumps(result, allow_nan=False, sort_keys=True)


def _z(terms: list[dict], truth: dict[str, float]) -> dict[str, float]:
    return {t["term"]: (t["coef"] - truth[t["term"]]) / t["se"] for t in terms}


def _covered(terms: list[dict], truth: dict[str, float]) -> list[bool]:
    return [t["lower"] <= np.exp(truth[t["term"]]) <= t["upper"] for t in terms]


@pytest.fixture(scope="module")
def carried_in():
    return latent_competing(40_000, seed=1)


def test_cause_specific_recovers_the_log_hazard_ratios(carried_in):
    assert (carried_in["entry_days"] > 0).mean() > 0.3  # many carried-in trajectories
    result = outcome_models.cause_specific(carried_in, SETTINGS)
    assert list(result) == list(OUTCOMES)
    for outcome, block in result.items():
        assert block["n"] == carried_in.height and not block["problems"]
        assert block["events"] == int((carried_in["closure_outcome"] == outcome).sum())
        z = _z(block["terms"], CAUSE_SPECIFIC_TRUTH[outcome])
        assert max(abs(v) for v in z.values()) < 3.5, (outcome, z)
        (test,) = block["factor_tests"]
        assert (test["factor"], test["df"]) == ("gezinstype", 2)


def test_all_closure_hazard_mixes_opposite_effects(carried_in):
    """Truth: procedure_gestart HR 2.1 for eviction, 0.86 for an avoided eviction. The
    all-closure HR lies in between and far from both (it describes how fast support
    ends, not an outcome)."""
    by_outcome = outcome_models.cause_specific(carried_in, SETTINGS)
    hr = {k: next(t for t in v["terms"] if t["term"] == "procedure_gestart")
          for k, v in by_outcome.items()}
    assert hr["uithuisgezet"]["lower"] <= 2.1 <= hr["uithuisgezet"]["upper"]
    assert hr["vermeden"]["lower"] <= 0.86 <= hr["vermeden"]["upper"]
    sample = carried_in.with_columns(entry=carried_in["entry_days"] - 0.5)
    mixed = cox_ph(sample, "days_to_closure", "closed", list(COVARIATES), strata="caw",
                   entry="entry").terms.row(0, named=True)
    assert mixed["term"] == "procedure_gestart"
    assert 0.86 * 1.1 < mixed["hr_lower"] and mixed["hr_upper"] < 2.1 / 1.5
    naive = models.cox_model(carried_in, SETTINGS)  # the all-closure block, from day 0
    term = next(t for t in naive["terms"] if t["term"] == "procedure_gestart")
    assert 0.86 < term["hr"] < 2.1
    assert [f["factor"] for f in naive["factor_tests"]] == ["gezinstype"]
    assert naive["factor_tests"][0]["chi2"] > 0


def test_fine_gray_recovers_the_subdistribution_hazard_ratios():
    frame = fine_gray_model(20_000, seed=2)
    result = outcome_models.fine_gray_models(frame, SETTINGS)
    block = result["uithuisgezet"]
    assert block["n"] == frame.height and not block["problems"]
    assert block["events"] == int((frame["closure_outcome"] == "uithuisgezet").sum())
    z = _z(block["terms"], FINE_GRAY_TRUTH)
    assert max(abs(v) for v in z.values()) < 3.5, z
    assert {"shr", "lower", "upper"} <= set(block["terms"][0])


def test_fine_gray_leaves_carried_in_trajectories_out(carried_in):
    block = outcome_models.fine_gray_models(carried_in, SETTINGS)["uithuisgezet"]
    assert block["n"] == int((carried_in["entry_days"] == 0).sum()) < carried_in.height


def test_whole_day_entry_is_the_period_risk_set(carried_in):
    """A trajectory closed on its entry day is an event of the period analysis."""
    on_entry = carried_in.filter((carried_in["days_to_closure"] == carried_in["entry_days"])
                                 & carried_in["closed"])
    assert on_entry.height > 0
    result = outcome_models.cause_specific(carried_in, SETTINGS)
    assert sum(b["events"] for b in result.values()) == int(carried_in["closed"].sum())


@pytest.mark.parametrize("case", ["empty", "one_row", "no_closures", "one_level"])
def test_sparse_data_give_problems_not_crashes(case):
    rows = {"empty": [], "one_row": [valid_row(1)],
            "no_closures": [open_row(i, gezinstype=g) for i, g in
                            enumerate(["alleenstaand", "andere", "eenoudergezin"] * 2)],
            "one_level": [valid_row(i, gezinstype="alleenstaand") for i in range(1, 4)]}[case]
    valid = frame_of(rows) if rows else frame_of([valid_row(1)]).clear()
    frame = trajectories(valid, 2012)
    for function in (outcome_models.cause_specific, outcome_models.fine_gray_models):
        result = function(frame)
        dump(result)
        for block in result.values():
            assert block["problems"], (case, function.__name__)
            assert all(t["coef"] is None for t in block["terms"]) or block["events"]


def test_json_ready_deterministic_and_keys(carried_in):
    for function in (outcome_models.cause_specific, outcome_models.fine_gray_models):
        first = dump(function(carried_in, SETTINGS))
        assert first == dump(function(carried_in, SETTINGS))
        assert "NaN" not in first
    block = outcome_models.cause_specific(carried_in, SETTINGS)["vermeden"]
    assert set(block) == {"n", "events", "terms", "factor_tests", "problems"}
    assert set(block["terms"][0]) == {"term", "coef", "se", "hr", "lower", "upper", "p"}
    assert set(block["factor_tests"][0]) == {"factor", "chi2", "df", "p"}


@pytest.mark.slow
def test_cause_specific_coverage_over_seeds():
    covered = {k: [] for k in OUTCOMES}
    for seed in range(200):
        result = outcome_models.cause_specific(latent_competing(6_000, seed=1000 + seed),
                                               SETTINGS)
        for outcome, block in result.items():
            covered[outcome] += _covered(block["terms"], CAUSE_SPECIFIC_TRUTH[outcome])
    for outcome, hits in covered.items():
        assert 0.925 <= np.mean(hits) <= 0.975, (outcome, np.mean(hits))


@pytest.mark.slow
def test_fine_gray_coverage_over_seeds():
    hits = []
    for seed in range(200):
        block = outcome_models.fine_gray_models(fine_gray_model(3_000, seed=2000 + seed),
                                                SETTINGS)["uithuisgezet"]
        hits += _covered(block["terms"], FINE_GRAY_TRUTH)
    assert 0.925 <= np.mean(hits) <= 0.975, np.mean(hits)
