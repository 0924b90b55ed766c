"""The generating settings of the synthetic registrations, with calibrated defaults.

Why a dataclass of plain mappings: every setting is written to truth.json as is,
so a reader can see, and a recovery test can use, exactly what generated the data.
Model terms are named as the pipeline names them (`column[level]` against the
reference level, `column` for a boolean or numeric column), so the truth can be
set side by side with the estimates in results.json.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.contract import BY_NAME

#: Reference levels of the categorical model columns (fixed by the mission).
REFERENCES: Mapping[str, str] = {
    "verhuurder_type": "SHM",
    "gezinstype": "alleenstaand",
    "inkomensbron": "arbeid",
    "aanmelder": "shm",
}
#: Boolean (0/1) and numeric model columns; all are required columns, so no row drops out.
NUMERIC_TERMS: tuple[str, ...] = (
    "procedure_gestart", "probleem_huurachterstand", "probleem_onderhoud",
    "probleem_samenleven", "leeftijd",
)


def allowed_terms() -> tuple[str, ...]:
    """Every term a truth model may use: numeric columns and non-reference levels."""
    levels = [f"{col}[{lv}]" for col, ref in REFERENCES.items()
              for lv in BY_NAME[col].codes if lv != ref]
    return (*NUMERIC_TERMS, *levels)


def _cox_default() -> dict[str, float]:
    # log hazard ratios of closure (per day); > 0 = closes sooner.
    return {
        "procedure_gestart": 0.25,
        "probleem_huurachterstand": 0.10,
        "probleem_onderhoud": -0.15,
        "probleem_samenleven": -0.20,
        "verhuurder_type[SVK]": -0.15,
        "gezinstype[eenoudergezin]": -0.10,
        "gezinstype[koppel_met_kinderen]": -0.15,
        "gezinstype[koppel_zonder_kinderen]": 0.05,
        "inkomensbron[werkloosheid]": -0.10,
        "inkomensbron[ziekte_invaliditeit]": -0.15,
        "inkomensbron[leefloon]": -0.25,
        "inkomensbron[geen]": -0.30,
        "inkomensbron[pensioen]": 0.05,
        "leeftijd": 0.005,
    }


def _logit_default() -> dict[str, float]:
    # log odds ratios of `uithuiszetting_vermeden = ja` among ja/nee closures.
    return {
        "procedure_gestart": -1.00,
        "probleem_huurachterstand": -0.25,
        "probleem_onderhoud": -0.20,
        "probleem_samenleven": -0.45,
        "verhuurder_type[SVK]": -0.30,
        "gezinstype[eenoudergezin]": 0.20,
        "gezinstype[koppel_met_kinderen]": 0.30,
        "gezinstype[koppel_zonder_kinderen]": 0.15,
        "inkomensbron[werkloosheid]": -0.20,
        "inkomensbron[ziekte_invaliditeit]": -0.10,
        "inkomensbron[leefloon]": -0.45,
        "inkomensbron[geen]": -0.60,
        "inkomensbron[pensioen]": 0.20,
        "leeftijd": 0.01,
    }


@dataclass(frozen=True)
class SynthConfig:
    """All generating settings. `None` means: calibrate from the targets / the seed data."""

    # --- volumes and duration (circular, punt 3; evaluation Steunpunt 2011)
    supports_per_fte_year: float | None = None  # None: normen.csv begeleidingen_per_vte_per_jaar
    mean_duration_days: float = 9 * 365.25 / 12  # 9 months
    weibull_shape: float = 1.4
    weibull_scale_days: float | None = None  # None: set so the population mean is the target
    extract_date: dt.date | None = None  # None: 15 February after the last year
    workers_per_fte: float = 1.2

    # --- the truth models
    cox_log_hr: Mapping[str, float] = field(default_factory=_cox_default)
    logit_coef: Mapping[str, float] = field(default_factory=_logit_default)
    logit_intercept: float | None = None  # None: calibrated to target_avoided_share
    target_avoided_share: float = 0.65  # "7 in 10" (later figures), 62% (CAW 2020)
    unknown_outcome_share: float = 0.04  # `onbekend`, completely at random

    # --- closure details given the outcome (uithuisgezet only with `nee`)
    reason_given_outcome: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "ja": {"doelen_bereikt": 0.58, "doorverwezen": 0.14, "voortijdig_gestopt": 0.10,
               "verhuisd": 0.10, "andere": 0.08},
        "nee": {"uithuisgezet": 0.55, "verhuisd": 0.17, "voortijdig_gestopt": 0.15,
                "doorverwezen": 0.05, "overleden": 0.02, "andere": 0.06},
        "onbekend": {"voortijdig_gestopt": 0.40, "verhuisd": 0.25, "doorverwezen": 0.12,
                     "overleden": 0.05, "andere": 0.18},
    })
    goals_given_outcome: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "doelen_bereikt": {"bereikt": 0.85, "gedeeltelijk": 0.15, "niet_bereikt": 0.0},
        "uithuisgezet": {"bereikt": 0.0, "gedeeltelijk": 0.15, "niet_bereikt": 0.85},
        "ja": {"bereikt": 0.35, "gedeeltelijk": 0.50, "niet_bereikt": 0.15},
        "nee": {"bereikt": 0.03, "gedeeltelijk": 0.27, "niet_bereikt": 0.70},
        "onbekend": {"bereikt": 0.10, "gedeeltelijk": 0.40, "niet_bereikt": 0.50},
    })

    # --- tenant profile (2011 study: mostly single people on replacement incomes)
    household_shares: Mapping[str, float] = field(default_factory=lambda: {
        "alleenstaand": 0.48, "eenoudergezin": 0.23, "koppel_zonder_kinderen": 0.09,
        "koppel_met_kinderen": 0.15, "andere": 0.05})
    age_mean_by_household: Mapping[str, float] = field(default_factory=lambda: {
        "alleenstaand": 48.0, "eenoudergezin": 38.0, "koppel_zonder_kinderen": 55.0,
        "koppel_met_kinderen": 41.0, "andere": 45.0})
    age_sd: float = 12.5
    children_by_household: Mapping[str, tuple[int, float]] = field(default_factory=lambda: {
        # minimum + Poisson(mean): the household type fixes whether there are children
        "alleenstaand": (0, 0.0), "eenoudergezin": (1, 0.8), "koppel_zonder_kinderen": (0, 0.0),
        "koppel_met_kinderen": (1, 1.2), "andere": (0, 0.6)})
    sex_by_household: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "alleenstaand": {"m": 0.56, "v": 0.435, "x": 0.005},
        "eenoudergezin": {"m": 0.14, "v": 0.85, "x": 0.01},
        "koppel_zonder_kinderen": {"m": 0.5, "v": 0.5, "x": 0.0},
        "koppel_met_kinderen": {"m": 0.5, "v": 0.5, "x": 0.0},
        "andere": {"m": 0.5, "v": 0.49, "x": 0.01}})
    income_shares_under_65: Mapping[str, float] = field(default_factory=lambda: {
        "arbeid": 0.19, "werkloosheid": 0.25, "ziekte_invaliditeit": 0.24, "leefloon": 0.20,
        "pensioen": 0.02, "geen": 0.04, "andere": 0.06})
    income_shares_65_plus: Mapping[str, float] = field(default_factory=lambda: {
        "pensioen": 0.85, "ziekte_invaliditeit": 0.05, "leefloon": 0.04, "geen": 0.02,
        "andere": 0.04})
    # Independent draws; a household with none of the three gets one (weights below),
    # which lifts the shares to about 75% / 42% / 32%.
    problem_base_rates: Mapping[str, float] = field(default_factory=lambda: {
        "probleem_huurachterstand": 0.68, "probleem_onderhoud": 0.38,
        "probleem_samenleven": 0.29})
    problem_if_none: Mapping[str, float] = field(default_factory=lambda: {
        "probleem_huurachterstand": 0.5, "probleem_onderhoud": 0.3,
        "probleem_samenleven": 0.2})
    arrears_median_eur: float = 1500.0
    arrears_log_sd: float = 0.8
    # P(procedure started) = base + arrears + big arrears (> 3000 EUR): about 24%.
    procedure_rates: Mapping[str, float] = field(default_factory=lambda: {
        "base": 0.12, "huurachterstand": 0.14, "huurachterstand_boven_3000": 0.12})
    referrer_shares_shm: Mapping[str, float] = field(default_factory=lambda: {
        "shm": 0.70, "ocmw": 0.10, "caw": 0.06, "politie": 0.02, "huurder": 0.07,
        "andere": 0.05})
    referrer_shares_svk: Mapping[str, float] = field(default_factory=lambda: {
        "svk": 0.72, "ocmw": 0.10, "caw": 0.06, "politie": 0.01, "huurder": 0.06,
        "andere": 0.05})
    wait_days_gamma: tuple[float, float] = (1.5, 10.0)  # referral -> start: shape, scale
    debt_mediation_rates: tuple[float, float] = (0.20, 0.45)  # without / with arrears
    referred_on_rate: float = 0.25
    aftercare_rates: Mapping[str, float] = field(default_factory=lambda: {
        "ja": 0.40, "nee": 0.15, "onbekend": 0.15})
    home_visit_share: float = 0.93  # trajectories with at least one home visit
    visits_per_month: float = 1.1
    contacts_per_month: float = 2.4  # contacts other than home visits
    missing_optional: Mapping[str, float] = field(default_factory=lambda: {
        "begeleider_id": 0.01, "verhuurder_id": 0.02, "gemeente_nis": 0.03,
        "huurachterstand_eur": 0.08, "aantal_kinderen": 0.05, "geslacht": 0.03,
        "schuldbemiddeling": 0.05, "aantal_huisbezoeken": 0.03, "aantal_contacten": 0.03,
        "doorverwezen": 0.04, "nazorg": 0.05})
    re_referral_share: float = 0.07  # trajectories that are a client's new referral

    # --- files
    xlsx_max_rows: int = 2000  # at most one XLSX per year, this many rows; rest to CSV
    note_share: float = 0.03  # rows with a free-text `opmerking` in the cp1252 CSV files
    belgian_dash_date_share: float = 0.1  # rows with dd-mm-yyyy dates in the UTF-8 CSV files

    def check(self) -> None:
        """Refuse settings the generator cannot honour (a typo would silently be a 0)."""
        known = set(allowed_terms())
        for name, terms in (("cox_log_hr", self.cox_log_hr), ("logit_coef", self.logit_coef)):
            unknown = sorted(set(terms) - known)
            if unknown:
                raise ValueError(f"{name}: unknown model terms {unknown}; allowed: "
                                 f"{sorted(known)}")
        if "uithuisgezet" in {**self.reason_given_outcome.get("ja", {}),
                              **self.reason_given_outcome.get("onbekend", {})}:
            raise ValueError("afsluitreden 'uithuisgezet' is only possible with "
                             "uithuiszetting_vermeden = nee")
        if not 0 < self.target_avoided_share < 1:
            raise ValueError("target_avoided_share must lie in (0, 1)")
        if self.weibull_shape <= 0 or self.mean_duration_days <= 0:
            raise ValueError("weibull_shape and mean_duration_days must be positive")
        if self.xlsx_max_rows < 1:
            raise ValueError("xlsx_max_rows must be at least 1")

    def as_json(self) -> dict[str, Any]:
        """The settings as JSON-ready data (dates as ISO text)."""
        out = dataclasses.asdict(self)
        if self.extract_date is not None:
            out["extract_date"] = self.extract_date.isoformat()
        return out
