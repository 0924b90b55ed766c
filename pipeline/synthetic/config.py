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
from collections.abc import Mapping, Sequence
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


#: The four closure outcomes (competing events), in the order of the format's definitions.
OUTCOMES: tuple[str, ...] = ("vermeden", "uithuisgezet", "niet_vermeden", "onbekend")
#: `uithuiszetting_vermeden` of each outcome (uithuisgezet and niet_vermeden are both `nee`).
AVOIDED_CODE: Mapping[str, str] = {"vermeden": "ja", "uithuisgezet": "nee",
                                   "niet_vermeden": "nee", "onbekend": "onbekend"}


def _cause_log_hr_default() -> dict[str, dict[str, float]]:
    # log hazard ratios per outcome (cause-specific hazards, per day); > 0 = that closure
    # comes sooner. A started procedure speeds up eviction and slows down an avoided
    # eviction: one all-closure hazard would average the two.
    return {
        "vermeden": {
            "procedure_gestart": -0.20, "probleem_huurachterstand": -0.10,
            "probleem_onderhoud": -0.25, "probleem_samenleven": -0.35,
            "verhuurder_type[SVK]": -0.20, "gezinstype[eenoudergezin]": 0.10,
            "gezinstype[koppel_met_kinderen]": 0.15, "gezinstype[koppel_zonder_kinderen]": 0.10,
            "inkomensbron[werkloosheid]": -0.15, "inkomensbron[ziekte_invaliditeit]": -0.15,
            "inkomensbron[leefloon]": -0.35, "inkomensbron[geen]": -0.45,
            "inkomensbron[pensioen]": 0.15, "leeftijd": 0.008,
        },
        "uithuisgezet": {
            "procedure_gestart": 0.80, "probleem_huurachterstand": 0.40,
            "probleem_onderhoud": 0.15, "probleem_samenleven": 0.25,
            "verhuurder_type[SVK]": 0.30, "gezinstype[eenoudergezin]": -0.15,
            "gezinstype[koppel_met_kinderen]": -0.25, "inkomensbron[werkloosheid]": 0.15,
            "inkomensbron[leefloon]": 0.40, "inkomensbron[geen]": 0.55,
            "inkomensbron[pensioen]": -0.30, "leeftijd": -0.010,
        },
        "niet_vermeden": {
            "procedure_gestart": 0.25, "probleem_onderhoud": 0.20, "probleem_samenleven": 0.35,
            "inkomensbron[leefloon]": 0.20, "inkomensbron[geen]": 0.30, "leeftijd": -0.005,
        },
        "onbekend": {"probleem_samenleven": 0.20, "inkomensbron[geen]": 0.30},
    }


def _common_log_hr_default() -> dict[str, float]:
    # Used for every outcome when outcome_specific is off: one hazard of closure.
    return {
        "procedure_gestart": 0.25, "probleem_huurachterstand": 0.10,
        "probleem_onderhoud": -0.15, "probleem_samenleven": -0.20,
        "verhuurder_type[SVK]": -0.15, "gezinstype[eenoudergezin]": -0.10,
        "gezinstype[koppel_met_kinderen]": -0.15, "gezinstype[koppel_zonder_kinderen]": 0.05,
        "inkomensbron[werkloosheid]": -0.10, "inkomensbron[ziekte_invaliditeit]": -0.15,
        "inkomensbron[leefloon]": -0.25, "inkomensbron[geen]": -0.30,
        "inkomensbron[pensioen]": 0.05, "leeftijd": 0.005,
    }


