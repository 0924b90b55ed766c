"""Intake and waiting time (`intake` of results.json, issue 14 item 2).

Waiting time = days from datum_aanmelding to datum_start (registration-format.md,
"Definitions"), reported by the year of datum_start, over the trajectories started by
the cut-off of Y (trajectories(valid, Y), in scope). Why by the start year: a referral
is in the registration only once its support started, so a waiting time is known only
then; grouping by referral year would leave the latest referrals out and make the last
year look shorter. Rows without datum_aanmelding are left out (counted as
``missing_referral_date``). Quartiles are R's default (type 7, linear interpolation).

Starts per month per FTE in force = the year's starts / the sum over its months of the
FTE in force on each month's first day (FTE-months): comparable between a month before
and after the circular's extra FTE, unlike the year's mean FTE.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from pipeline.numbers import num
from pipeline.reference import Reference
from pipeline.reinforcement import fte_panel


def _quartiles(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {"median": None, "q1": None, "q3": None}
    q1, median, q3 = np.percentile(values, [25, 50, 75])  # linear = R type 7
    return {"median": num(median), "q1": num(q1), "q3": num(q3)}


def waiting_frame(traj: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """caw, year (of datum_start), waiting_days (null without datum_aanmelding)."""
    start = pl.col("datum_start")
    return (traj.filter(pl.col("in_scope") & start.dt.year().is_in(years))
            .select("caw", start.dt.year().alias("year"),
                    (start - pl.col("datum_aanmelding")).dt.total_days().alias("waiting_days")))


def intake(traj: pl.DataFrame, reference: Reference, year: int, years: list[int]
           ) -> dict[str, Any]:
    """The `intake` block: waiting days of Y's starts overall, and per CAW and year.

    `traj` = trajectories(valid, year); `years` = the years shown (trends.complete_years).
    """
    years = sorted(set(years) | {year})
    frame = waiting_frame(traj, years)
    fte_months = (fte_panel(reference, years)
                  .group_by("caw", pl.col("month").dt.year().alias("year"))
                  .agg(pl.col("fte").sum().alias("fte_months")))
    fte = {(c, y): f for c, y, f in fte_months.iter_rows()}
    this_year = frame.filter(pl.col("year") == year)
    known = this_year["waiting_days"].drop_nulls().to_numpy()
    codes = reference.regions["caw"].to_list()
    codes += sorted(set(frame["caw"].unique().to_list()) - set(codes))
    groups = {(c, y): part for (c, y), part in
              frame.partition_by("caw", "year", as_dict=True).items()}
    per_caw = []
    for code in codes:
        for y in years:
            part = groups.get((code, y), frame.clear())
            days = part["waiting_days"].drop_nulls().to_numpy()
            per_caw.append({"caw": code, "year": y, "starts": part.height, "n": int(days.size),
                            **_quartiles(days),
                            "starts_per_fte_month": (num(part.height / fte[(code, y)])
                                                     if fte.get((code, y)) else None)})
    return {
        "year": year,
        "waiting_days": {"n": int(known.size), **_quartiles(known),
                         "missing_referral_date": int(this_year.height - known.size)},
        "per_caw": per_caw,
        "definition": "Wachttijd = dagen van datum_aanmelding tot datum_start, per jaar van "
                      "datum_start; instroom per maand per VTE in voege = starts van het jaar "
                      "/ som over de maanden van de VTE in voege op de eerste dag.",
        "first_day": dt.date(min(years), 1, 1).isoformat(),
    }
