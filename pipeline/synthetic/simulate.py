"""Trajectories of preventive housing support with a known truth (vectorised numpy).

Why this shape: starts are supply-bound (the circular's 26.66 supports per FTE a
year, as a Poisson process per region following its staffing), time to closure
follows a Weibull proportional-hazards model and the closure outcome a logistic
model, both on required columns of the format, so the pipeline's Cox and
logistic estimates can be checked against the numbers in truth.json. The
simulation starts one warm-up year before the first requested year, so that the
first reporting year carries a caseload, and it is censored at the extract date.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipeline.contract import BY_NAME, COLUMN_NAMES, FIRST_PROJECT_DATE
from pipeline.reference import BIG_CITY_NIS, Reference, load_reference
from pipeline.synthetic.config import REFERENCES, SynthConfig

EPOCH = dt.date(1970, 1, 1)
RE_REFERRAL_GAP_DAYS = 14  # a new referral comes at least two weeks after a closure


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def rng_stream(seed: int, stream: int) -> np.random.Generator:
    """Independent generators per purpose from the seed only (clean data equal with or
    without injected defects)."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


@dataclass(frozen=True)
class Simulation:
    """One row per trajectory: contract columns, typed, plus `_`-prefixed helpers."""

    frame: pl.DataFrame
    truth: dict[str, Any]
    extract_date: dt.date
    requested_years: tuple[int, ...]
    simulated_years: tuple[int, ...]
    regions: tuple[str, ...]  # CAW codes in reference order


# --------------------------------------------------------------------------- helpers


def _codes(column: str) -> tuple[str, ...]:
    return BY_NAME[column].codes


def _draw(rng: np.random.Generator, n: int, shares: Mapping[str, float],
          column: str) -> np.ndarray:
    """Indices into the contract's code list of `column`, drawn with the given shares."""
    levels = _codes(column)
    unknown = set(shares) - set(levels)
    if unknown:
        raise ValueError(f"{column}: unknown codes {sorted(unknown)} in the settings")
    p = np.array([float(shares.get(lv, 0.0)) for lv in levels])
    if p.sum() <= 0:
        raise ValueError(f"{column}: shares sum to zero")
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(levels) - 1)


def _draw_into(rng, target: np.ndarray, mask: np.ndarray, shares, column: str) -> None:
    target[mask] = _draw(rng, int(mask.sum()), shares, column)


def _linear_predictor(coefs: Mapping[str, float], x: Mapping[str, np.ndarray]) -> np.ndarray:
    """Sum of coefficient x term, with terms coded as the pipeline's design codes them."""
    n = len(next(iter(x.values())))
    eta = np.zeros(n)
    for term, beta in coefs.items():
        if "[" in term:
            column, level = term[:-1].split("[", 1)
            eta += beta * (x[column] == _codes(column).index(level))
        else:
            eta += beta * x[term].astype(np.float64)
    return eta


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _calibrate_intercept(zeta: np.ndarray, target: float) -> float:
    """Intercept a with mean(expit(a + zeta)) = target (Newton; the mean is monotone in a)."""
    a = math.log(target / (1 - target)) - float(np.mean(zeta))
    for _ in range(50):
        p = _expit(a + zeta)
        step = (p.mean() - target) / max(float(np.mean(p * (1 - p))), 1e-12)
        a -= step
        if abs(step) < 1e-12:
            break
    return float(a)


# --------------------------------------------------------------------------- volumes


def _base_fte(staffing: pl.DataFrame, caw: str, year: int) -> tuple[float, int | None]:
    """Base FTE of a region in a year; the nearest listed year when the year is missing."""
    rows = staffing.filter(pl.col("caw") == caw).select("jaar", "basis_vte").rows()
    if not rows:
        return 0.0, None
    used_year, value = min(rows, key=lambda r: (abs(r[0] - year), r[0]))
    return float(value), int(used_year)


@dataclass(frozen=True)
class _Timeline:
    """Piecewise-constant staffing per region: one segment per constant-rate stretch."""

    region: np.ndarray  # region index
    start: np.ndarray  # first day (day number)
    length: np.ndarray  # days
    fte: np.ndarray  # FTE in force (base + extra)
    scale: np.ndarray  # volume scale of the segment's year (1 without --n-per-year)
    rate: np.ndarray  # expected starts per day, scaled
    table: list[dict[str, Any]]  # per region and year, for truth.json


