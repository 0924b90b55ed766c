"""Need vs supply and the max-min budget allocation (pipeline.allocation)."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from test_indicators import hand_reference

from pipeline.allocation import BUDGETS, allocate, need_supply, scenarios
from pipeline.reference import load_reference

COST = 63452


def coverage(need: dict, present: dict, extra: dict) -> dict:
    """Exact coverage per region with need (fractions: no rounding noise in comparisons)."""
    return {k: (Fraction(present.get(k, 0.0)) + Fraction(round(extra[k] * 100), 100))
            / Fraction(need[k]) for k in need if need[k] > 0}


def no_transfer_raises_the_minimum(need: dict, present: dict, extra: dict) -> bool:
    """Moving 0.01 FTE from any region that has it to any other never raises the minimum."""
    base = min(coverage(need, present, extra).values())
    for giver in extra:
        if extra[giver] < 0.005:
            continue
        for taker in extra:
            if taker == giver:
                continue
            moved = dict(extra)
            moved[giver] = round(moved[giver] - 0.01, 2)
            moved[taker] = round(moved[taker] + 0.01, 2)
            if min(coverage(need, present, moved).values()) > base:
                return False
    return True


def greedy_minimum(cents: int, need: dict, present: dict) -> Fraction:
    """Brute force: hand out hundredths one by one to the lowest coverage (max-min optimal)."""
    got = dict.fromkeys(need, 0)
    live = [k for k in need if need[k] > 0]
    for _ in range(cents):
        k = min(live, key=lambda r: (Fraction(present[r]) + Fraction(got[r], 100))
                / Fraction(need[r]))
        got[k] += 1
    return min((Fraction(present[k]) + Fraction(got[k], 100)) / Fraction(need[k]) for k in live)


# --------------------------------------------------------------------------- the circular


@pytest.fixture(scope="module")
def shipped() -> dict:
    return need_supply(load_reference(), 2011)


@pytest.mark.parametrize(("budget", "total"), [(500_000, 7.88), (1_500_000, 23.64)])
def test_the_circulars_totals(shipped, budget, total) -> None:
    # 500,000 / 63,452 = 7.87997 -> 7.88 FTE; 1,500,000 / 63,452 = 23.6399 -> 23.64 FTE
    need = {r["caw"]: r["fte_needed"] for r in shipped["per_caw"]}
    present = {r["caw"]: r["fte_present"] for r in shipped["per_caw"]}
    extra = allocate(budget, need, present, cost_per_fte=COST)
    assert round(sum(extra.values()) * 100) == round(total * 100)
    assert all(v >= 0 and round(v * 100) == pytest.approx(v * 100) for v in extra.values())
    assert no_transfer_raises_the_minimum(need, present, extra)
    runs = {r["budget_eur"]: r for r in shipped["scenarios"]["runs"]}
    assert runs[budget]["total_fte"] == total
    assert [x["caw"] for x in runs[budget]["per_caw"]] == [k for k in need if k != "BRU"]


def test_water_filling_by_hand() -> None:
    # need 10 and 10, present 0 and 5, 7 FTE: A gets x with x/10 = (5 + 7 - x)/10 -> x = 6
    assert allocate(7 * COST, {"A": 10, "B": 10}, {"A": 0, "B": 5}) == {"A": 6.0, "B": 1.0}
    # B already at coverage 5 > what A can reach: all to A, never negative for B
    assert allocate(COST, {"A": 10, "B": 1}, {"A": 0, "B": 5}) == {"A": 1.0, "B": 0.0}
    # 1.00 FTE over three equal regions: 0.33 each, the leftover hundredth by code
    assert allocate(COST, {"A": 3, "B": 3, "C": 3}, {}) == {"A": 0.34, "B": 0.33, "C": 0.33}
    # leftover at the lowest level goes to the largest need (largest remainder)
    assert allocate(COST, {"A": 1, "B": 2}, {}) == {"A": 0.33, "B": 0.67}
    # a region without need gets nothing, even when it has no staff
    assert allocate(COST, {"A": 2, "Z": 0}, {}) == {"A": 1.0, "Z": 0.0}
    assert allocate(0, {"A": 2}, {"A": 1}) == {"A": 0.0}


def test_refusals() -> None:
    with pytest.raises(ValueError, match="negatief"):
        allocate(-1, {"A": 1}, {})
    with pytest.raises(ValueError, match="nood"):
        allocate(COST, {"A": 0}, {"A": 1})
    with pytest.raises(ValueError, match="negatief"):
        allocate(COST, {"A": -1}, {})


def test_optimal_exact_and_deterministic_on_random_regions() -> None:
    """No 0.01 transfer raises the minimum, the minimum equals the brute-force greedy
    optimum, totals are exact, nothing is negative, same input -> same output."""
    rng = np.random.default_rng(20121201)
    for _ in range(40):
        n = int(rng.integers(2, 7))
        need = {f"R{i}": float(round(rng.uniform(0.2, 20), 3)) if rng.random() > 0.15 else 0.0
                for i in range(n)}
        need["R0"] = need["R0"] or 1.0
        present = {k: float(round(rng.uniform(0, 8), 2)) for k in need}
        budget = float(rng.integers(0, 250_000))
        extra = allocate(budget, need, present)
        cents = round(Fraction(budget) / COST * 100)
        assert sum(round(v * 100) for v in extra.values()) == cents
        assert all(v >= 0 for v in extra.values())
        assert all(extra[k] == 0 for k in need if need[k] == 0)
        assert no_transfer_raises_the_minimum(need, present, extra)
        assert min(coverage(need, present, extra).values()) == greedy_minimum(
            cents, need, present)
        assert allocate(budget, need, present) == extra


def test_scenarios_side_by_side() -> None:
    need, present = {"A": 10.0, "B": 10.0}, {"A": 0.0, "B": 5.0}
    result = scenarios(need, present, (COST * 3, COST * 7))
    assert [r["total_fte"] for r in result["runs"]] == [3.0, 7.0]
    assert result["runs"][1]["min_coverage_after"] == 0.6  # 6/10 and 6/10
    assert result["runs"][0]["min_coverage_before"] == 0.0
    assert result["table"][0] == {"caw": "A", "coverage": 0.0, "extra_fte_190356": 3.0,
                                  "extra_fte_444164": 6.0}
    json.dumps(result, allow_nan=False)


# --------------------------------------------------------------------------- need vs supply


def test_need_supply_by_hand() -> None:
    result = need_supply(hand_reference(), 2013, budgets=(COST,))
    ovl, bmk = result["per_caw"]
    # OVL: SHM-1 1000 in Gent x 1.65% + SHM-2 500 x 1% + SVK-1 100 x 5% = 16.5 + 5 + 5
    assert (ovl["dwellings_shm_big_city"], ovl["dwellings_shm"], ovl["dwellings_svk"]) == (
        1000, 500, 100)
    assert ovl["expected_evictions"] == 26.5
    assert ovl["fte_needed"] == pytest.approx(26.5 / 26.66, rel=1e-5)  # 0.993998
    # present on 2013-12-31: 2.0 + 1.0 extra; the year average 2.2
    assert (ovl["fte_present"], ovl["fte_year"]) == (3.0, 2.2)
    assert ovl["coverage"] == pytest.approx(3.0 / (26.5 / 26.66), rel=1e-5)
    assert ovl["fte_gap"] == 0.0
    # BMK: 800 x 1% + 200 x 5% = 18 -> 0.675169 FTE needed, 1.0 present
    assert bmk["expected_evictions"] == 18
    assert bmk["coverage"] == pytest.approx(1.0 / (18 / 26.66), rel=1e-5)
    total = result["overall"]
    assert total["expected_evictions"] == 44.5 and total["fte_present"] == 4.0
    assert total["coverage"] == pytest.approx(4.0 / (44.5 / 26.66), rel=1e-5)
    # 1 FTE to the lower coverage first: BMK (1.48) is lifted before OVL (3.02)
    (run,) = result["scenarios"]["runs"]
    assert {x["caw"]: x["extra_fte"] for x in run["per_caw"]} == {"OVL": 0.0, "BMK": 1.0}


def test_need_supply_shipped_reference_and_trajectories() -> None:
    import polars as pl

    result = need_supply(load_reference(), 2013, trajectories=pl.DataFrame(
        {"caw": ["MTM", "MTM", "OVL"], "active": [True, False, True]}))
    rows = {r["caw"]: r for r in result["per_caw"]}
    # MTM: 14000 x 1% + 24000 (Antwerpen) x 1.65% + 2000 x 5% = 140 + 396 + 100
    assert rows["MTM"]["expected_evictions"] == 636
    assert rows["MTM"]["active"] == 1 and rows["BMK"]["active"] == 0
    assert rows["MTM"]["active_per_expected_eviction"] == pytest.approx(1 / 636, rel=1e-5)
    assert result["overall"]["active"] == 2  # MTM 1 + OVL 1, of 2397 expected evictions
    assert result["overall"]["active_per_expected_eviction"] == pytest.approx(2 / 2397, rel=1e-5)
    assert result["illustrative_reference"] is True
    assert result["scenarios"]["budgets"] == [float(b) for b in BUDGETS]
    assert result["scenarios"]["excluded"] == ["BRU"]
    json.dumps(result, allow_nan=False)
