"""Multi-year trends against the 2011 study (`trends` of results.json, issue 14 item 1).

Why recompute every year from the delivered registrations instead of reading earlier
results.json files: each year's column is `trajectories(valid, year)` with that year's
cut-off, so it uses only what was known by 31 December of that year (closures after it
count as open, later starts are out of scope). A later delivery, holding one more year,
therefore changes only the new year's column; and no earlier output, perhaps made with
other settings or a since-corrected file, leaks in.

Which years: every complete year of the registration window up to Y, i.e. from the
latest ``first_full_year`` of pipeline.duration.registration_window over the regions in
the delivery (Flanders is complete only when every region is), or the years of
``TrendSettings.years`` that lie in that range. Earlier years would hold only the
trajectories still open at the window's start (carried in) and so look smaller and
longer than they were.

Definitions per year, per region and for Flanders (``caw`` TOTAAL of the indicators),
reusing pipeline.indicators so the year Y column equals the yearly indicators:
starts (datum_start in the year), referrals (datum_aanmelding in the year, among the
trajectories started by the cut-off: the registration holds only started support),
active and closed (pipeline.years), clients per FTE and time-averaged caseload per FTE
(FTE = the year's time-averaged FTE of the reference), rmst_days (the year's period
RMST, pipeline.duration), the four closure outcomes among the year's closures with
Wilson intervals, re-referral within 12 months (pipeline.indicators.re_referral: the
clients whose trajectory closed in the year before).

``study_2011``: the three averages the circular quotes from the 2011 evaluation, from
the reference norms (normen.csv), per WORKER (hulpverlener), not per FTE: they are not
the same unit, and the report shows them as a separate first column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from pipeline.duration import STUDY_MEAN_DAYS, registration_window
from pipeline.indicators import DAYS_PER_MONTH, activity, re_referral
from pipeline.measures import TOTAL, ratio, wilson
from pipeline.numbers import num
from pipeline.reference import Reference
from pipeline.years import trajectories

STUDY_SOURCE = ("Evaluatie van het Steunpunt (2011), geciteerd in de omzendbrief 2012 "
                "punt 3")
STUDY_UNIT = "per hulpverlener (niet per VTE)"
ROW_KEYS = ("year", "starts", "referrals", "active", "closed", "clients_per_fte",
            "caseload_per_fte", "rmst_days", "avoided_share", "avoided_ci", "evicted_share",
            "evicted_ci", "not_avoided_share", "unknown_share", "re_referral_share")


@dataclass(frozen=True)
class TrendSettings:
    """Settings of the multi-year chapter and the reinforcement analysis (issue 14 item 5).

    years: the years shown (None: every complete year of the registration window up to
    Y); exposure: "fte_in_force" (FTE in force on the month's first day, default) or
    "fte_year" (the year's mean FTE); bootstrap_draws: B of the wild cluster bootstrap;
    seed: its seed (results are deterministic); region_trends: a linear trend per region
    in the reinforcement model; event_window: months before and after each region's
    reinforcement in the event study.
    """

    years: tuple[int, ...] | None = None
    exposure: str = "fte_in_force"
    bootstrap_draws: int = 9999
    seed: int = 20121201
    region_trends: bool = True
    event_window: int = 12

    def __post_init__(self) -> None:
        if self.exposure not in ("fte_in_force", "fte_year"):
            raise ValueError("exposure must be fte_in_force or fte_year")
        if self.bootstrap_draws < 99 or self.event_window < 1:
            raise ValueError("bootstrap_draws must be at least 99, event_window at least 1")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["years"] = None if self.years is None else [int(y) for y in self.years]
        return out


def complete_years(valid: pl.DataFrame, reference: Reference, year: int,
                   wanted: tuple[int, ...] | None = None) -> list[int]:
    """The complete years of the registration window up to `year` (see module doc)."""
    window = registration_window(trajectories(valid, year), reference.regions)
    firsts = [w["first_full_year"] for w in window if w["first_full_year"] is not None]
    first = min(max(firsts), year) if firsts else year
    years = list(range(first, year + 1))
    if wanted is not None:
        years = [y for y in years if y in set(wanted)] or [year]
    return years


def _year_rows(valid: pl.DataFrame, reference: Reference, year: int
               ) -> dict[str, dict[str, Any]]:
    """caw -> the year's row (TOTAL = Flanders)."""
    traj = trajectories(valid, year)
    first = dt.date(year, 1, 1)
    per_caw, overall = activity(traj, reference, year)
    closed = pl.col("closed_in_year")
    outcome = pl.col("closure_outcome")
    aggs = [
        (pl.col("in_scope") & (pl.col("datum_start") >= first)).sum().alias("starts"),
        (pl.col("in_scope") & (pl.col("datum_aanmelding") >= first)
         & (pl.col("datum_aanmelding") <= dt.date(year, 12, 31))).sum().alias("referrals"),
        closed.sum().alias("n"),
        *[(closed & (outcome == o)).sum().alias(o)
          for o in ("vermeden", "uithuisgezet", "niet_vermeden", "onbekend")],
    ]
    counts = {r["caw"]: r for r in traj.group_by("caw").agg(aggs).iter_rows(named=True)}
    counts[TOTAL] = traj.select(aggs).row(0, named=True)
    herval = re_referral(traj, year)
    rates = {r["caw"]: r["rate"] for r in herval["per_caw"]}
    rates[TOTAL] = herval["overall"]["rate"]
    rows = {}
    for ind in [*per_caw, overall]:
        caw = ind["caw"]
        c = counts.get(caw, {"starts": 0, "referrals": 0, "n": 0, "vermeden": 0,
                             "uithuisgezet": 0, "niet_vermeden": 0, "onbekend": 0})
        n = int(c["n"])
        rows[caw] = {
            "year": year, "starts": int(c["starts"]), "referrals": int(c["referrals"]),
            "active": ind["active"], "closed": ind["closed"],
            "clients_per_fte": ind["clients_per_fte"],
            "caseload_per_fte": ind["mean_caseload_per_fte"],
            "rmst_days": ind["rmst_days"],
            "avoided_share": ratio(c["vermeden"], n), "avoided_ci": wilson(int(c["vermeden"]), n),
            "evicted_share": ratio(c["uithuisgezet"], n),
            "evicted_ci": wilson(int(c["uithuisgezet"]), n),
            "not_avoided_share": ratio(c["niet_vermeden"], n),
            "unknown_share": ratio(c["onbekend"], n),
            "re_referral_share": rates.get(caw),
        }
    return rows


def study_2011(reference: Reference) -> dict[str, Any]:
    """The 2011 study's three averages (per worker) from the reference norms."""
    norms = reference.norms
    months = norms.get("gemiddelde_duur_maanden")
    return {
        "concurrent_per_worker": num(norms.get("gelijktijdig_per_vte")),
        "mean_duration_days": (STUDY_MEAN_DAYS if months is None
                               else int(round(months * DAYS_PER_MONTH))),
        "supports_per_worker_year": num(norms.get("begeleidingen_per_vte_per_jaar")),
        "source": STUDY_SOURCE, "unit": STUDY_UNIT,
    }


def trends(valid: pl.DataFrame, reference: Reference, year: int,
           settings: TrendSettings | None = None) -> dict[str, Any]:
    """The `trends` block of results.json for reporting year `year`."""
    settings = settings or TrendSettings()
    years = complete_years(valid, reference, year, settings.years)
    by_year = {y: _year_rows(valid, reference, y) for y in years}
    codes = list(reference.regions["caw"].to_list())
    codes += sorted({c for rows in by_year.values() for c in rows} - set(codes) - {TOTAL})
    return {
        "years": years,
        "per_year": [by_year[y][TOTAL] for y in years],
        "per_caw": [{"caw": c, "per_year": [by_year[y][c] for y in years if c in by_year[y]]}
                    for c in codes],
        "study_2011": study_2011(reference),
        "basis": "Elk jaar berekend uit de geleverde registraties met de peildatum van dat "
                 "jaar (31 december): een later geleverd jaar verandert de eerdere jaren niet.",
    }