def _timeline(reference: Reference, regions: Sequence[str], years: Sequence[int],
              last_day: dt.date, per_fte: float, n_per_year: int | None) -> _Timeline:
    extra = reference.extra_fte.select("caw", "vanaf", "extra_vte").rows()
    seg: dict[str, list] = {k: [] for k in ("region", "start", "length", "fte", "year")}
    table: list[dict[str, Any]] = []
    for year in years:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        cuts = sorted({first, *(v for _, v, _ in extra if first < v <= last),
                       last + dt.timedelta(days=1)})
        days_in_year = (last - first).days + 1
        for r, caw in enumerate(regions):
            base, base_year = _base_fte(reference.staffing, caw, year)
            fte_days = 0.0
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                fte = base + sum(e for c, v, e in extra if c == caw and v <= a)
                seg["region"].append(r)
                seg["start"].append(day_number(a))
                seg["length"].append((b - a).days)
                seg["fte"].append(fte)
                seg["year"].append(year)
                fte_days += fte * (b - a).days
            table.append({"caw": caw, "year": year, "base_fte": base,
                          "base_fte_from_year": base_year,
                          "fte_year": round(fte_days / days_in_year, 6)})
    region = np.array(seg["region"], dtype=np.int64)
    start = np.array(seg["start"], dtype=np.int64)
    length = np.array(seg["length"], dtype=np.int64)
    fte = np.array(seg["fte"], dtype=np.float64)
    year = np.array(seg["year"], dtype=np.int64)
    days_in = np.array([366 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 365
                        for y in seg["year"]], dtype=np.float64)
    rate = fte * per_fte / days_in
    scale = np.ones_like(rate)
    if n_per_year is not None:
        for y in years:
            expected = float((rate * length)[year == y].sum())
            scale[year == y] = n_per_year / expected if expected > 0 else 0.0
    rate = rate * scale
    # Truncate at the last simulated day (the extract date when it falls in the last year).
    end = day_number(last_day) + 1
    length = np.clip(np.minimum(start + length, end) - start, 0, None)
    for row in table:
        in_year = (year == row["year"]) & (region == regions.index(row["caw"]))
        row["scale"] = float(scale[in_year][0])
        row["expected_starts"] = round(float((rate * length)[in_year].sum()), 6)
    return _Timeline(region, start, length, fte, scale, rate, table)


# --------------------------------------------------------------------------- landlords


def _landlords(rng: np.random.Generator, region: np.ndarray, regions: Sequence[str],
               reference: Reference) -> tuple[np.ndarray, pl.DataFrame, list[str]]:
    """Landlord (row of the table, -1 = none) per trajectory, in proportion to
    dwellings x the circular's eviction risk; regions without landlords get none."""
    norms = reference.norms
    table = reference.landlords.sort("verhuurder_id")
    risk = np.where(
        table["verhuurder_type"].to_numpy() == "SVK", norms.get("risico_svk", 0.05),
        np.where(np.isin(table["gemeente_nis"].to_numpy(), BIG_CITY_NIS),
                 norms.get("risico_shm_grootstad", 0.0165), norms.get("risico_shm", 0.01)))
    weight = table["woningen"].to_numpy().astype(np.float64) * risk
    owner = table["caw"].to_numpy()
    pick = np.full(len(region), -1, dtype=np.int64)
    u = rng.random(len(region))
    without: list[str] = []
    for r, caw in enumerate(regions):
        rows = np.flatnonzero((owner == caw) & (weight > 0))
        mask = region == r
        if len(rows) == 0:
            if mask.any():
                without.append(caw)
            continue
        cum = np.cumsum(weight[rows]) / weight[rows].sum()
        pick[mask] = rows[np.minimum(np.searchsorted(cum, u[mask], side="right"),
                                     len(rows) - 1)]
    return pick, table, without


# --------------------------------------------------------------------------- closures


