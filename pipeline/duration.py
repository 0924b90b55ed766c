"""The year's own duration estimate (`duration` of results.json, issue 12 items 2-3).

Plain functions over the trajectories frame (pipeline.years). Estimands:

* **Period analysis** (the headline, ``basis = "period"``): every trajectory at risk
  in the period [period_start, cut-off] (in scope, open at period_start or starting
  later, closed on or after period_start or still open) enters the risk set at
  max(datum_start, period_start) on the scale "days since datum_start" (delayed
  entry) and leaves at its closure or the cut-off. period_start defaults to Y-01-01
  (then the sample is `active` and the entry is `entry_days` of the trajectories
  frame). Only follow-up inside the period counts, so trajectories carried in from
  before the registration window (which appear only because they were still open)
  do not bias it, as long as period_start lies inside the window (an earlier
  period_start brings the bias back). A trajectory is at risk on the days
  entry..exit inclusive, which is R's ``Surv(entry - 0.5, exit, closed)``: that is
  what we pass to the counting-process Kaplan-Meier (pipeline.stats.kaplan_meier,
  entry=); tests/stats/test_delayed_entry.py checks this against R on tied days.
* **Start-year cohorts** (``by_start_year``): the trajectories started in a year,
  followed from day 0 to the cut-off (no delayed entry). Complete only when the year
  lies inside the registration window of every region with trajectories in it (see
  :func:`registration_window`); older cohorts hold only the trajectories still open
  at the window's start, so their estimates are length-biased and flagged
  ``complete: false``.

From each fit: the Kaplan-Meier median with its interval (R ``survfit`` rules, log
interval) and the restricted mean time to closure RMST(tau) = the area under the
curve up to tau = 730 days, with its Greenwood-type standard error and a plain
interval (pipeline.stats.rmst). RMST is ``None`` when tau lies beyond the last
observed time while the curve is still above 0 (it would be extrapolated).

Why RMST next to the median: the 2011 study's 9 months (274 days,
``study_mean_days``) is a MEAN duration. Durations are right-skewed, so a median
lies below the mean by construction; compare 274 with the RMST (the mean of
min(duration, 730 days)), never with the median. RMST(730) is itself a little
below the unrestricted mean when some trajectories last longer than two years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from pipeline.numbers import num
from pipeline.stats import kaplan_meier
from pipeline.stats.kaplan_meier import CONF_TYPES
from pipeline.stats.rmst import rmst
from pipeline.years import cutoff

TAU_DAYS = 730
#: The 2011 study's mean duration, 9 months = 9 x 365.25 / 12 = 273.9 days, rounded.
STUDY_MEAN_DAYS = 274
WINDOW_COLUMN = "registratie_sinds"  # optional column of the reference caw_regios.csv


def period_sample(traj: pl.DataFrame, year: int, period_start: dt.date | None = None
                  ) -> pl.DataFrame:
    """The rows at risk in [period_start, cut-off] with ``period_entry_days``.

    period_entry_days = days from datum_start to max(datum_start, period_start).
    """
    start = period_start or dt.date(year, 1, 1)
    if start > cutoff(year):
        raise ValueError(f"period_start {start} lies after the cut-off {cutoff(year)}")
    closure = pl.col("datum_afsluiting_y")
    return traj.filter(pl.col("in_scope") & (closure.is_null() | (closure >= start))
                       ).with_columns(
        (pl.max_horizontal(pl.col("datum_start"), pl.lit(start)) - pl.col("datum_start"))
        .dt.total_days().alias("period_entry_days"))


def _arrays(sample: pl.DataFrame, entry: str | None):
    t = sample["days_to_closure"].cast(pl.Float64).to_numpy()
    e = sample["closed"].fill_null(False).to_numpy().astype(bool)
    start = None if entry is None else sample[entry].cast(pl.Float64).to_numpy() - 0.5
    return t, e, start


def estimate(t: np.ndarray, e: np.ndarray, entry: np.ndarray | None, *, tau: float = TAU_DAYS,
             conf_level: float = 0.95, conf_type: str = "log") -> dict[str, Any]:
    """KM median and RMST(tau) of one sample, JSON-ready (entry: R's start, or None)."""
    km = kaplan_meier(t, e, entry=entry, conf_level=conf_level, conf_type=conf_type)
    problems = list(km.problems)
    if km.n == 0:
        return {"n": 0, "events": 0, "median_days": None, "median_ci": [None, None],
                "rmst_days": None, "rmst_ci": [None, None], "problems": problems}
    area = rmst(km, tau, conf_level=conf_level)
    known = not area.beyond_follow_up
    if not known:
        problems.append(f"follow-up ends at day {km.timeline[-1]:g}, before tau = {tau:g}: "
                        f"no restricted mean")
    return {"n": km.n, "events": km.events, "median_days": num(km.median),
            "median_ci": [num(km.median_ci[0]), num(km.median_ci[1])],
            "rmst_days": num(area.estimate) if known else None,
            "rmst_ci": [num(area.lower), num(area.upper)] if known else [None, None],
            "problems": problems}


def _caw_order(codes: Sequence[str], regions: pl.DataFrame | None) -> list[str]:
    listed = [] if regions is None else [c for c in regions["caw"].to_list() if c in codes]
    return listed + sorted(set(codes) - set(listed))


def period_by_caw(traj: pl.DataFrame, year: int, *, period_start: dt.date | None = None,
                  tau: float = TAU_DAYS, conf_level: float = 0.95, conf_type: str = "log",
                  regions: pl.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """Period estimate per CAW: one Kaplan-Meier per region over the period sample."""
    sample = period_sample(traj, year, period_start)
    t, e, start = _arrays(sample, "period_entry_days")
    caw = sample["caw"].to_numpy()
    out = {}
    for code in _caw_order(list(set(caw.tolist())), regions):
        mask = caw == code
        out[code] = estimate(t[mask], e[mask], start[mask], tau=tau, conf_level=conf_level,
                             conf_type=conf_type)
    return out


def registration_window(traj: pl.DataFrame, regions: pl.DataFrame | None = None
                        ) -> list[dict[str, Any]]:
    """Per CAW: the date from which its delivery holds every trajectory.

    From ``registratie_sinds`` of the regions reference when that column is there and
    filled (``source: "referentie"``), else inferred as the region's first closure by
    the cut-off (``source: "eerste_afsluiting"``: no closure can be older than the
    window; closures after the cut-off are not looked at, so a later re-run agrees).
    ``first_full_year``: the first calendar year wholly inside the window (the year of
    the date when it is a 1 January, else the next year). The inferred date is a
    latest possible start, so a cohort called complete is complete; ``None`` when a
    region has no closure and no reference date.
    """
    given: dict[str, dt.date] = {}
    if regions is not None and WINDOW_COLUMN in regions.columns:
        column = regions[WINDOW_COLUMN]
        if column.dtype == pl.String:
            column = column.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        given = {c: d for c, d in zip(regions["caw"].to_list(), column.to_list(), strict=True)
                 if d is not None}
    first = dict(traj.filter(pl.col("in_scope")).group_by("caw")
                 .agg(pl.col("datum_afsluiting_y").min()).iter_rows())
    out = []
    for code in _caw_order(list(set(first) | set(given)), regions):
        since, source = (given[code], "referentie") if code in given else (
            first.get(code), "eerste_afsluiting")
        if since is None:
            source = None
        full = None if since is None else (
            since.year if (since.month, since.day) == (1, 1) else since.year + 1)
        out.append({"caw": code, "since": None if since is None else since.isoformat(),
                    "source": source, "first_full_year": full})
    return out


def by_start_year(traj: pl.DataFrame, window: list[dict[str, Any]], *, tau: float = TAU_DAYS,
                  conf_level: float = 0.95, conf_type: str = "log") -> list[dict[str, Any]]:
    """Start-year cohorts from day 0 to the cut-off, each marked complete or not."""
    sample = traj.filter(pl.col("in_scope")).with_columns(
        pl.col("datum_start").dt.year().alias("_year"))
    t, e, _ = _arrays(sample, None)
    years = sample["_year"].to_numpy()
    full = {w["caw"]: w["first_full_year"] for w in window}
    regions_of = dict(sample.group_by("_year").agg(pl.col("caw").unique()).iter_rows())
    rows = []
    for year in sorted(set(years.tolist())):
        mask = years == year
        fit = estimate(t[mask], e[mask], None, tau=tau, conf_level=conf_level,
                       conf_type=conf_type)
        complete = all(full.get(c) is not None and full[c] <= year for c in regions_of[year])
        rows.append({"year": int(year), "n": fit["n"], "events": fit["events"],
                     "median_days": fit["median_days"], "rmst_days": fit["rmst_days"],
                     "rmst_ci": fit["rmst_ci"], "complete": complete})
    return rows


def duration(traj: pl.DataFrame, year: int, *, period_start: dt.date | None = None,
             tau: float = TAU_DAYS, conf_level: float = 0.95, conf_type: str = "log",
             regions: pl.DataFrame | None = None) -> dict[str, Any]:
    """The `duration` block of results.json (keys as issue 12 lists them, plus
    ``window``, ``conf_level``, ``conf_type`` and ``problems``)."""
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}")
    start = period_start or dt.date(year, 1, 1)
    options = {"tau": tau, "conf_level": conf_level, "conf_type": conf_type}
    sample = period_sample(traj, year, start)
    overall = estimate(*_arrays(sample, "period_entry_days"), **options)
    per_caw = period_by_caw(traj, year, period_start=start, regions=regions, **options)
    window = registration_window(traj, regions)
    problems = list(overall.pop("problems"))
    by_caw = []
    for code, fit in per_caw.items():
        problems.extend(f"{code}: {p}" for p in fit.pop("problems"))
        by_caw.append({"caw": code, "n": fit["n"], "events": fit["events"],
                       "median_days": fit["median_days"], "rmst_days": fit["rmst_days"],
                       "rmst_ci": fit["rmst_ci"]})
    cohorts = by_start_year(traj, window, **options)
    if any(w["source"] is None for w in window):
        problems.append("registration window unknown for "
                        + ", ".join(w["caw"] for w in window if w["source"] is None)
                        + " (no closure, no registratie_sinds): their cohorts are not complete")
    return {"basis": "period", "period_start": start.isoformat(),
            "n": overall["n"], "events": overall["events"],
            "median_days": overall["median_days"], "median_ci": overall["median_ci"],
            "tau_days": int(tau) if float(tau).is_integer() else num(tau),
            "rmst_days": overall["rmst_days"],
            "rmst_ci": overall["rmst_ci"], "study_mean_days": STUDY_MEAN_DAYS,
            "conf_level": conf_level, "conf_type": conf_type,
            "by_caw": by_caw, "by_start_year": cohorts, "window": window,
            "problems": problems}
