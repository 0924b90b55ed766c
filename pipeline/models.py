"""The year's model results (issue 4) as JSON-ready dicts over the trajectories frame.

Why plain functions: the Dagster assets, the CLI and the tests call the same
code, and ``results.json`` takes these dicts as they are. Every number is a
plain float rounded to 6 significant digits (NaN and infinity become ``None``,
as ``results.json`` is written with ``allow_nan=False``), so the same frame
gives the same bytes. Sparse data never raise: what could not be estimated is
``None`` and the ``problems`` list says why.

Samples (registration-format.md, "Definitions"):
* time to closure, Cox and cumulative incidence: rows with ``in_scope``;
  duration ``days_to_closure``, event ``closed`` (open at the cut-off = censored);
* eviction avoided: rows with ``closed_in_year`` and ``eviction_avoided`` not null.

Choices, stated once:
* Kaplan-Meier: R ``survfit`` conventions, ``log`` confidence interval.
* Cox: Efron ties, stratified by ``caw`` (each CAW its own baseline hazard, so
  regional differences in closure practice need not be proportional; no
  coefficients for CAW's); PH test = R ``cox.zph`` score test, km transform.
* ``leeftijd`` enters the models in years, linear (term ``leeftijd``: hazard or
  odds ratio per year of age); the Kaplan-Meier profiles use age bands.
* Logistic: cluster-robust standard errors by ``caw``, Stata's G/(G-1)
  convention (see :mod:`pipeline.stats.logistic`).
* Curves are reported on a fixed grid (every 30 days, 0-720); the cumulative
  incidence headline days are 90, 180, 365 and 730. A grid day beyond the last
  observed time is ``None`` (not observed), never the last value carried on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from pipeline.numbers import num
from pipeline.stats import (
    DEFAULT_REFERENCES,
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    logistic,
    logrank,
)
from pipeline.stats.cox import PH_TRANSFORMS, TIES
from pipeline.stats.kaplan_meier import CONF_TYPES
from pipeline.years import OTHER_OUTCOMES

# The cumulative-incidence block as results.json had it; the four outcomes come with issue 12.
OUTCOMES = ("vermeden", "uithuisgezet", "ander")

MODEL_COVARIATES: tuple[str, ...] = (
    "verhuurder_type", "gezinstype", "inkomensbron", "leeftijd",
    "probleem_huurachterstand", "probleem_onderhoud", "probleem_samenleven",
    "procedure_gestart",
)
AGE_BAND = "leeftijdsklasse"  # profile derived from leeftijd with ModelSettings.age_bands
PROFILES: tuple[str, ...] = (
    "verhuurder_type", "gezinstype", "inkomensbron", AGE_BAND, "aanmelder",
    "procedure_gestart", "probleem_huurachterstand", "probleem_onderhoud",
    "probleem_samenleven",
)


@dataclass(frozen=True)
class ModelSettings:
    """Everything a researcher may change about the year's models, with the defaults."""

    cox_covariates: tuple[str, ...] = MODEL_COVARIATES
    logistic_covariates: tuple[str, ...] = MODEL_COVARIATES
    references: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REFERENCES))
    conf_level: float = 0.95
    km_conf_type: str = "log"
    ties: str = "efron"
    cox_strata: tuple[str, ...] = ("caw",)
    ph_transform: str = "km"
    cluster: str | None = "caw"
    profiles: tuple[str, ...] = PROFILES
    age_bands: tuple[int, ...] = (30, 45, 60)  # lower bounds of the bands after 16-29
    curve_days: tuple[int, ...] = tuple(range(0, 721, 30))
    incidence_days: tuple[int, ...] = (90, 180, 365, 730)

    def __post_init__(self) -> None:
        if not 0 < self.conf_level < 1:
            raise ValueError("conf_level must lie between 0 and 1")
        if self.km_conf_type not in CONF_TYPES:
            raise ValueError(f"km_conf_type must be one of {CONF_TYPES}")
        if self.ties not in TIES:
            raise ValueError(f"ties must be one of {TIES}")
        if self.ph_transform not in PH_TRANSFORMS:
            raise ValueError(f"ph_transform must be one of {PH_TRANSFORMS}")
        if list(self.age_bands) != sorted(set(self.age_bands)) or any(
                b <= 16 for b in self.age_bands):
            raise ValueError("age_bands must be increasing ages above 16")

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (for the report's methods chapter)."""
        out = asdict(self)
        out["references"] = dict(sorted(self.references.items()))
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


# --------------------------------------------------------------------------- helpers


def step_at(timeline: np.ndarray, values: np.ndarray, days: Sequence[int], before: float
          ) -> list[float | None]:
    """Right-continuous step function at ``days``; None beyond the last observed time."""
    t = np.asarray(days, dtype=float)
    idx = np.searchsorted(timeline, t, side="right")
    ext = np.concatenate(([before], np.asarray(values, dtype=float)))[idx]
    last = timeline[-1] if timeline.size else -np.inf
    return [None if d > last else num(v) for d, v in zip(t, ext, strict=True)]


def survival_sample(traj: pl.DataFrame) -> pl.DataFrame:
    return traj.filter(pl.col("in_scope"))


def eviction_sample(traj: pl.DataFrame) -> pl.DataFrame:
    return traj.filter(pl.col("closed_in_year") & pl.col("eviction_avoided").is_not_null())


def survival_data(sample: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    t = sample["days_to_closure"].cast(pl.Float64).to_numpy().astype(float)
    e = sample["closed"].fill_null(False).to_numpy().astype(bool)
    return t, e


def profile_levels(sample: pl.DataFrame, column: str, settings: ModelSettings
             ) -> tuple[np.ndarray, list[str]]:
    """Level code per row (-1 when missing) and the level labels in report order.

    Order: the reference level first, then sort order; booleans nee, ja (the
    0/1 coding of the models); age bands from young to old. Integer codes keep
    the per-level Kaplan-Meier fast on a million rows.
    """
    if column == AGE_BAND:
        ages = sample["leeftijd"]
        lows = [16, *settings.age_bands]
        names = [f"{lo}-{hi - 1}" for lo, hi in zip(lows, lows[1:], strict=False)]
        names.append(f"{lows[-1]}+")
        band = np.searchsorted(np.asarray(settings.age_bands), ages.fill_null(0).to_numpy(),
                               side="right")
        labels = pl.Series(np.asarray(names)[band]).zip_with(
            ages.is_not_null(), pl.repeat(None, len(band), dtype=pl.String, eager=True))
        order = names
    elif sample[column].dtype == pl.Boolean:
        labels = sample.select(pl.when(pl.col(column)).then(pl.lit("ja"))
                               .when(~pl.col(column)).then(pl.lit("nee"))).to_series()
        order = ["nee", "ja"]
    else:
        labels = sample[column].cast(pl.String)
        ref = settings.references.get(column)
        order = sorted(labels.unique().drop_nulls().to_list(), key=lambda v: (v != ref, v))
    present = set(labels.unique().drop_nulls().to_list())
    levels = [lv for lv in order if lv in present]
    codes = labels.replace_strict(levels, list(range(len(levels))), default=-1,
                                  return_dtype=pl.Int64)
    return codes.to_numpy(), levels


def _km_summary(t: np.ndarray, e: np.ndarray, settings: ModelSettings):
    km = kaplan_meier(t, e, conf_level=settings.conf_level, conf_type=settings.km_conf_type)
    summary = {"n": km.n, "events": km.events, "median_days": num(km.median),
               "median_ci": [num(km.median_ci[0]), num(km.median_ci[1])]}
    return km, summary


# --------------------------------------------------------------------------- the models


def time_to_closure(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Kaplan-Meier overall and per profile level, with a log-rank test per profile."""
    settings = settings or ModelSettings()
    # sorted once, so that every per-level subset is sorted and np.unique is quick
    sample = survival_sample(traj).sort("days_to_closure", maintain_order=True)
    t, e = survival_data(sample)
    km, out = _km_summary(t, e, settings)
    problems = list(km.problems)
    by_group: dict[str, dict] = {}
    for column in settings.profiles:
        codes, levels = profile_levels(sample, column, settings)
        known = codes >= 0
        if not known.all():
            problems.append(f"{column}: {int((~known).sum())} row(s) without a value left out")
        rows = []
        for i, level in enumerate(levels):
            mask = codes == i
            km_level, summary = _km_summary(t[mask], e[mask], settings)
            problems.extend(f"{column}={level}: {p}" for p in km_level.problems)
            rows.append({"level": level, **summary})
        test = logrank(t[known], e[known], codes[known])
        problems.extend(f"{column} (log-rank): {p}" for p in test.problems)
        by_group[column] = {"levels": rows, "logrank": {
            "statistic": num(test.statistic), "df": int(test.df), "p": num(test.p)}}
    s, lo, up = km.survival, km.lower, km.upper
    curve = {"days": list(settings.curve_days),
             "survival": step_at(km.timeline, s, settings.curve_days, 1.0),
             "lower": step_at(km.timeline, lo, settings.curve_days, 1.0),
             "upper": step_at(km.timeline, up, settings.curve_days, 1.0)}
    return {**out, "conf_level": settings.conf_level, "conf_type": settings.km_conf_type,
            "by_group": by_group, "curve": curve, "problems": problems}


def cox_model(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Cox proportional hazards of closure with the cox.zph PH test."""
    settings = settings or ModelSettings()
    fit = cox_ph(survival_sample(traj), "days_to_closure", "closed",
                 list(settings.cox_covariates), references=settings.references,
                 ties=settings.ties, strata=list(settings.cox_strata) or None,
                 conf_level=settings.conf_level, ph_transform=settings.ph_transform)
    terms = [{"term": r["term"], "coef": num(r["coef"]), "se": num(r["se"]),
              "hr": num(r["hr"]), "hr_ci": [num(r["hr_lower"]), num(r["hr_upper"])],
              "p": num(r["p"])} for r in fit.terms.iter_rows(named=True)]
    ph = fit.ph_test
    ph_test = {
        "transform": ph.transform,
        "terms": [{"term": r["term"], "chisq": num(r["chisq"]), "df": int(r["df"]),
                   "p": num(r["p"])} for r in ph.terms.iter_rows(named=True)],
        "covariates": [{"covariate": r["covariate"], "chisq": num(r["chisq"]),
                        "df": int(r["df"]), "p": num(r["p"])}
                       for r in ph.covariates.iter_rows(named=True)],
        "global": {"chisq": num(ph.global_chisq), "df": int(ph.global_df),
                   "p": num(ph.global_p)},
    }
    lr = fit.lr_test
    return {"n": fit.n, "events": fit.events, "ties": fit.ties, "strata": list(fit.strata),
            "conf_level": fit.conf_level, "terms": terms, "ph_test": ph_test,
            "concordance": num(fit.concordance),
            "lr_test": {"statistic": num(lr.statistic), "df": int(lr.df), "p": num(lr.p)},
            "loglik": num(fit.loglik), "converged": bool(fit.converged),
            "problems": list(fit.problems)}


def closure_incidence(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Aalen-Johansen cumulative incidence of vermeden / uithuisgezet / ander."""
    settings = settings or ModelSettings()
    sample = survival_sample(traj)
    t, e = survival_data(sample)
    outcome = sample["closure_outcome"].replace(list(OTHER_OUTCOMES), "ander").to_numpy()
    causes = np.where(e, outcome, "0").astype(str)
    fit = cumulative_incidence(t, causes, conf_level=settings.conf_level, censor_code="0")
    problems = list(fit.problems)
    unknown = sorted(set(fit.causes) - set(OUTCOMES))
    if unknown:
        problems.append(f"closure outcomes outside {list(OUTCOMES)}: {unknown}")
    for cause in OUTCOMES:
        if t.size and cause not in fit.causes:
            problems.append(f"{cause}: no closures with this outcome; incidence 0")

    def series(days: Sequence[int], part: str) -> dict[str, list]:
        zeros = np.zeros(fit.timeline.size)
        source = getattr(fit, part)
        return {c: step_at(fit.timeline, source.get(c, zeros), days, 0.0) for c in OUTCOMES}

    def block(days: Sequence[int]) -> dict[str, Any]:
        return {"days": list(days), **series(days, "cif"),
                "lower": series(days, "lower"), "upper": series(days, "upper")}

    return {"n": fit.n, "events": {c: int(fit.n_event[c].sum()) if c in fit.n_event else 0
                                   for c in OUTCOMES},
            "conf_level": settings.conf_level, **block(settings.incidence_days),
            "curve": block(settings.curve_days), "problems": problems}


def eviction_model(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Logistic model of eviction avoided among the year's closures with ja/nee."""
    settings = settings or ModelSettings()
    fit = logistic(eviction_sample(traj), "eviction_avoided",
                   list(settings.logistic_covariates), references=settings.references,
                   cluster=settings.cluster, conf_level=settings.conf_level)
    terms = [{"term": r["term"], "coef": num(r["coef"]), "se": num(r["se"]),
              "or": num(r["odds_ratio"]), "or_ci": [num(r["or_lower"]), num(r["or_upper"])],
              "p": num(r["p"])} for r in fit.terms.iter_rows(named=True)]
    return {"n": fit.n, "events": fit.events, "rate": num(fit.rate), "terms": terms,
            "cov_type": fit.cov_type, "cluster": settings.cluster,
            "n_clusters": fit.n_clusters, "conf_level": fit.conf_level,
            "loglik": num(fit.loglik), "converged": bool(fit.converged),
            "problems": list(fit.problems)}