def _closure_draws(rng: np.random.Generator, x: Mapping[str, np.ndarray],
                   config: SynthConfig, scale: float, alpha: float) -> dict[str, np.ndarray]:
    """Latent duration (days) and closure outcome, reason and goals for the rows in `x`."""
    n = len(x["leeftijd"])
    eta = _linear_predictor(config.cox_log_hr, x)
    k = config.weibull_shape
    t = scale * (rng.standard_exponential(n) * np.exp(-eta)) ** (1.0 / k)
    duration = np.maximum(np.ceil(t), 1).astype(np.int64)
    p_yes = _expit(alpha + _linear_predictor(config.logit_coef, x))
    outcome = np.where(rng.random(n) < p_yes, 0, 1)  # index into ja, nee, onbekend
    outcome[rng.random(n) < config.unknown_outcome_share] = 2
    reason = np.zeros(n, dtype=np.int64)
    goals = np.zeros(n, dtype=np.int64)
    reasons = _codes("afsluitreden")
    for code, label in enumerate(("ja", "nee", "onbekend")):
        _draw_into(rng, reason, outcome == code, config.reason_given_outcome[label],
                   "afsluitreden")
    # Goals follow the reason where it says it all, else the outcome.
    special = np.zeros(n, dtype=bool)
    for name in ("doelen_bereikt", "uithuisgezet"):
        mask = reason == reasons.index(name)
        _draw_into(rng, goals, mask, config.goals_given_outcome[name], "handelingsdoelen")
        special |= mask
    for code, label in enumerate(("ja", "nee", "onbekend")):
        _draw_into(rng, goals, (outcome == code) & ~special,
                   config.goals_given_outcome[label], "handelingsdoelen")
    return {"duration": duration, "outcome": outcome, "reason": reason, "goals": goals}


# --------------------------------------------------------------------------- the run


