"""Need against supply per region, and a budget allocation that evens out coverage (issue 5).

Need (the circular's method, point 3): expected evictions = SHM dwellings x 1%
(1.65% in Gent 44021 and Antwerpen 11002) + SVK dwellings x 5%, from the landlord
table; FTE needed = expected evictions / 26.66 supports per FTE a year. Supply =
FTE in force on the cut-off (``Reference.fte_on``: base staffing of Y plus the extra
FTE in force), because a budget decision adds to the staff there is now; the
time-averaged FTE of the year is shown beside it. Coverage = FTE present / FTE needed.
Rates, supports per FTE and the cost of an FTE come from ``Reference.norms``.

Allocation: ``allocate`` maximises the lowest coverage (water-filling) in whole
hundredths of an FTE, the total being budget / cost rounded to 0.01 (EUR 500,000
/ 63,452 = 7.88 FTE; EUR 1,500,000 -> 23.64, the circular's totals). Exact
arithmetic (fractions), so the result is deterministic and the total exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import polars as pl

from pipeline.indicators import TOTAL, num, ratio
from pipeline.reference import BIG_CITY_NIS, Reference
from pipeline.years import cutoff

COST_PER_FTE = 63452
BUDGETS = (500_000, 1_000_000, 1_500_000, 2_000_000)
NOT_ALLOCATED = ("BRU",)  # the circular: Brussel later, by a separate agreement
CENT = Fraction(1, 100)


def _cents_to(level: Fraction, need: Fraction, present: Fraction) -> int:
    """Hundredths of an FTE a region needs to reach coverage `level` (0 when above it)."""
    return max(0, math.ceil((level * need - present) / CENT))


def allocate(budget_eur: float, need_fte: Mapping[str, float], present_fte: Mapping[str, float],
             *, cost_per_fte: float = COST_PER_FTE) -> dict[str, float]:
    """Extra FTE per region (keys and order of `need_fte`) for a budget.

    Max-min in hundredths: every region gets the hundredths it needs to reach the
    highest coverage level M the budget allows; each leftover hundredth goes to a
    region still at M, largest need first (the largest remainder of the continuous
    water-filling, which gives those regions (L - M) x need), then by code. So no
    region gets a negative amount, the total is exact, and no transfer of 0.01 FTE
    between regions raises the lowest coverage (each region's last hundredth was
    needed to lift it above M). Regions without need get 0. The total is
    budget / cost in hundredths, rounded half up.
    """
    if budget_eur < 0 or cost_per_fte <= 0:
        raise ValueError("Het budget mag niet negatief zijn en de kost per VTE moet positief "
                         "zijn.")
    if any(v < 0 for v in need_fte.values()) or any(v < 0 for v in present_fte.values()):
        raise ValueError("Nodige en aanwezige VTE mogen niet negatief zijn.")
    total = math.floor(Fraction(budget_eur) / Fraction(cost_per_fte) / CENT + Fraction(1, 2))
    need = {k: Fraction(v) for k, v in need_fte.items() if v > 0}
    present = {k: Fraction(present_fte.get(k, 0.0)) for k in need}
    cents = dict.fromkeys(need_fte, 0)
    if total == 0:
        return {k: 0.0 for k in need_fte}
    if not need:
        raise ValueError("Geen enkele regio heeft nood aan VTE: het budget kan niet verdeeld "
                         "worden.")

    def spent(level: Fraction) -> int:
        return sum(_cents_to(level, need[k], present[k]) for k in need)

    # The highest level M with spent(M) <= total lies on a breakpoint
    # (present + c/100) / need of some region: search each region's breakpoints.
    level = min(present[k] / need[k] for k in need)
    for k in need:
        low, high = 0, total
        if spent(present[k] / need[k]) > total:
            continue
        while low < high:
            mid = (low + high + 1) // 2
            if spent((present[k] + mid * CENT) / need[k]) <= total:
                low = mid
            else:
                high = mid - 1
        level = max(level, (present[k] + low * CENT) / need[k])
    for k in need:
        cents[k] = _cents_to(level, need[k], present[k])
    left = total - sum(cents.values())
    at_level = sorted((k for k in need if (present[k] + cents[k] * CENT) / need[k] == level),
                      key=lambda k: (-need[k], k))
    for k in at_level[:left]:
        cents[k] += 1
    if sum(cents.values()) != total:  # pragma: no cover - guarded by the search above
        raise AssertionError("allocation does not add up")
    return {k: float(Fraction(c, 100)) for k, c in cents.items()}


def coverage_after(need_fte: Mapping[str, float], present_fte: Mapping[str, float],
                   extra: Mapping[str, float]) -> dict[str, float | None]:
    return {k: ratio(present_fte.get(k, 0.0) + extra.get(k, 0.0), n) for k, n in need_fte.items()}


def scenarios(need_fte: Mapping[str, float], present_fte: Mapping[str, float],
              budgets: Sequence[float] = BUDGETS, *, cost_per_fte: float = COST_PER_FTE
              ) -> dict[str, Any]:
    """Several budgets side by side, each allocated from the same present FTE."""
    before = coverage_after(need_fte, present_fte, {})
    runs = []
    for budget in budgets:
        extra = allocate(budget, need_fte, present_fte, cost_per_fte=cost_per_fte)
        after = coverage_after(need_fte, present_fte, extra)
        runs.append({
            "budget_eur": num(budget), "total_fte": num(round(sum(extra.values()), 2)),
            "min_coverage_before": _min(before), "min_coverage_after": _min(after),
            "per_caw": [{"caw": k, "extra_fte": extra[k], "coverage_after": after[k]}
                        for k in need_fte]})
    table = [{"caw": k, "coverage": before[k],
              **{f"extra_fte_{int(b)}": r["per_caw"][i]["extra_fte"]
                 for b, r in zip(budgets, runs, strict=True)}}
             for i, k in enumerate(need_fte)]
    return {"cost_per_fte": num(cost_per_fte), "budgets": [num(b) for b in budgets],
            "runs": runs, "table": table}


def _min(values: Mapping[str, float | None]) -> float | None:
    known = [v for v in values.values() if v is not None]
    return min(known) if known else None


def need_supply(reference: Reference, year: int, *, budgets: Sequence[float] = BUDGETS,
                exclude: Sequence[str] = NOT_ALLOCATED,
                trajectories: pl.DataFrame | None = None) -> dict[str, Any]:
    """Need vs supply per region at Y's cut-off, with budget scenarios.

    The scenarios leave out the regions in `exclude`: by default Brussel, as the
    circular does (its share is to be settled by a separate agreement with the
    Brussels Capital Region); its need and supply are still shown. With
    `trajectories` (the year's frame), each region's active trajectories are set
    beside its expected evictions (supports given against the need estimate).
    """
    norms = reference.norms
    rates = {"SVK": norms["risico_svk"], "SHM": norms["risico_shm"],
             "SHM_grootstad": norms["risico_shm_grootstad"]}
    per_fte = norms["begeleidingen_per_vte_per_jaar"]
    cost = norms["kost_per_vte_eur"]
    kind = (pl.when(pl.col("verhuurder_type") == "SVK").then(pl.lit("SVK"))
            .when(pl.col("gemeente_nis").is_in(list(BIG_CITY_NIS))).then(pl.lit("SHM_grootstad"))
            .otherwise(pl.lit("SHM")))
    dwellings = {(caw, k): int(n) for caw, k, n in reference.landlords.with_columns(
        kind.alias("soort")).group_by("caw", "soort").agg(pl.col("woningen").sum()).rows()}
    present = {c: v for c, v in reference.fte_on(cutoff(year)).select("caw", "vte").rows()}
    averaged = dict(reference.fte_in_year(year).select("caw", "vte").rows())
    active: dict[str, int] = {}
    if trajectories is not None:
        active = dict(trajectories.group_by("caw").agg(pl.col("active").sum()).rows())
    rows = []
    for caw, naam in reference.regions.select("caw", "naam").iter_rows():
        d = {k: dwellings.get((caw, k), 0) for k in rates}
        expected = sum(d[k] * rates[k] for k in rates)
        needed = expected / per_fte
        row = {"caw": caw, "naam": naam, "dwellings_shm": d["SHM"],
               "dwellings_shm_big_city": d["SHM_grootstad"], "dwellings_svk": d["SVK"],
               "expected_evictions": num(expected), "fte_needed": num(needed),
               "fte_present": num(present.get(caw, 0.0)), "fte_year": num(averaged.get(caw)),
               "coverage": ratio(present.get(caw, 0.0), needed),
               "fte_gap": num(max(0.0, needed - present.get(caw, 0.0)))}
        if trajectories is not None:
            row["active"] = int(active.get(caw, 0))
            row["active_per_expected_eviction"] = ratio(row["active"], expected)
        rows.append(row)
    total = {"caw": TOTAL, "naam": "Vlaanderen en Brussel"}
    counts = ("dwellings_shm", "dwellings_shm_big_city", "dwellings_svk",
              *(("active",) if trajectories is not None else ()))
    for key in counts:
        total[key] = sum(r[key] for r in rows)
    for key in ("expected_evictions", "fte_needed", "fte_present", "fte_year", "fte_gap"):
        total[key] = num(sum(r[key] or 0 for r in rows))
    total["coverage"] = ratio(total["fte_present"], total["fte_needed"])
    if trajectories is not None:
        total["active_per_expected_eviction"] = ratio(total["active"],
                                                      total["expected_evictions"])
    need = {r["caw"]: r["fte_needed"] or 0.0 for r in rows if r["caw"] not in exclude}
    supply = {r["caw"]: r["fte_present"] or 0.0 for r in rows if r["caw"] not in exclude}
    return {
        "year": year, "cutoff": cutoff(year).isoformat(),
        "parameters": {"risk_svk": rates["SVK"], "risk_shm": rates["SHM"],
                       "risk_shm_big_city": rates["SHM_grootstad"],
                       "big_city_nis": list(BIG_CITY_NIS), "supports_per_fte_year": per_fte,
                       "cost_per_fte": cost},
        "fte_present_basis": "VTE in voege op de peildatum (basis van het jaar plus de extra "
                             "VTE van de omzendbrief die dan lopen).",
        "per_caw": rows, "overall": total,
        "scenarios": {"excluded": list(exclude),
                      **scenarios(need, supply, budgets, cost_per_fte=cost)},
        "illustrative_reference": reference.illustrative,
    }
