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
* Logistic: CAW fixed effects with model-based standard errors; a cluster-robust
  error on request, CR2 with t(G-1) below 30 clusters (see :mod:`pipeline.stats.logistic`).
* Curves are reported on a fixed grid (every 30 days, 0-720); the cumulative
  incidence headline days are 90, 180, 365 and 730. A grid day beyond the last
  observed time is ``None`` (not observed), never the last value carried on.
"""

from __future__ import annotations

import datetime as dt
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
from pipeline.stats.logistic import SMALL_SAMPLE, logistic_factor_tests, standardised_shares
from pipeline.stats.multiplicity import holm
from pipeline.years import OTHER_OUTCOMES
from pipeline.years import OUTCOMES as CLOSURE_OUTCOMES

# The cumulative-incidence block: vermeden, uithuisgezet and ander (= niet_vermeden and
# onbekend together, as results.json had it) and the four outcomes of the registration format.
OUTCOMES = ("vermeden", "uithuisgezet", "ander", "niet_vermeden", "onbekend")

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
    cluster: str | None = None  # the logistic model's errors: model-based unless set
    fixed_effects: tuple[str, ...] = ("caw",)  # logistic terms per region (first = reference)
    small_sample: str = "CR2"  # correction of a cluster-robust error below 30 clusters
    profiles: tuple[str, ...] = PROFILES
    age_bands: tuple[int, ...] = (30, 45, 60)  # lower bounds of the bands after 16-29
    curve_days: tuple[int, ...] = tuple(range(0, 721, 30))
    incidence_days: tuple[int, ...] = (90, 180, 365, 730)
    period_start: str = "01-01"  # MM-DD: the period analysis starts on this day of year Y
    rmst_tau_days: int = 730  # restricted mean time to closure up to this day

    def period_start_date(self, year: int) -> dt.date:
        """The period start in reporting year `year` (default 1 January)."""
        month, day = (int(part) for part in self.period_start.split("-"))
        return dt.date(year, month, day)

    def __post_init__(self) -> None:
        if not 0 < self.conf_level < 1:
            raise ValueError("conf_level must lie between 0 and 1")
        if self.km_conf_type not in CONF_TYPES:
            raise ValueError(f"km_conf_type must be one of {CONF_TYPES}")
        if self.ties not in TIES:
            raise ValueError(f"ties must be one of {TIES}")
        if self.ph_transform not in PH_TRANSFORMS:
            raise ValueError(f"ph_transform must be one of {PH_TRANSFORMS}")
        try:
            self.period_start_date(2001)  # not a leap year: 02-29 is refused too
        except ValueError as error:
            raise ValueError("period_start must be a day of the year as MM-DD") from error
        if self.rmst_tau_days <= 0:
            raise ValueError("rmst_tau_days must be positive")
        if self.small_sample not in SMALL_SAMPLE:
            raise ValueError(f"small_sample must be one of {SMALL_SAMPLE}")
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
    """Kaplan-Meier overall and per profile level, with a log-rank test per profile.

    The profile tests are exploratory (``exploratory``: nine tests at once, none
    planned); ``p_holm`` is Holm's adjustment across the profiles of the year.
    """
    settings = settings or ModelSettings()
    # sorted once, so that every per-level subset is sorted and np.unique is quick
    sample = survival_sample(traj).sort("days_to_closure", maintain_order=True)
    t, e = survival_data(sample)
    km, out = _km_summary(t, e, settings)
    problems = list(km.problems)
    by_group: dict[str, dict] = {}
    raw_p: dict[str, float] = {}  # unrounded, for Holm
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
            "statistic": num(test.statistic), "df": int(test.df), "p": num(test.p),
            "exploratory": True}}
        raw_p[column] = test.p
    for column, p_holm in zip(raw_p, holm(list(raw_p.values())), strict=True):
        by_group[column]["logrank"]["p_holm"] = num(p_holm)
    s, lo, up = km.survival, km.lower, km.upper
    curve = {"days": list(settings.curve_days),
             "survival": step_at(km.timeline, s, settings.curve_days, 1.0),
             "lower": step_at(km.timeline, lo, settings.curve_days, 1.0),
             "upper": step_at(km.timeline, up, settings.curve_days, 1.0)}
    return {**out, "conf_level": settings.conf_level, "conf_type": settings.km_conf_type,
            "by_group": by_group, "curve": curve, "problems": problems}


def cox_model(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Cox proportional hazards of closure (any outcome) with the cox.zph PH test.

    A description of how fast support ends, not of outcomes: it mixes endings in
    opposite directions (see :mod:`pipeline.outcome_models` for those).
    ``factor_tests``: joint Wald test per multi-level factor.
    """
    from pipeline.outcome_models import factor_test_rows  # that module imports this one

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
    tests, test_problems = factor_test_rows(fit.terms, fit.cov)
    return {"n": fit.n, "events": fit.events, "ties": fit.ties, "strata": list(fit.strata),
            "conf_level": fit.conf_level, "terms": terms, "factor_tests": tests,
            "ph_test": ph_test,
            "concordance": num(fit.concordance),
            "lr_test": {"statistic": num(lr.statistic), "df": int(lr.df), "p": num(lr.p)},
            "loglik": num(fit.loglik), "converged": bool(fit.converged),
            "problems": [*fit.problems, *test_problems]}