def simulate(years: Sequence[int], seed: int, *, n_per_year: int | None = None,
             config: SynthConfig | None = None, reference: Reference | None = None,
             today: dt.date | None = None) -> Simulation:
    """Simulate every trajectory started from the warm-up year to the last year.

    Years between the first and the last requested year are all simulated, so the
    caseload carries over. Dates never pass the extract date, which never passes today.
    """
    config = config or SynthConfig()
    config.check()
    reference = reference or load_reference()
    today = today or dt.date.today()
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if not years:
        raise ValueError("at least one year is needed")
    if n_per_year is not None and n_per_year < 1:
        raise ValueError("n_per_year must be positive")
    requested = tuple(sorted({int(y) for y in years}))
    warm_up = requested[0] - 1
    if warm_up < FIRST_PROJECT_DATE.year:
        raise ValueError(f"the first year must be after {FIRST_PROJECT_DATE.year} "
                         f"(the warm-up year is simulated too)")
    simulated = tuple(range(warm_up, requested[-1] + 1))
    extract = config.extract_date or dt.date(requested[-1] + 1, 2, 15)
    clamped = extract > today
    extract = min(extract, today)
    if extract <= dt.date(warm_up, 1, 1):
        raise ValueError(f"the extract date {extract} leaves nothing to simulate")
    last_day = min(dt.date(requested[-1], 12, 31), extract)
    per_fte = config.supports_per_fte_year or reference.norms.get(
        "begeleidingen_per_vte_per_jaar", 26.66)
    regions = reference.regions["caw"].to_list()
    rng = rng_stream(seed, 0)

    # Starts: a Poisson process per region and constant-staffing segment.
    line = _timeline(reference, regions, simulated, last_day, per_fte, n_per_year)
    counts = rng.poisson(line.rate * line.length)
    segment = np.repeat(np.arange(len(counts)), counts)
    n = len(segment)
    if n == 0:
        raise ValueError("no trajectory was simulated: no staffing in these years "
                         "(personeel.csv) or n_per_year too small")
    start = line.start[segment] + np.floor(rng.random(n) * line.length[segment]).astype(np.int64)
    order = np.lexsort((rng.random(n), start, line.region[segment]))
    segment, start = segment[order], start[order]
    region = line.region[segment]
    shape, wait_scale = config.wait_days_gamma
    wait = np.floor(rng.gamma(shape, wait_scale, n)).astype(np.int64)
    referral = np.maximum(start - wait, day_number(FIRST_PROJECT_DATE))

    # Landlord and tenant profile.
    landlord, landlords, no_landlords = _landlords(rng, region, regions, reference)
    svk = np.where(landlord >= 0,
                   landlords["verhuurder_type"].to_numpy()[np.maximum(landlord, 0)] == "SVK",
                   rng.random(n) < 0.2)
    household = _draw(rng, n, config.household_shares, "gezinstype")
    households = _codes("gezinstype")
    age_mean = np.array([config.age_mean_by_household[h] for h in households])[household]
    age = np.clip(np.rint(rng.normal(age_mean, config.age_sd)), 18, 90).astype(np.int64)
    children = np.zeros(n, dtype=np.int64)
    sex = np.zeros(n, dtype=np.int64)
    for h, name in enumerate(households):
        mask = household == h
        low, mean = config.children_by_household[name]
        children[mask] = np.minimum(low + rng.poisson(mean, int(mask.sum())), 15)
        _draw_into(rng, sex, mask, config.sex_by_household[name], "geslacht")
    income = np.zeros(n, dtype=np.int64)
    _draw_into(rng, income, age < 65, config.income_shares_under_65, "inkomensbron")
    _draw_into(rng, income, age >= 65, config.income_shares_65_plus, "inkomensbron")
    problems = {name: rng.random(n) < rate for name, rate in config.problem_base_rates.items()}
    none = ~np.logical_or.reduce(list(problems.values()))
    names = list(config.problem_if_none)
    weights = np.cumsum([config.problem_if_none[p] for p in names])
    chosen = np.searchsorted(weights / weights[-1], rng.random(n), side="right")
    for i, name in enumerate(names):
        problems[name] |= none & (chosen == i)
    arrears = problems["probleem_huurachterstand"]
    amount = np.round(config.arrears_median_eur
                      * np.exp(rng.normal(0, config.arrears_log_sd, n)), 2)
    rates = config.procedure_rates
    p_procedure = (rates["base"] + rates["huurachterstand"] * arrears
                   + rates["huurachterstand_boven_3000"] * (arrears & (amount > 3000)))
    procedure = rng.random(n) < p_procedure
    referrer = np.zeros(n, dtype=np.int64)
    _draw_into(rng, referrer, ~svk, config.referrer_shares_shm, "aanmelder")
    _draw_into(rng, referrer, svk, config.referrer_shares_svk, "aanmelder")
    low_debt, high_debt = config.debt_mediation_rates
    debt_mediation = rng.random(n) < np.where(arrears, high_debt, low_debt)

    def covariates(rows: np.ndarray | slice) -> dict[str, np.ndarray]:
        return {"procedure_gestart": procedure[rows], "leeftijd": age[rows],
                "probleem_huurachterstand": problems["probleem_huurachterstand"][rows],
                "probleem_onderhoud": problems["probleem_onderhoud"][rows],
                "probleem_samenleven": problems["probleem_samenleven"][rows],
                "verhuurder_type": svk[rows].astype(np.int64), "gezinstype": household[rows],
                "inkomensbron": income[rows], "aanmelder": referrer[rows]}

    # The truth: Weibull scale and logistic intercept calibrated on this population.
    x = covariates(slice(None))
    k = config.weibull_shape
    scale = config.weibull_scale_days
    if scale is None:
        mean_factor = float(np.mean(np.exp(-_linear_predictor(config.cox_log_hr, x) / k)))
        scale = config.mean_duration_days / (math.gamma(1 + 1 / k) * mean_factor)
    alpha = config.logit_intercept
    if alpha is None:
        alpha = _calibrate_intercept(_linear_predictor(config.logit_coef, x),
                                     config.target_avoided_share)
    closure = _closure_draws(rng, x, config, scale, alpha)
    extract_day = day_number(extract)

    # Re-referral: a later trajectory of an earlier client of the same region and landlord
    # type, referred after that client's (observed) closure. Successors are never
    # predecessors, so their covariates can be copied and their closure redrawn.
    eligible = start >= day_number(dt.date(warm_up, 1, 1)) + 180
    candidate = eligible & (rng.random(n) < config.re_referral_share)
    closed_by_extract = start + closure["duration"] <= extract_day
    u_pick = rng.random(n)
    predecessor = np.full(n, -1, dtype=np.int64)
    for r in range(len(regions)):
        for kind in (False, True):
            stratum = (region == r) & (svk == kind)
            priors = np.flatnonzero(stratum & ~candidate & closed_by_extract)
            cands = np.flatnonzero(stratum & candidate)
            if len(priors) == 0 or len(cands) == 0:
                continue
            closed_day = start[priors] + closure["duration"][priors]
            by_day = np.argsort(closed_day, kind="stable")
            before = np.searchsorted(closed_day[by_day], referral[cands] - RE_REFERRAL_GAP_DAYS,
                                     side="right")
            ok = before > 0
            pick = np.floor(u_pick[cands[ok]] * before[ok]).astype(np.int64)
            predecessor[cands[ok]] = priors[by_day[pick]]
    linked = np.flatnonzero(predecessor >= 0)
    linked = linked[np.argsort(referral[linked], kind="stable")]
    _, first = np.unique(predecessor[linked], return_index=True)
    drop = np.setdiff1d(linked, linked[first])
    predecessor[drop] = -1
    succ = np.flatnonzero(predecessor >= 0)
    pred = predecessor[succ]
    for values in (household, children, sex, income, landlord):
        values[succ] = values[pred]
    years_later = np.floor((referral[succ] - referral[pred]) / 365.25).astype(np.int64)
    age[succ] = np.minimum(age[pred] + years_later, 90)
    redraw = _closure_draws(rng, covariates(succ), config, scale, alpha)
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
    outcome, reason = closure["outcome"], closure["reason"]
    referred_on = ((reason == _codes("afsluitreden").index("doorverwezen")) & is_closed) | (
        rng.random(n) < config.referred_on_rate)
    aftercare_p = np.array([config.aftercare_rates[o] for o in ("ja", "nee", "onbekend")])
    aftercare = rng.random(n) < aftercare_p[outcome]

    # Workers: about workers_per_fte per (scaled) FTE in force, each start to one of them.
    workers = np.maximum(1, np.rint(config.workers_per_fte * line.fte[segment]
                                    * line.scale[segment])).astype(np.int64)
    worker = np.floor(rng.random(n) * workers).astype(np.int64) + 1

    # Ids: dossier per region and start year in start order; clients per region.
    start_year = (pl.Series(start, dtype=pl.Int32).cast(pl.Date).dt.year()
                  .to_numpy().astype(np.int64))
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
    client_no[succ] = client_no[pred]

    missing = {c: rng.random(n) < p for c, p in config.missing_optional.items()}
    frame = _frame(
        regions=regions, region=region, start=start, referral=referral, is_closed=is_closed,
        duration=duration, landlord=landlord, landlords=landlords, svk=svk,
        household=household, children=children, sex=sex, income=income, age=age,
        problems=problems, arrears_amount=amount, procedure=procedure, referrer=referrer,
        debt_mediation=debt_mediation, visits=visits, contacts=contacts,
        referred_on=referred_on, aftercare=aftercare, closure=closure, worker=worker,
        dossier_no=dossier_no, client_no=client_no, start_year=start_year,
        predecessor=predecessor, missing=missing)

    truth = _truth(seed=seed, requested=requested, simulated=simulated, extract=extract,
                   clamped=clamped, n_per_year=n_per_year, config=config,
                   reference=reference, line=line, per_fte=per_fte, scale=scale, alpha=alpha,
                   frame=frame, no_landlords=no_landlords)
    return Simulation(frame, truth, extract, requested, simulated, tuple(regions))


