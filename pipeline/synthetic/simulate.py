"""Trajectories of preventive housing support with a known truth (vectorised numpy).

Why this shape: a delivery as the CAW's really make it, on which the naive estimates
fail in known ways. Starts are a Poisson process per region that follows staffing
to a power and a regional trend (intake.py); closure is latent competing risks, one
Weibull proportional-hazards model per outcome, with a higher eviction hazard in one
region (hazards.py). The delivery starts at the registration window (default
2011-01-01): the simulation runs a burn-in of several years before it, and a
trajectory started before the window is delivered only when still open on the
window's first day (closed on or after it), with its real start date, so carried-in
trajectories have their real, length-biased durations. Everything is censored at
the extract date. With the window off, the simulation starts empty one year before
the first year and delivers everything (the earlier generator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipeline.contract import COLUMN_NAMES, FIRST_PROJECT_DATE
from pipeline.reference import Reference, load_reference
from pipeline.synthetic import truth as truth_module
from pipeline.synthetic.config import OUTCOMES, REFERENCES, SynthConfig
from pipeline.synthetic.hazards import draw_closures
from pipeline.synthetic.intake import EPOCH, Timeline, day_number, draw_starts, timeline
from pipeline.synthetic.profiles import codes, draw_profiles

__all__ = ["EPOCH", "Simulation", "day_number", "rng_stream", "simulate"]

RE_REFERRAL_GAP_DAYS = 14  # a new referral comes at least two weeks after a closure
RE_REFERRAL_MAX_DAYS = 3 * 365  # ... and at most three years after it


def rng_stream(seed: int, stream: int) -> np.random.Generator:
    """Independent generators per purpose from the seed only (clean data equal with or
    without injected defects)."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


@dataclass(frozen=True)
class Simulation:
    """One row per delivered trajectory: contract columns, typed, plus `_` helpers."""

    frame: pl.DataFrame
    truth: dict[str, Any]
    extract_date: dt.date
    requested_years: tuple[int, ...]
    simulated_years: tuple[int, ...]
    regions: tuple[str, ...]  # CAW codes in reference order
    window: dt.date  # first day of the delivery (the registration window)


def _span(years: Sequence[int], config: SynthConfig) -> tuple[tuple[int, ...], dt.date,
                                                               dt.date]:
    """Requested years, first simulated day and first delivered day."""
    requested = tuple(sorted({int(y) for y in years}))
    window = config.registration_window
    if window is None:
        first = dt.date(requested[0] - 1, 1, 1)
        if first < FIRST_PROJECT_DATE:
            raise ValueError(f"the first year must be after {FIRST_PROJECT_DATE.year} "
                             f"(the warm-up year is simulated too)")
        return requested, first, first
    if requested[0] < window.year:
        raise ValueError(f"the registration window starts {window.isoformat()}: choose "
                         f"years from {window.year} on, or an earlier window")
    first = max(dt.date(window.year - config.burn_in_years, 1, 1), FIRST_PROJECT_DATE)
    if first >= window:
        raise ValueError(f"the registration window {window.isoformat()} leaves no burn-in "
                         f"after the first projects ({FIRST_PROJECT_DATE.isoformat()})")
    return requested, first, window


