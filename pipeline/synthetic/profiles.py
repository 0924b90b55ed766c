"""Tenant profiles of new starts: landlord, household, income, problems, procedure.

Why a module of its own: the same draw makes the registrations and the large
covariate samples over which truth.json integrates the marginal (population)
durations, so the truth is taken over exactly the distribution the data come from.
The profile depends on the region only through its landlords (SVK share).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.contract import BY_NAME
from pipeline.reference import BIG_CITY_NIS, Reference
from pipeline.synthetic.config import SynthConfig


def codes(column: str) -> tuple[str, ...]:
    return BY_NAME[column].codes


def draw_codes(rng: np.random.Generator, n: int, shares: Mapping[str, float],
               column: str) -> np.ndarray:
    """Indices into the contract's code list of `column`, drawn with the given shares."""
    levels = codes(column)
    unknown = set(shares) - set(levels)
    if unknown:
        raise ValueError(f"{column}: unknown codes {sorted(unknown)} in the settings")
    p = np.array([float(shares.get(lv, 0.0)) for lv in levels])
    if p.sum() <= 0:
        raise ValueError(f"{column}: shares sum to zero")
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(levels) - 1)


def draw_into(rng, target: np.ndarray, mask: np.ndarray, shares, column: str) -> None:
    target[mask] = draw_codes(rng, int(mask.sum()), shares, column)


@dataclass
class Profiles:
    """One entry per trajectory (numpy arrays; codes are indices into the contract lists)."""

    region: np.ndarray
    landlord: np.ndarray  # row of `landlords`, -1 = none
    svk: np.ndarray
    household: np.ndarray
    age: np.ndarray
    children: np.ndarray
    sex: np.ndarray
    income: np.ndarray
    problems: dict[str, np.ndarray]
    arrears_amount: np.ndarray
    procedure: np.ndarray
    referrer: np.ndarray
    debt_mediation: np.ndarray

    def covariates(self, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
        """The model columns as the pipeline's design codes them (plus the region)."""
        return {"procedure_gestart": self.procedure[rows], "leeftijd": self.age[rows],
                "probleem_huurachterstand": self.problems["probleem_huurachterstand"][rows],
                "probleem_onderhoud": self.problems["probleem_onderhoud"][rows],
                "probleem_samenleven": self.problems["probleem_samenleven"][rows],
                "verhuurder_type": self.svk[rows].astype(np.int64),
                "gezinstype": self.household[rows], "inkomensbron": self.income[rows],
                "aanmelder": self.referrer[rows], "caw": self.region[rows]}


def landlord_table(reference: Reference) -> tuple[pl.DataFrame, np.ndarray]:
    """Landlords sorted by id and their referral weight: dwellings x the circular's risk."""
    norms = reference.norms
    table = reference.landlords.sort("verhuurder_id")
    risk = np.where(
        table["verhuurder_type"].to_numpy() == "SVK", norms.get("risico_svk", 0.05),
        np.where(np.isin(table["gemeente_nis"].to_numpy(), BIG_CITY_NIS),
                 norms.get("risico_shm_grootstad", 0.0165), norms.get("risico_shm", 0.01)))
    return table, table["woningen"].to_numpy().astype(np.float64) * risk


def _landlords(rng: np.random.Generator, region: np.ndarray, regions: Sequence[str],
               table: pl.DataFrame, weight: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Landlord per trajectory in proportion to its weight; regions without landlords get
    none (-1)."""
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
    return pick, without


def draw_profiles(rng: np.random.Generator, region: np.ndarray, regions: Sequence[str],
                  reference: Reference, config: SynthConfig
                  ) -> tuple[Profiles, pl.DataFrame, list[str]]:
    """Profiles of new starts in the given regions; also the landlord table and the
    regions that have no landlord in it."""
    n = len(region)
    table, weight = landlord_table(reference)
    landlord, without = _landlords(rng, region, regions, table, weight)
    svk = np.where(landlord >= 0,
                   table["verhuurder_type"].to_numpy()[np.maximum(landlord, 0)] == "SVK",
                   rng.random(n) < 0.2)
    household = draw_codes(rng, n, config.household_shares, "gezinstype")
    households = codes("gezinstype")
    age_mean = np.array([config.age_mean_by_household[h] for h in households])[household]
    age = np.clip(np.rint(rng.normal(age_mean, config.age_sd)), 18, 90).astype(np.int64)
    children = np.zeros(n, dtype=np.int64)
    sex = np.zeros(n, dtype=np.int64)
    for h, name in enumerate(households):
        mask = household == h
        low, mean = config.children_by_household[name]
        children[mask] = np.minimum(low + rng.poisson(mean, int(mask.sum())), 15)
        draw_into(rng, sex, mask, config.sex_by_household[name], "geslacht")
    income = np.zeros(n, dtype=np.int64)
    draw_into(rng, income, age < 65, config.income_shares_under_65, "inkomensbron")
    draw_into(rng, income, age >= 65, config.income_shares_65_plus, "inkomensbron")
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
    draw_into(rng, referrer, ~svk, config.referrer_shares_shm, "aanmelder")
    draw_into(rng, referrer, svk, config.referrer_shares_svk, "aanmelder")
    low_debt, high_debt = config.debt_mediation_rates
    debt_mediation = rng.random(n) < np.where(arrears, high_debt, low_debt)
    profiles = Profiles(region=region, landlord=landlord, svk=svk, household=household,
                        age=age, children=children, sex=sex, income=income, problems=problems,
                        arrears_amount=amount, procedure=procedure, referrer=referrer,
                        debt_mediation=debt_mediation)
    return profiles, table, without