@dataclass(frozen=True)
class SynthConfig:
    """All generating settings. `None` means: calibrate from the targets / the seed data."""

    # --- registration window (the delivery starts here; older trajectories only when
    # still open on that day, with their real start date) and the burn-in before it.
    # None: no window, the simulation starts empty one year before the first year.
    registration_window: dt.date | None = dt.date(2011, 1, 1)
    burn_in_years: int = 6  # intake simulated this long before the window

    # --- volumes: starts per region = A x FTE(t) ** fte_power x (1 + growth) ** years
    supports_per_fte_year: float | None = None  # None: normen.csv begeleidingen_per_vte_per_jaar
    intake_reference_date: dt.date = dt.date(2011, 1, 1)  # where the 26.66 per FTE holds
    fte_power: float = 0.8  # 1: starts proportional to the FTE in force
    intake_growth: Mapping[str, float] = field(default_factory=lambda: {
        "OVL": 0.10, "BRU": -0.15})  # yearly growth of intake beside the FTE; {} = none
    extract_date: dt.date | None = None  # None: 15 February after the last year
    workers_per_fte: float = 1.2

    # --- closure: latent competing risks, one proportional-hazards Weibull per outcome
    outcome_specific: bool = True  # False: every outcome has common_log_hr and one shape
    mean_duration_days: float = 9 * 365.25 / 12  # 9 months (2011 study: a mean)
    cause_shapes: Mapping[str, float] = field(default_factory=lambda: {
        "vermeden": 1.6, "uithuisgezet": 1.3, "niet_vermeden": 1.1, "onbekend": 1.0})
    common_shape: float = 1.4
    cause_log_hr: Mapping[str, Mapping[str, float]] = field(
        default_factory=_cause_log_hr_default)
    common_log_hr: Mapping[str, float] = field(default_factory=_common_log_hr_default)
    # Shares of the outcomes among new starts at the intake reference date; the Weibull
    # scales are calibrated to these and to mean_duration_days unless given.
    target_outcome_shares: Mapping[str, float] = field(default_factory=lambda: {
        "vermeden": 0.62, "uithuisgezet": 0.18, "niet_vermeden": 0.16, "onbekend": 0.04})
    cause_scale_days: Mapping[str, float] | None = None
    # One region's eviction hazard is higher (log-HR against every other region);
    # None: no regional effect.
    regional_effect: Mapping[str, Any] | None = field(default_factory=lambda: {
        "caw": "LIM", "outcome": "uithuisgezet", "log_hr": 0.6})

    # --- closure details given the outcome (afsluitreden uithuisgezet = outcome uithuisgezet)
    reason_given_outcome: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "vermeden": {"doelen_bereikt": 0.58, "doorverwezen": 0.14, "voortijdig_gestopt": 0.10,
                     "verhuisd": 0.10, "andere": 0.08},
        "niet_vermeden": {"verhuisd": 0.38, "voortijdig_gestopt": 0.33, "doorverwezen": 0.11,
                          "overleden": 0.05, "andere": 0.13},
        "onbekend": {"voortijdig_gestopt": 0.40, "verhuisd": 0.25, "doorverwezen": 0.12,
                     "overleden": 0.05, "andere": 0.18},
    })
    goals_given_outcome: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "doelen_bereikt": {"bereikt": 0.85, "gedeeltelijk": 0.15, "niet_bereikt": 0.0},
        "uithuisgezet": {"bereikt": 0.0, "gedeeltelijk": 0.15, "niet_bereikt": 0.85},
        "vermeden": {"bereikt": 0.35, "gedeeltelijk": 0.50, "niet_bereikt": 0.15},
        "niet_vermeden": {"bereikt": 0.03, "gedeeltelijk": 0.27, "niet_bereikt": 0.70},
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
        "ja": 0.40, "nee": 0.15, "onbekend": 0.15})  # by uithuiszetting_vermeden
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

    def check(self, regions: Sequence[str] | None = None) -> None:
        """Refuse settings the generator cannot honour (a typo would silently be a 0)."""
        known = set(allowed_terms())
        models = {"common_log_hr": self.common_log_hr,
                  **{f"cause_log_hr[{k}]": v for k, v in self.cause_log_hr.items()}}
        for name, terms in models.items():
            unknown = sorted(set(terms) - known)
            if unknown:
                raise ValueError(f"{name}: unknown model terms {unknown}; allowed: "
                                 f"{sorted(known)}")
        for name, per_outcome in (("cause_log_hr", self.cause_log_hr),
                                  ("cause_shapes", self.cause_shapes),
                                  ("target_outcome_shares", self.target_outcome_shares),
                                  ("cause_scale_days", self.cause_scale_days or
                                   dict.fromkeys(OUTCOMES, 1.0))):
            if set(per_outcome) != set(OUTCOMES):
                raise ValueError(f"{name} needs exactly the outcomes {list(OUTCOMES)}")
        if set(self.reason_given_outcome) != {"vermeden", "niet_vermeden", "onbekend"}:
            raise ValueError("reason_given_outcome needs vermeden, niet_vermeden, onbekend "
                             "(uithuisgezet has its own reason)")
        if any("uithuisgezet" in shares for shares in self.reason_given_outcome.values()):
            raise ValueError("afsluitreden 'uithuisgezet' is only possible with the outcome "
                             "uithuisgezet (uithuiszetting_vermeden = nee)")
        shares = list(self.target_outcome_shares.values())
        if min(shares) <= 0 or abs(sum(shares) - 1) > 1e-9:
            raise ValueError("target_outcome_shares must be positive and sum to 1")
        if min(*self.cause_shapes.values(), self.common_shape) < 0.5:
            raise ValueError("Weibull shapes below 0.5 are not supported")
        if self.mean_duration_days <= 0 or self.fte_power < 0 or self.burn_in_years < 1:
            raise ValueError("mean_duration_days must be positive, fte_power >= 0, "
                             "burn_in_years >= 1")
        if self.regional_effect is not None:
            effect = self.regional_effect
            if set(effect) != {"caw", "outcome", "log_hr"} or effect["outcome"] not in OUTCOMES:
                raise ValueError("regional_effect needs caw, outcome (one of the outcomes) "
                                 "and log_hr")
            if regions is not None and effect["caw"] not in regions:
                raise ValueError(f"regional_effect: unknown region {effect['caw']}")
        if regions is not None:
            unknown = sorted(set(self.intake_growth) - set(regions))
            if unknown:
                raise ValueError(f"intake_growth: unknown regions {unknown}")
        if any(g <= -1 for g in self.intake_growth.values()):
            raise ValueError("intake_growth must be above -1 (a yearly growth rate)")
        if self.xlsx_max_rows < 1:
            raise ValueError("xlsx_max_rows must be at least 1")

    def as_json(self) -> dict[str, Any]:
        """The settings as JSON-ready data (dates as ISO text)."""
        out = dataclasses.asdict(self)
        for name, value in out.items():
            if isinstance(value, dt.date):
                out[name] = value.isoformat()
        return out
