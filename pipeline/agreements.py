"""Cooperation agreements per region and the effect of the circular's extra FTE (issue 5).

Split from pipeline.indicators (same conventions: JSON-ready dicts, 6 significant
digits, None where a figure cannot be computed).

Decisions, stated once:
* An agreement is *in force at the cut-off* when the landlord table marks it
  (``overeenkomst = ja``) and it was signed on or before Y-12-31
  (``overeenkomst_sinds <= cut-off``; an undated agreement counts as in force and
  is counted in ``undated``). The table has no end date: an agreement ended
  before the cut-off can only be seen by updating the table.
* *Gebiedsdekkend* (area-wide, as the circular demands): every SHM and SVK of the
  region in the landlord table has an agreement in force, so every social tenant
  of the region can be referred. ``None`` for a region without landlords.
* Local authorities involved: agreements in force with ``lokaal_bestuur = ja``;
  ``all_with_local_authority`` when that holds for every agreement in force.
* Extra FTE: one row per reinforcement (region, date) in force by the cut-off.
  Activity before and after the date is compared over two windows of equal length:
  at most 365 days, not past the cut-off, and not reaching another reinforcement of
  the same region (OVL 2012-12-01 and 2013-01-01: December 2012 against November,
  then January 2013 against December), so each step is judged on its own. Activity =
  starts (``datum_start`` in the window) and mean caseload (open trajectories per day).
  The extension counts as *realised within one month* when more trajectories
  started in the 31 days from the date (``uitbreiding_binnen_dagen``) than the
  before-window rate gives for 31 days; ``None`` when that month is not complete
  by the cut-off or the delivery holds no trajectories from before the
  before-window (nothing to compare with).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from pipeline.measures import TOTAL, norms_of, ratio
from pipeline.numbers import num
from pipeline.reference import Reference
from pipeline.years import cutoff

KINDS = ("SHM", "SVK")
MAX_WINDOW_DAYS = 365


def _coverage_block(part: pl.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in (*KINDS, None):
        sub = part if kind is None else part.filter(pl.col("verhuurder_type") == kind)
        prefix = "landlords" if kind is None else kind.lower()
        n, covered = sub.height, int(sub["in_force"].sum())
        dwellings = int(sub["woningen"].sum())
        dwellings_covered = int(sub.filter(pl.col("in_force"))["woningen"].sum())
        out |= {f"{prefix}_n": n, f"{prefix}_covered": covered,
                f"{prefix}_share": ratio(covered, n),
                f"{prefix}_dwellings": dwellings,
                f"{prefix}_dwellings_covered": dwellings_covered,
                f"{prefix}_dwellings_share": ratio(dwellings_covered, dwellings)}
    in_force = part.filter(pl.col("in_force"))
    with_local = int(in_force["lokaal_bestuur"].sum())
    by_town = part.group_by("gemeente_nis").agg(pl.col("in_force").all())
    out |= {
        "agreements_in_force": in_force.height,
        "with_local_authority": with_local,
        "share_with_local_authority": ratio(with_local, in_force.height),
        "all_with_local_authority": None if in_force.is_empty()
        else with_local == in_force.height,
        "municipalities": by_town.height,
        "municipalities_covered": int(by_town["in_force"].sum()),
        "gebiedsdekkend": None if part.is_empty() else bool(part["in_force"].all()),
        "undated": part.filter(pl.col("overeenkomst")
                               & pl.col("overeenkomst_sinds").is_null()).height,
        "signed_after_cutoff": sorted(part.filter(pl.col("overeenkomst") & ~pl.col("in_force"))
                                      ["verhuurder_id"].to_list()),
        "uncovered": sorted(part.filter(~pl.col("in_force"))["verhuurder_id"].to_list()),
    }
    return out


def agreement_coverage(reference: Reference, year: int) -> dict[str, Any]:
    """Share of SHM's, SVK's and their dwellings covered at the cut-off, per region."""
    last = cutoff(year)
    table = reference.landlords.with_columns(
        (pl.col("overeenkomst") & (pl.col("overeenkomst_sinds").is_null()
                                   | (pl.col("overeenkomst_sinds") <= last))).alias("in_force"))
    per_caw = [{"caw": caw, "naam": naam,
                **_coverage_block(table.filter(pl.col("caw") == caw))}
               for caw, naam in reference.regions.select("caw", "naam").iter_rows()]
    overall = {"caw": TOTAL, "naam": "Vlaanderen en Brussel", **_coverage_block(table)}
    overall["regions_gebiedsdekkend"] = sum(bool(r["gebiedsdekkend"]) for r in per_caw)
    return {"cutoff": last.isoformat(), "per_caw": per_caw, "overall": overall,
            "illustrative": bool(reference.landlords["illustratief"].any())}


def _window(scope: pl.DataFrame, a: dt.date, b: dt.date, last: dt.date) -> tuple[int, float]:
    """Starts in [a, b) and the mean number of trajectories open per day of [a, b)."""
    end = pl.coalesce(pl.col("datum_afsluiting_y").cast(pl.Date),
                      pl.lit(last + dt.timedelta(days=1)))
    overlap = (pl.min_horizontal(end, pl.lit(b)) - pl.max_horizontal(pl.col("datum_start"),
                                                                      pl.lit(a)))
    starts, open_days = scope.select(
        pl.col("datum_start").is_between(a, b, closed="left").sum(),
        overlap.dt.total_days().clip(lower_bound=0).sum()).row(0)
    return int(starts), open_days / (b - a).days


def extra_fte_effect(traj: pl.DataFrame, reference: Reference, year: int,
                     per_caw: list[dict[str, Any]]) -> dict[str, Any]:
    """Per reinforcement: activity before/after the date, realised within one month;
    per reinforced region: clients per FTE with and without the extra FTE."""
    last = cutoff(year)
    month = int(reference.norms["uitbreiding_binnen_dagen"])
    per_fte = norms_of(reference)["begeleidingen_per_vte_per_jaar"]
    scope = traj.filter(pl.col("in_scope"))
    earliest = scope["datum_start"].min()
    steps = (reference.extra_fte.filter(pl.col("vanaf") <= last).sort("vanaf", "caw")
             .select("caw", "vanaf", "extra_vte", "budget_eur").rows())
    dates: dict[str, list[dt.date]] = {}
    for caw, since in reference.extra_fte.select("caw", "vanaf").unique().sort("vanaf").rows():
        dates.setdefault(caw, []).append(since)
    rows = []
    for caw, since, extra, budget in steps:
        gaps = [(since - d).days for d in dates[caw] if d < since]
        gaps += [(d - since).days for d in dates[caw] if d > since]
        window = min([MAX_WINDOW_DAYS, (last - since).days + 1, *gaps])
        lead = since - dt.timedelta(days=window)
        region = scope.filter(pl.col("caw") == caw)
        starts_before, caseload_before = _window(region, lead, since, last)
        starts_after, caseload_after = _window(region, since, since + dt.timedelta(window), last)
        first_month, _ = _window(region, since, since + dt.timedelta(days=month), last)
        baseline = starts_before * month / window
        comparable = earliest is not None and earliest <= lead
        complete = since + dt.timedelta(days=month - 1) <= last
        fte = {when: reference.fte_on(day).filter(pl.col("caw") == caw)["vte"].item()
               for when, day in (("before", since - dt.timedelta(days=1)), ("after", since))}
        rows.append({
            "caw": caw, "vanaf": since.isoformat(), "extra_fte": num(extra),
            "budget_eur": num(budget), "window_days": window,
            "before_from": lead.isoformat(),
            "after_to": (since + dt.timedelta(days=window - 1)).isoformat(),
            "fte_before": num(fte["before"]), "fte_after": num(fte["after"]),
            "starts_before": starts_before, "starts_after": starts_after,
            "starts_change": ratio(starts_after - starts_before, starts_before),
            "caseload_before": num(caseload_before), "caseload_after": num(caseload_after),
            "starts_first_month": first_month, "baseline_first_month": num(baseline),
            "expected_extra_starts_first_month": num(extra * per_fte * month / 365.25),
            "realised_within_month": (first_month > baseline) if comparable and complete
            else None,
            "note": None if comparable and complete else
            ("De eerste maand na de datum valt niet volledig voor de peildatum."
             if not complete else "Geen trajecten uit de periode vóór de versterking in "
                                  "de levering: niets om mee te vergelijken."),
        })
    reinforced = sorted({r["caw"] for r in rows})
    regions = []
    for row in (r for r in per_caw if r["caw"] in reinforced):
        base_only = ratio(row["active"], row["fte_base"])
        regions.append({
            "caw": row["caw"], "fte_base": row["fte_base"], "fte_extra": row["fte_extra"],
            "fte": row["fte"], "active": row["active"],
            "clients_per_fte": row["clients_per_fte"], "meets_norm": row["meets_norm"],
            "clients_per_base_fte": base_only,
            "meets_norm_base_only": None if base_only is None
            else base_only >= norms_of(reference)["clienten_per_vte"]})
    return {"per_reinforcement": rows, "per_caw": regions,
            "window": f"gelijke vensters van hoogstens {MAX_WINDOW_DAYS} dagen voor en na "
                      f"de datum, afgekapt op de peildatum en op een andere versterking "
                      f"van dezelfde regio",
            "realised_rule": f"meer trajecten gestart in de {month} dagen vanaf de datum dan "
                             f"het ritme van het venster ervoor voor {month} dagen geeft"}