def _frame(*, regions, region, start, referral, is_closed, duration, landlord, landlords,
           svk, household, children, sex, income, age, problems, arrears_amount, procedure,
           referrer, debt_mediation, visits, contacts, referred_on, aftercare, closure,
           worker, dossier_no, client_no, start_year, predecessor, missing) -> pl.DataFrame:
    """Assemble the typed trajectories frame (contract column order, then helpers)."""
    def code(values: np.ndarray, column: str) -> pl.Series:
        levels = dict(enumerate(_codes(column)))
        return pl.Series(values).replace_strict(levels, return_dtype=pl.String)

    def opt(series: pl.Series, column: str) -> pl.Series:
        return series.set(pl.Series(missing[column]), None) if column in missing else series

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
            code(closure["outcome"], "uithuiszetting_vermeden")),
        "nazorg": opt(when_closed(pl.Series(aftercare)), "nazorg"),
        "_duur_latent": pl.Series(duration, dtype=pl.Int64),
        "_voorganger": pl.Series(predecessor).set(pl.Series(predecessor < 0), None),
        "_startjaar": pl.Series(start_year, dtype=pl.Int64),
    }
    assert tuple(columns)[: len(COLUMN_NAMES)] == COLUMN_NAMES
    return pl.DataFrame({name: s.alias(name) for name, s in columns.items()})