def _re_referrals(rng: np.random.Generator, start: np.ndarray, referral: np.ndarray,
                  duration: np.ndarray, region: np.ndarray, svk: np.ndarray,
                  extract_day: int, first_day: int, regions: Sequence[str],
                  share: float) -> np.ndarray:
    """Predecessor index per trajectory (-1 = a new client).

    A later trajectory of an earlier client of the same region and landlord type,
    referred 14 days to 3 years after that client's (observed) closure. Successors are
    never predecessors, and each predecessor has at most one successor, so covariates
    can be copied and the successor's closure redrawn.
    """
    n = len(start)
    candidate = (start >= first_day + 180) & (rng.random(n) < share)
    closed_by_extract = start + duration <= extract_day
    u_pick = rng.random(n)
    predecessor = np.full(n, -1, dtype=np.int64)
    for r in range(len(regions)):
        for kind in (False, True):
            stratum = (region == r) & (svk == kind)
            priors = np.flatnonzero(stratum & ~candidate & closed_by_extract)
            cands = np.flatnonzero(stratum & candidate)
            if len(priors) == 0 or len(cands) == 0:
                continue
            closed_day = start[priors] + duration[priors]
            by_day = np.argsort(closed_day, kind="stable")
            ordered = closed_day[by_day]
            before = np.searchsorted(ordered, referral[cands] - RE_REFERRAL_GAP_DAYS,
                                     side="right")
            since = np.searchsorted(ordered, referral[cands] - RE_REFERRAL_MAX_DAYS)
            ok = before > since
            pick = since[ok] + np.floor(u_pick[cands[ok]] * (before[ok] - since[ok])
                                        ).astype(np.int64)
            predecessor[cands[ok]] = priors[by_day[pick]]
    linked = np.flatnonzero(predecessor >= 0)
    linked = linked[np.argsort(referral[linked], kind="stable")]
    _, first = np.unique(predecessor[linked], return_index=True)
    predecessor[np.setdiff1d(linked, linked[first])] = -1
    return predecessor


