"""Programme indicators of a reporting year against the circular's norms (issue 5).

Why plain functions over the trajectories frame (pipeline.years) and the reference
data: the Dagster asset, the CLI, the survey export and the tests use the same
code, and results.json takes the dicts as they are. Numbers are plain floats with
6 significant digits, ``None`` where a figure cannot be computed (no FTE, no
closures), so the same inputs give the same bytes with ``allow_nan=False``.

Decisions, stated once:
* FTE of a region in Y = ``Reference.fte_in_year``: base staffing of Y plus every
  extra FTE of the circular weighted by the share of Y's days it was in force
  (OVL 2012: 3.50 + 3.79 x 31/366). Clients per FTE = trajectories active in Y /
  that FTE; ``meets_norm`` = clients per FTE >= 27 (``None`` without FTE).
* Mean caseload = sum of open days in Y / days in Y (the time-averaged number of
  open trajectories), per FTE against the circular's 20 (a reference value, not a
  minimum: shown as a ratio).
* Duration of a region = the year's own estimate of pipeline.duration (period
  analysis: every trajectory active in Y enters at max(start, Y-01-01), delayed
  entry): ``median_duration_days`` the Kaplan-Meier median, ``rmst_days`` the
  restricted mean to 730 days with its interval. Not the durations of the year's
  closures: a region whose intake grows closes mostly short new cases, so those
  rank regions by their growth, not by their duration (issue 12).
  9 months = 9 x 365.25/12 = 273.94 days is the 2011 study's MEAN, so
  ``duration_within_norm`` = RMST <= that (mean against mean; ``None`` when the
  RMST is not estimable). ``mean_duration_days`` stays the mean of the year's
  closures: it is W of Little's law below, not a duration estimate.
* Little's law L = lambda x W with lambda = closures in Y per day (throughput, as
  the circular's 26.66 completed supports a year) and W = their mean duration, so
  lambda x W = their summed durations / days in Y. Shown: L, lambda x W, L - lambda x W
  and (L - lambda x W) / (lambda x W). They agree in a steady state; a growing
  caseload (new staff) makes L exceed lambda x W.
* Home visits, contacts, referral on and aftercare: over the trajectories closed in
  Y with the field filled (counts grow during support; only closed ones are complete).
* Goals and eviction avoided: closures in Y (eviction avoided: ja/nee only, as
  everywhere); 95% Wilson score intervals.
* Re-referral (herval): see ``re_referral``. Agreements and extra FTE: see
  ``pipeline.agreements``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from pipeline.agreements import agreement_coverage, extra_fte_effect
from pipeline.duration import estimate, period_by_caw, period_sample
from pipeline.measures import TOTAL, norms_of, ratio, wilson
from pipeline.numbers import num
from pipeline.reference import Reference
from pipeline.years import cutoff

DAYS_PER_MONTH = 365.25 / 12
GOALS = ("bereikt", "gedeeltelijk", "niet_bereikt")


def _aggregations(first: dt.date) -> list[pl.Expr]:
    closed = pl.col("closed_in_year")
    visits, contacts = pl.col("aantal_huisbezoeken"), pl.col("aantal_contacten")

    def among_closed(expr: pl.Expr) -> pl.Expr:
        return expr.filter(closed)

    out = [
        pl.col("active").sum().alias("active"),
        (pl.col("in_scope") & (pl.col("datum_start") >= first)).sum().alias("started"),
        closed.sum().alias("closed"),
        pl.col("open_at_cutoff").sum().alias("open_at_cutoff"),
        pl.col("open_days_in_year").sum().alias("open_days"),
        among_closed(pl.col("days_to_closure")).mean().alias("mean_duration_days"),
        among_closed(pl.col("days_to_closure")).sum().alias("closed_days"),
        among_closed(visits).count().alias("visits_n"),
        among_closed(visits).sum().alias("visits_sum"),
        among_closed(visits >= 1).sum().alias("visits_any"),
        among_closed(contacts).count().alias("contacts_n"),
        among_closed(contacts).sum().alias("contacts_sum"),
        among_closed(pl.col("doorverwezen")).count().alias("referred_n"),
        among_closed(pl.col("doorverwezen")).sum().alias("referred"),
        among_closed(pl.col("nazorg")).count().alias("aftercare_n"),
        among_closed(pl.col("nazorg")).sum().alias("aftercare"),
        among_closed(pl.col("handelingsdoelen")).count().alias("goals_n"),
        pl.col("eviction_avoided").count().alias("eviction_n"),
        pl.col("eviction_avoided").cast(pl.Int64).sum().alias("eviction_yes"),
        among_closed(pl.col("uithuiszetting_vermeden") == "onbekend").sum()
        .alias("eviction_unknown"),
    ]
    out += [among_closed(pl.col("handelingsdoelen") == g).sum().alias(f"goals_{g}")
            for g in GOALS]
    return out


def _row(caw: str, naam: str | None, fte: dict[str, float], agg: dict[str, Any],
         days: int, norms: dict[str, float], period: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    """One region's (or the overall) indicators from its aggregates, FTE and period
    duration estimate (pipeline.duration.estimate; None: no trajectory active in Y)."""
    period = period or {"median_days": None, "median_ci": [None, None], "rmst_days": None,
                        "rmst_ci": [None, None]}
    rmst_days = period["rmst_days"]
    total_fte = fte["vte"]
    clients = ratio(agg["active"], total_fte)
    caseload = agg["open_days"] / days
    caseload_fte = ratio(caseload, total_fte)
    mean_days = agg["mean_duration_days"]
    predicted = agg["closed_days"] / days if agg["closed"] else None
    norm_days = norms["gemiddelde_duur_maanden"] * DAYS_PER_MONTH
    row: dict[str, Any] = {
        "caw": caw, "naam": naam, "fte": num(total_fte), "fte_base": num(fte["basis_vte"]),
        "fte_extra": num(fte["extra_vte"]),
        "active": int(agg["active"]), "started": int(agg["started"]),
        "closed": int(agg["closed"]), "open_at_cutoff": int(agg["open_at_cutoff"]),
        "clients_per_fte": clients,
        "meets_norm": None if clients is None else clients >= norms["clienten_per_vte"],
        "started_per_fte": ratio(agg["started"], total_fte),
        "closed_per_fte": ratio(agg["closed"], total_fte),
        "mean_caseload": num(caseload),
        "mean_caseload_per_fte": caseload_fte,
        "caseload_ratio_to_norm": ratio(caseload_fte, norms["gelijktijdig_per_vte"]),
        "median_duration_days": period["median_days"],
        "median_duration_ci": period["median_ci"],
        "rmst_days": rmst_days, "rmst_ci": period["rmst_ci"],
        "rmst_months": ratio(rmst_days, DAYS_PER_MONTH),
        "duration_basis": "period",
        "mean_duration_days": num(mean_days),
        "mean_duration_months": ratio(mean_days, DAYS_PER_MONTH),
        "duration_within_norm": None if rmst_days is None else rmst_days <= norm_days,
        "little_caseload": num(caseload),
        "little_throughput_per_year": int(agg["closed"]),
        "little_predicted_caseload": num(predicted),
        "little_discrepancy": None if predicted is None else num(caseload - predicted),
        "little_relative_discrepancy": ratio(None if predicted is None
                                             else caseload - predicted, predicted),
        "visits_n": int(agg["visits_n"]),
        "home_visits_per_trajectory": ratio(agg["visits_sum"], agg["visits_n"]),
        "share_home_visit": ratio(agg["visits_any"], agg["visits_n"]),
        "share_home_visit_ci": wilson(int(agg["visits_any"]), int(agg["visits_n"])),
        "contacts_per_trajectory": ratio(agg["contacts_sum"], agg["contacts_n"]),
        "referred_n": int(agg["referred_n"]),
        "share_referred_on": ratio(agg["referred"], agg["referred_n"]),
        "aftercare_n": int(agg["aftercare_n"]),
        "share_aftercare": ratio(agg["aftercare"], agg["aftercare_n"]),
        "goals_n": int(agg["goals_n"]),
    }
    for goal in GOALS:
        k = int(agg[f"goals_{goal}"])
        row[f"goals_{goal}"] = k
        row[f"goals_{goal}_share"] = ratio(k, agg["goals_n"])
        row[f"goals_{goal}_ci"] = wilson(k, int(agg["goals_n"]))
    row |= {
        "eviction_n": int(agg["eviction_n"]), "eviction_avoided": int(agg["eviction_yes"] or 0),
        "eviction_avoided_rate": ratio(agg["eviction_yes"], agg["eviction_n"]),
        "eviction_avoided_ci": wilson(int(agg["eviction_yes"] or 0), int(agg["eviction_n"])),
        "eviction_unknown": int(agg["eviction_unknown"]),
    }
    return row


def activity(traj: pl.DataFrame, reference: Reference, year: int
             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Norms, caseload, duration, Little's law, features and outcomes: per caw and overall."""
    first, last = dt.date(year, 1, 1), cutoff(year)
    days = (last - first).days + 1
    norms = norms_of(reference)
    fte = {r["caw"]: r for r in reference.fte_in_year(year).iter_rows(named=True)}
    names = dict(reference.regions.select("caw", "naam").iter_rows())
    aggs = _aggregations(first)
    by_caw = {r["caw"]: r for r in traj.group_by("caw").agg(aggs).iter_rows(named=True)}
    empty = pl.DataFrame(schema=traj.schema).select(aggs).row(0, named=True)
    codes = list(names) + sorted(set(by_caw) - set(names))
    no_fte = {"basis_vte": 0.0, "extra_vte": 0.0, "vte": 0.0}
    period = period_by_caw(traj, year)
    sample = period_sample(traj, year)
    period[TOTAL] = estimate(sample["days_to_closure"].cast(pl.Float64).to_numpy(),
                             sample["closed"].fill_null(False).to_numpy(),
                             sample["period_entry_days"].to_numpy() - 0.5)
    per_caw = [_row(c, names.get(c), fte.get(c, no_fte), by_caw.get(c, empty), days, norms,
                    period.get(c)) for c in codes]
    total_fte = {k: sum(f[k] for f in fte.values()) for k in no_fte}
    overall = _row(TOTAL, "Vlaanderen en Brussel", total_fte,
                   traj.select(aggs).row(0, named=True), days, norms, period[TOTAL])
    overall["regions_meeting_norm"] = sum(bool(r["meets_norm"]) for r in per_caw)
    overall["regions_with_fte"] = sum(r["fte"] is not None and r["fte"] > 0 for r in per_caw)
    return per_caw, overall