def closure_incidence(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Aalen-Johansen cumulative incidence of the closure outcomes, the year's own estimate.

    Basis ``"period"`` (as the `duration` block): the trajectories active in Y, each at
    risk from ``entry_days`` (max(start, Y-01-01), delayed entry) to its closure or the
    cut-off, on the scale "days since start"; R ``Surv(entry_days - 0.5, days, outcome)``.
    So CIF_k(t) is the probability that support ends with outcome k within t days of its
    start, from the follow-up inside Y only (trajectories carried in from before the
    registration window do not bias it). The four outcomes (vermeden, uithuisgezet,
    niet_vermeden, onbekend) come from one fit; ``ander`` (niet_vermeden + onbekend)
    from its own fit with the two merged, so its interval is that of the combined cause
    (the other curves are the same in both fits).
    """
    settings = settings or ModelSettings()
    sample = traj.filter(pl.col("active"))
    t, e = survival_data(sample)
    entry = sample["entry_days"].cast(pl.Float64).to_numpy() - 0.5
    outcome = sample["closure_outcome"].to_numpy()
    causes = np.where(e, outcome, "0").astype(str)
    fit = cumulative_incidence(t, causes, entry=entry, conf_level=settings.conf_level,
                               censor_code="0")
    merged = np.where(np.isin(causes, OTHER_OUTCOMES), "ander", causes)
    other = cumulative_incidence(t, merged, entry=entry, conf_level=settings.conf_level,
                                 censor_code="0")
    problems = list(fit.problems)
    unknown = sorted(set(fit.causes) - set(CLOSURE_OUTCOMES))
    if unknown:
        problems.append(f"closure outcomes outside {list(CLOSURE_OUTCOMES)}: {unknown}")
    for cause in OUTCOMES:
        if t.size and cause not in (*fit.causes, *other.causes):
            problems.append(f"{cause}: no closures with this outcome; incidence 0")

    def source(cause: str):
        return other if cause == "ander" else fit

    def series(days: Sequence[int], part: str) -> dict[str, list]:
        out = {}
        for c in OUTCOMES:
            f = source(c)
            values = getattr(f, part).get(c, np.zeros(f.timeline.size))
            out[c] = step_at(f.timeline, values, days, 0.0)
        return out

    def block(days: Sequence[int]) -> dict[str, Any]:
        return {"days": list(days), **series(days, "cif"),
                "lower": series(days, "lower"), "upper": series(days, "upper")}

    events = {c: int(source(c).n_event[c].sum()) if c in source(c).n_event else 0
              for c in OUTCOMES}
    return {"basis": "period", "n": fit.n, "events": events,
            "conf_level": settings.conf_level, **block(settings.incidence_days),
            "curve": block(settings.curve_days), "problems": problems}


def eviction_model(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Logistic model of eviction avoided among the year's closures with ja/nee.

    CAW fixed effects (``settings.fixed_effects``, terms ``caw[XXX]``; reference
    the CAW with the most rows in the sample, ties to the first in sort order,
    unless ``references`` names one: the largest region gives the most precise
    contrasts and is the least likely to have all its closures alike, which
    would leave no model) with model-based errors by default: the region
    adjusts as the Cox strata do, and with ten or so regions a cluster-robust
    error over-rejects. ``cluster`` asks
    for one anyway (CR2 with t(G-1) below 30 clusters, ``t_df``); with the
    cluster also a fixed effect, its terms and the intercept get no error, and
    neither do the predicted shares.
    ``factor_tests``: joint Wald test per multi-level covariate (caw included).
    ``predicted``: per level of each categorical or boolean covariate, the
    standardised share -- the average predicted probability with everyone at
    that level and the other covariates as observed -- with its delta-method
    interval. ``unknown_bounds``: the crude share avoided among all the year's
    closures with ja, nee or ``onbekend`` (closure outcome) if every onbekend
    were nee / were ja; ``unknown`` counts them.
    """
    settings = settings or ModelSettings()
    covariates = list(dict.fromkeys([*settings.logistic_covariates, *settings.fixed_effects]))
    sample = eviction_sample(traj)
    references = dict(settings.references)
    for column in settings.fixed_effects:
        counts = sample[column].drop_nulls().cast(pl.String).value_counts(name="n")
        if column not in references and counts.height:
            references[column] = counts.sort(["n", column], descending=[True, False])[column][0]
    fit = logistic(sample, "eviction_avoided", covariates,
                   references=references, cluster=settings.cluster,
                   small_sample=settings.small_sample, conf_level=settings.conf_level)
    terms = [{"term": r["term"], "coef": num(r["coef"]), "se": num(r["se"]),
              "or": num(r["odds_ratio"]), "or_ci": [num(r["or_lower"]), num(r["or_upper"])],
              "p": num(r["p"])} for r in fit.terms.iter_rows(named=True)]
    tests = [{"factor": r["factor"], "chi2": num(r["chi2"]), "df": int(r["df"]),
              "p": num(r["p"])} for r in logistic_factor_tests(fit).iter_rows(named=True)]
    predicted = [{"factor": factor, "level": r["level"], "share": num(r["share"]),
                  "lower": num(r["lower"]), "upper": num(r["upper"])}
                 for factor in covariates for r in standardised_shares(fit, factor)]
    closures = traj.filter(pl.col("closed_in_year").fill_null(False))
    yes = int((closures["eviction_avoided"] == 1).sum())
    no = int((closures["eviction_avoided"] == 0).sum())
    unknown = int((closures["closure_outcome"] == "onbekend").sum())
    total = yes + no + unknown
    bounds = [num(yes / total), num((yes + unknown) / total)] if total else [None, None]
    return {"n": fit.n, "events": fit.events, "rate": num(fit.rate), "terms": terms,
            "cov_type": fit.cov_type, "cluster": settings.cluster,
            "n_clusters": fit.n_clusters, "t_df": fit.df,
            "fixed_effects": list(settings.fixed_effects), "conf_level": fit.conf_level,
            "factor_tests": tests, "predicted": predicted, "unknown": unknown,
            "unknown_bounds": bounds,
            "loglik": num(fit.loglik), "converged": bool(fit.converged),
            "problems": list(fit.problems)}