def _numbers(region: np.ndarray, start_year: np.ndarray,
             predecessor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dossier number per region and start year (start order); client number per region."""
    n = len(region)
    group = region * 10_000 + start_year
    new_group = np.r_[True, group[1:] != group[:-1]]
    group_first = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    dossier_no = np.arange(n) - group_first + 1
    new_client = predecessor < 0
    client_no = np.zeros(n, dtype=np.int64)
    region_first = np.r_[True, region[1:] != region[:-1]]
    running = np.cumsum(new_client)
    base = np.maximum.accumulate(np.where(region_first, running - new_client, 0))
    client_no[new_client] = (running - base)[new_client]
    succ = np.flatnonzero(~new_client)
    client_no[succ] = client_no[predecessor[succ]]
    return dossier_no, client_no


# --------------------------------------------------------------------------- the run


def simulate(years: Sequence[int], seed: int, *, n_per_year: int | None = None,
             config: SynthConfig | None = None, reference: Reference | None = None,
             today: dt.date | None = None) -> Simulation:
    """Simulate every trajectory from the burn-in to the last year; deliver the window.

    Years between the first and the last requested year are all simulated, so the
    caseload carries over. Dates never pass the extract date, which never passes today.
    `n_per_year` rescales all volumes by one factor so that on average that many
    trajectories start per delivered year (the carried-in ones come on top).
    """
    config = config or SynthConfig()
    reference = reference or load_reference()
    regions = reference.regions["caw"].to_list()
    config.check(regions)
    today = today or dt.date.today()
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if not years:
        raise ValueError("at least one year is needed")
    if n_per_year is not None and n_per_year < 1:
        raise ValueError("n_per_year must be positive")
    requested, first_day, window = _span(years, config)
    simulated = tuple(range(first_day.year, requested[-1] + 1))
    extract = config.extract_date or dt.date(requested[-1] + 1, 2, 15)
    clamped = extract > today
    extract = min(extract, today)
    if extract <= window:
        raise ValueError(f"the extract date {extract} leaves nothing to deliver")
    last_day = min(dt.date(requested[-1], 12, 31), extract)
    per_fte = config.supports_per_fte_year or reference.norms.get(
        "begeleidingen_per_vte_per_jaar", 26.66)
    rng = rng_stream(seed, 0)

    line = timeline(reference, regions, simulated, last_day, per_fte, config, n_per_year,
                    window)
    segment, start = draw_starts(rng, line)
    n = len(segment)
    if n == 0:
        raise ValueError("no trajectory was simulated: no staffing in these years "
                         "(personeel.csv) or n_per_year too small")
    order = np.lexsort((rng.random(n), start, line.region[segment]))
    segment, start = segment[order], start[order]
    region = line.region[segment]
    shape, wait_scale = config.wait_days_gamma
    wait = np.floor(rng.gamma(shape, wait_scale, n)).astype(np.int64)
    referral = np.maximum(start - wait, day_number(FIRST_PROJECT_DATE))
    prof, landlords, no_landlords = draw_profiles(rng, region, regions, reference, config)
    pop = truth_module.population(config, reference, regions)
    closure = draw_closures(rng, pop.model, prof.covariates(), config)
    extract_day = day_number(extract)

    predecessor = _re_referrals(rng, start, referral, closure["duration"], region, prof.svk,
                                extract_day, day_number(first_day), regions,
                                config.re_referral_share)
    succ = np.flatnonzero(predecessor >= 0)
    pred = predecessor[succ]
    for values in (prof.household, prof.children, prof.sex, prof.income, prof.landlord):
        values[succ] = values[pred]
    years_later = np.floor((referral[succ] - referral[pred]) / 365.25).astype(np.int64)
    prof.age[succ] = np.minimum(prof.age[pred] + years_later, 90)
    redraw = draw_closures(rng, pop.model, prof.covariates(succ), config)
    for key, values in redraw.items():
        closure[key][succ] = values

    # Observation at the extract date; activity counts grow with the time in support.
    duration = closure["duration"]
    is_closed = start + duration <= extract_day
    followed = np.where(is_closed, duration, extract_day - start)
    months = followed / 30.44
    visits = np.where(rng.random(n) < config.home_visit_share,
                      1 + rng.poisson(config.visits_per_month * months), 0)
    contacts = visits + rng.poisson(1 + config.contacts_per_month * months)
    referred_on = ((closure["reason"] == codes("afsluitreden").index("doorverwezen"))
                   & is_closed) | (rng.random(n) < config.referred_on_rate)
    aftercare_p = np.array([config.aftercare_rates[o]
                            for o in codes("uithuiszetting_vermeden")])
    aftercare = rng.random(n) < aftercare_p[closure["avoided"]]

    # Workers: about workers_per_fte per (scaled) FTE in force, each start to one of them.
    workers = np.maximum(1, np.rint(config.workers_per_fte * line.fte[segment]
                                    * line.scale)).astype(np.int64)
    worker = np.floor(rng.random(n) * workers).astype(np.int64) + 1
    start_year = (pl.Series(start, dtype=pl.Int32).cast(pl.Date).dt.year()
                  .to_numpy().astype(np.int64))
    dossier_no, client_no = _numbers(region, start_year, predecessor)
    missing = {c: rng.random(n) < p for c, p in config.missing_optional.items()}

    # The delivery: every start from the window on; older ones only when open on its day.
    window_day = day_number(window)
    keep = (start >= window_day) | (start + duration >= window_day)
    new_index = np.cumsum(keep) - 1
    linked = (predecessor >= 0) & keep[np.maximum(predecessor, 0)]
    predecessor = np.where(linked, new_index[np.maximum(predecessor, 0)], -1)

    def k(values: np.ndarray) -> np.ndarray:
        return values[keep]

    frame = _frame(
        regions=regions, region=k(region), start=k(start), referral=k(referral),
        is_closed=k(is_closed), duration=k(duration), landlord=k(prof.landlord),
        landlords=landlords, svk=k(prof.svk), household=k(prof.household),
        children=k(prof.children), sex=k(prof.sex), income=k(prof.income), age=k(prof.age),
        problems={c: k(v) for c, v in prof.problems.items()},
        arrears_amount=k(prof.arrears_amount), procedure=k(prof.procedure),
        referrer=k(prof.referrer), debt_mediation=k(prof.debt_mediation),
        visits=k(visits), contacts=k(contacts), referred_on=k(referred_on),
        aftercare=k(aftercare), closure={c: k(v) for c, v in closure.items()},
        worker=k(worker), dossier_no=k(dossier_no), client_no=k(client_no),
        start_year=k(start_year), predecessor=k(predecessor),
        missing={c: k(v) for c, v in missing.items()},
        carried_in=k(start < window_day), file_year_from=window.year)

    truth = _truth(seed=seed, requested=requested, simulated=simulated, extract=extract,
                   clamped=clamped, n_per_year=n_per_year, config=config,
                   reference=reference, line=line, per_fte=per_fte, pop=pop, frame=frame,
                   no_landlords=no_landlords, regions=regions, window=window,
                   first_day=first_day, simulated_starts=n)
    return Simulation(frame, truth, extract, requested, simulated, tuple(regions), window)


def _frame(*, regions, region, start, referral, is_closed, duration, landlord, landlords,
           svk, household, children, sex, income, age, problems, arrears_amount, procedure,
           referrer, debt_mediation, visits, contacts, referred_on, aftercare, closure,
           worker, dossier_no, client_no, start_year, predecessor, missing, carried_in,
           file_year_from) -> pl.DataFrame:
    """Assemble the typed trajectories frame (contract column order, then helpers).

    Helpers: `_duur_latent` (recorded duration, also beyond the extract), `_uitkomst`
    (the outcome, also for open ones), `_voorganger` (row of the client's previous
    trajectory in the delivery), `_startjaar`, `_bestandsjaar` (file year: carried-in
    trajectories are delivered in the window year's file) and `_meegenomen` (carried in).
    """
    def code(values: np.ndarray, column: str) -> pl.Series:
        levels = dict(enumerate(codes(column)))
        return pl.Series(values).replace_strict(levels, return_dtype=pl.String)

    def opt(series: pl.Series, column: str) -> pl.Series:
        return series.set(pl.Series(missing[column]), None) if column in missing else series

    def code_of(values: np.ndarray, labels: Sequence[str]) -> pl.Series:
        return pl.Series(values).replace_strict(dict(enumerate(labels)),
                                                return_dtype=pl.String)

    def date(days: np.ndarray) -> pl.Series:
        return pl.Series(days.astype(np.int32)).cast(pl.Date)

    has = landlord >= 0
    ll = np.maximum(landlord, 0)
    landlord_id = pl.Series(landlords["verhuurder_id"].to_numpy()[ll]).set(
        pl.Series(~has), None)
    nis = pl.Series(landlords["gemeente_nis"].to_numpy()[ll]).set(pl.Series(~has), None)
    closed = pl.Series(is_closed)
    caw = pl.Series(np.array(regions, dtype=object)[region], dtype=pl.String)
    frame = pl.DataFrame({
        "caw": caw,
        "_yy": pl.Series(start_year % 100),
        "_dossier_no": pl.Series(dossier_no),
        "_client_no": pl.Series(client_no),
        "_worker": pl.Series(worker),
    })
    width = max(6, len(str(int(dossier_no.max()) if len(dossier_no) else 0)))
    cwidth = max(6, len(str(int(client_no.max()) if len(client_no) else 0)))
    ids = frame.select(
        pl.format("{}{}-{}", "caw", pl.col("_yy").cast(pl.String).str.zfill(2),
                  pl.col("_dossier_no").cast(pl.String).str.zfill(width)).alias("dossier_id"),
        pl.format("{}-K{}", "caw", pl.col("_client_no").cast(pl.String).str.zfill(cwidth))
        .alias("client_id"),
        pl.format("{}-W{}", "caw", pl.col("_worker").cast(pl.String).str.zfill(2))
        .alias("begeleider_id"),
    )

    def when_closed(series: pl.Series) -> pl.Series:
        return series.set(~closed, None)

    columns = {
        "dossier_id": ids["dossier_id"],
        "client_id": ids["client_id"],
        "caw": caw,
        "begeleider_id": opt(ids["begeleider_id"], "begeleider_id"),
        "verhuurder_type": pl.Series(np.where(svk, "SVK", "SHM"), dtype=pl.String),
        "verhuurder_id": opt(landlord_id, "verhuurder_id"),
        "gemeente_nis": opt(nis, "gemeente_nis"),
        "datum_aanmelding": date(referral),
        "datum_start": date(start),
        "datum_afsluiting": when_closed(date(start + duration)),
        "aanmelder": code(referrer, "aanmelder"),
        "probleem_huurachterstand": pl.Series(problems["probleem_huurachterstand"]),
        "probleem_onderhoud": pl.Series(problems["probleem_onderhoud"]),
        "probleem_samenleven": pl.Series(problems["probleem_samenleven"]),
        "huurachterstand_eur": opt(pl.Series(arrears_amount).set(
            pl.Series(~problems["probleem_huurachterstand"]), None), "huurachterstand_eur"),
        "procedure_gestart": pl.Series(procedure),
        "gezinstype": code(household, "gezinstype"),
        "aantal_kinderen": opt(pl.Series(children, dtype=pl.Int64), "aantal_kinderen"),
        "leeftijd": pl.Series(age, dtype=pl.Int64),
        "geslacht": opt(code(sex, "geslacht"), "geslacht"),
        "inkomensbron": code(income, "inkomensbron"),
        "schuldbemiddeling": opt(pl.Series(debt_mediation), "schuldbemiddeling"),
        "aantal_huisbezoeken": opt(pl.Series(visits, dtype=pl.Int64), "aantal_huisbezoeken"),
        "aantal_contacten": opt(pl.Series(contacts, dtype=pl.Int64), "aantal_contacten"),
        "doorverwezen": opt(pl.Series(referred_on), "doorverwezen"),
        "afsluitreden": when_closed(code(closure["reason"], "afsluitreden")),
        "handelingsdoelen": when_closed(code(closure["goals"], "handelingsdoelen")),
        "uithuiszetting_vermeden": when_closed(
            code(closure["avoided"], "uithuiszetting_vermeden")),
        "nazorg": opt(when_closed(pl.Series(aftercare)), "nazorg"),
        "_duur_latent": pl.Series(duration, dtype=pl.Int64),
        "_voorganger": pl.Series(predecessor).set(pl.Series(predecessor < 0), None),
        "_startjaar": pl.Series(start_year, dtype=pl.Int64),
        "_bestandsjaar": pl.Series(np.maximum(start_year, file_year_from), dtype=pl.Int64),
        "_uitkomst": code_of(closure["cause"], OUTCOMES),
        "_meegenomen": pl.Series(carried_in),
    }
    assert tuple(columns)[: len(COLUMN_NAMES)] == COLUMN_NAMES
    return pl.DataFrame({name: s.alias(name) for name, s in columns.items()})


def _year_weights(line: Timeline, regions: Sequence[str], years: Sequence[int]
                  ) -> dict[int, np.ndarray]:
    return {y: np.array([line.expected_between(day_number(dt.date(y, 1, 1)),
                                               day_number(dt.date(y, 12, 31)), r)
                         for r in range(len(regions))]) for y in years}


def _truth(*, seed, requested, simulated, extract, clamped, n_per_year, config, reference,
           line, per_fte, pop, frame, no_landlords, regions, window, first_day,
           simulated_starts) -> dict[str, Any]:
    """What generated the data, in the pipeline's own term names."""
    closed = frame.filter(pl.col("datum_afsluiting").is_not_null())
    starts = dict(frame.filter(~pl.col("_meegenomen")).group_by("caw", "_startjaar").len()
                  .select(pl.format("{}|{}", "caw", "_startjaar"), "len").iter_rows())
    delivered_years = [y for y in simulated if y >= window.year]
    volumes = [{**row, "starts_delivered": int(starts.get(f"{row['caw']}|{row['year']}", 0))}
               for row in line.table]
    model = pop.model
    described = model.describe(regions)
    effect = None
    if model.regional is not None:
        r, k, beta = model.regional
        effect = {"caw": regions[r], "outcome": model.outcomes[k], "log_hr": beta,
                  "term": f"caw[{regions[r]}]",
                  "note": "against every other region (all 0): cause-specific log-HR"}
    window_on = config.registration_window is not None
    outcome_counts = dict(closed.group_by("_uitkomst").len().iter_rows())
    return {
        "description": "Synthetische registraties preventieve woonbegeleiding (pwb synth); "
                       "geen echte cliënten. Illustratieve referentiedata.",
        "seed": seed,
        "years": list(requested),
        "simulated_years": list(simulated),
        "first_simulated_day": first_day.isoformat(),
        "registration_window": {
            "on": window_on,
            "start": window.isoformat(),
            "burn_in_years": config.burn_in_years if window_on else 0,
            "rule": ("every trajectory started on or after the start; an older one only "
                     "when still open on that day (closed on or after it), with its real "
                     "start date (carried in)") if window_on else
                    "no window: the simulation starts empty one year before the first year",
        },
        "extract_date": extract.isoformat(),
        "extract_date_clamped_to_today": clamped,
        "n_per_year": n_per_year,
        "fte_calibration_holds": n_per_year is None,
        "volume_note": (
            "Starts per region follow the intake model (supply-bound, 26.66 per FTE at the "
            "reference date)." if n_per_year is None else
            "Volumes rescaled by one factor to n_per_year starts per delivered year: the "
            "calibration of starts, caseload and workers per FTE to the circular no longer "
            "holds."),
        "supports_per_fte_year": per_fte,
        "intake": line.model,
        "waiting": {"distribution": "gamma (days from datum_aanmelding to datum_start, "
                                    "floored)",
                    "shape": config.wait_days_gamma[0], "scale_days": config.wait_days_gamma[1],
                    "mean_days": config.wait_days_gamma[0] * config.wait_days_gamma[1]},
        "reference": {"illustrative": reference.illustrative, "sources": reference.sources,
                      "regions_without_landlords": no_landlords},
        "volumes": volumes,
        "closure_model": {
            "type": "latent competing risks: one proportional-hazards Weibull per outcome, "
                    "H_k(t | x) = rate_k t ** shape_k exp(eta_k(x)); closure at the first "
                    "latent time, with its outcome",
            "outcome_specific": config.outcome_specific,
            "outcomes": {
                "vermeden": "uithuiszetting_vermeden = ja",
                "uithuisgezet": "afsluitreden = uithuisgezet (uithuiszetting_vermeden = nee)",
                "niet_vermeden": "uithuiszetting_vermeden = nee without eviction",
                "onbekend": "uithuiszetting_vermeden = onbekend",
            },
            "time_unit": "days",
            "recorded": "datum_afsluiting - datum_start = max(ceil(T), 1) days, censored at "
                        "the extract date",
            "per_outcome": described,
            "calibration": truth_module.calibration_note(config, model),
            "note": "terms not listed have 0; the log-HRs are what a Cox model per outcome "
                    "(other outcomes censored) estimates",
        },
        "cause_specific_log_hr": {k: v["log_hr"] for k, v in described.items()},
        "regional_effect": effect,
        "marginal": truth_module.truth_blocks(
            pop, regions, _year_weights(line, regions, delivered_years)),
        "references": dict(REFERENCES),
        "settings": config.as_json(),
        "realised": {
            "simulated_starts": simulated_starts,
            "trajectories": frame.height,
            "carried_in": int(frame["_meegenomen"].sum()),
            "closed_by_extract": closed.height,
            "open_at_extract": frame.height - closed.height,
            "re_referrals": int(frame["_voorganger"].is_not_null().sum()),
            "closures_by_outcome": {k: int(outcome_counts.get(k, 0)) for k in OUTCOMES},
        },
    }