def re_referral(traj: pl.DataFrame, year: int) -> dict[str, Any]:
    """Herval: share of the clients whose trajectory closed in Y-1 who got a new one
    within 12 months after the closure, by pseudonymised ``client_id``.

    Why closures in Y-1: only they have a full 12 months of follow-up by Y's cut-off
    (closure date c, new trajectory started in (c, c + 1 year], all <= the cut-off).
    The new trajectory may be of any CAW; it counts only when it is in the delivery.
    Closures without ``client_id`` cannot be followed and are left out (counted).
    """
    prev_first, prev_last = dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31)
    closure = pl.col("datum_afsluiting_y").cast(pl.Date)
    cohort = (traj.with_row_index("_row")
              .filter(pl.col("in_scope") & closure.is_between(prev_first, prev_last))
              .select("_row", "caw", "client_id", closure.alias("_closed")))
    known = cohort.filter(pl.col("client_id").is_not_null())
    starts = traj.filter(pl.col("in_scope") & pl.col("client_id").is_not_null()).select(
        "client_id", pl.col("datum_start").alias("_next"))
    again = (known.join(starts, on="client_id", how="inner")
             .filter((pl.col("_next") > pl.col("_closed"))
                     & (pl.col("_next") <= pl.col("_closed").dt.offset_by("1y")))
             .select("_row").unique())
    flagged = known.with_columns(pl.col("_row").is_in(again["_row"].implode()).alias("_again"))

    def block(part: pl.DataFrame, cohort_n: int) -> dict[str, Any]:
        n, k = part.height, int(part["_again"].sum())
        return {"closed_prev_year": cohort_n, "with_client_id": n, "re_referred": k,
                "rate": ratio(k, n), "rate_ci": wilson(k, n)}

    per_caw = [{"caw": caw, **block(flagged.filter(pl.col("caw") == caw),
                                    cohort.filter(pl.col("caw") == caw).height)}
               for caw in sorted(cohort["caw"].unique().to_list())]
    if cohort.is_empty():
        note = (f"Geen afsluitingen in {year - 1} in de levering: het herval binnen 12 "
                f"maanden na afsluiting kan voor {year} niet bepaald worden.")
    elif known.is_empty():
        note = (f"Geen enkele afsluiting in {year - 1} heeft een client_id: het herval kan "
                f"niet bepaald worden.")
    else:
        missing = cohort.height - known.height
        note = (f"Afsluitingen in {year - 1}, gevolgd tot 12 maanden na de afsluiting "
                f"(een nieuw traject bij om het even welk CAW in de levering)"
                + (f"; {missing} zonder client_id tellen niet mee." if missing else "."))
    return {"available": not known.is_empty(), "cohort_year": year - 1,
            "window": "12 maanden na de afsluitdatum", "note": note,
            "overall": block(flagged, cohort.height), "per_caw": per_caw}