def _truth(*, seed, requested, simulated, extract, clamped, n_per_year, config, reference,
           line, per_fte, scale, alpha, frame, no_landlords) -> dict[str, Any]:
    """What generated the data, in the pipeline's own term names."""
    closed = frame.filter(pl.col("datum_afsluiting").is_not_null())
    decided = closed.filter(pl.col("uithuiszetting_vermeden").is_in(["ja", "nee"]))
    starts = dict(frame.group_by("caw", "_startjaar").len()
                  .select(pl.format("{}|{}", "caw", "_startjaar"), "len").iter_rows())
    volumes = [{**row, "starts": int(starts.get(f"{row['caw']}|{row['year']}", 0))}
               for row in line.table]
    k = config.weibull_shape
    return {
        "description": "Synthetische registraties preventieve woonbegeleiding (pwb synth); "
                       "geen echte cliënten. Illustratieve referentiedata.",
        "seed": seed,
        "years": list(requested),
        "warm_up_year": simulated[0],
        "simulated_years": list(simulated),
        "extract_date": extract.isoformat(),
        "extract_date_clamped_to_today": clamped,
        "n_per_year": n_per_year,
        "fte_calibration_holds": n_per_year is None,
        "volume_note": (
            "Starts per region follow FTE x supports_per_fte_year (supply-bound)."
            if n_per_year is None else
            "Volumes rescaled per year to n_per_year starts: the calibration of starts, "
            "caseload and workers per FTE to the circular no longer holds."),
        "supports_per_fte_year": per_fte,
        "reference": {"illustrative": reference.illustrative, "sources": reference.sources,
                      "regions_without_landlords": no_landlords},
        "volumes": volumes,
        "cox": {
            "time_unit": "days",
            "baseline": {"distribution": "weibull", "shape": k, "scale_days": scale,
                         "cumulative_hazard": "H0(t) = (t / scale_days) ** shape",
                         "target_mean_days": config.mean_duration_days,
                         "scale_calibrated": config.weibull_scale_days is None},
            "log_hr": dict(config.cox_log_hr),
            "note": "log hazard ratios of closure; terms not listed have 0; durations are "
                    "ceil(T) days, censored at the extract date",
        },
        "logistic": {
            "outcome": "uithuiszetting_vermeden = ja among closures with ja or nee",
            "intercept": alpha,
            "intercept_calibrated": config.logit_intercept is None,
            "target_share": config.target_avoided_share,
            "coef": dict(config.logit_coef),
            "note": "log odds ratios; terms not listed have 0; `onbekend` is assigned "
                    "completely at random to unknown_outcome_share of the closures",
        },
        "references": dict(REFERENCES),
        "unknown_outcome_share": config.unknown_outcome_share,
        "settings": config.as_json(),
        "realised": {
            "trajectories": frame.height,
            "closed_by_extract": closed.height,
            "open_at_extract": frame.height - closed.height,
            "re_referrals": int(frame["_voorganger"].is_not_null().sum()),
            "avoided_share_ja_nee": (
                round(float((decided["uithuiszetting_vermeden"] == "ja").mean()), 6)
                if decided.height else None),
        },
    }