def programme_indicators(traj: pl.DataFrame, reference: Reference, year: int
                         ) -> dict[str, Any]:
    """Everything `indicators` of results.json holds for reporting year `year`."""
    per_caw, overall = activity(traj, reference, year)
    norms = norms_of(reference)
    return {
        "year": year, "cutoff": cutoff(year).isoformat(),
        "days_in_year": (cutoff(year) - dt.date(year, 1, 1)).days + 1,
        "norms": {"clients_per_fte": norms["clienten_per_vte"],
                  "caseload_per_fte": norms["gelijktijdig_per_vte"],
                  "duration_months": norms["gemiddelde_duur_maanden"],
                  "duration_days": num(norms["gemiddelde_duur_maanden"] * DAYS_PER_MONTH),
                  "supports_per_fte_year": norms["begeleidingen_per_vte_per_jaar"]},
        "fte_basis": "VTE gemiddeld over het jaar: basispersoneel van het jaar plus de extra "
                     "VTE van de omzendbrief naar rato van de dagen in voege.",
        "per_caw": per_caw,
        "overall": overall,
        "re_referral": re_referral(traj, year),
        "agreements": agreement_coverage(reference, year),
        "extra_fte": extra_fte_effect(traj, reference, year, per_caw),
        "illustrative_reference": reference.illustrative,
    }
