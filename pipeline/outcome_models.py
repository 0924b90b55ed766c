"""Outcome-specific models of the year (issue 12, item 4) as JSON-ready dicts.

Why: one hazard for "closure" mixes opposite outcomes. A started eviction
procedure makes an eviction come sooner and an avoided eviction later; the
all-closure Cox model (``results.json`` ``cox``) averages the two and only
describes how fast support ends. These blocks answer the outcome questions.

``cause_specific`` (one Cox model per closure outcome, cause-specific hazards)
  Sample: the period analysis of registration-format.md: rows ``active`` in
  the year. Time scale: days since ``datum_start``. Each row enters at
  ``entry_days`` (max(start, Y-01-01), delayed entry) and leaves at
  ``days_to_closure`` (closure, or the cut-off = censored); it is at risk on
  the days entry_days..days_to_closure inclusive, passed to the Cox model as
  the (start, stop] interval (entry_days - 0.5, days_to_closure], i.e. R
  ``Surv(entry_days - 0.5, days_to_closure, event)``. Event: closed by the
  cut-off with ``closure_outcome == k``; closures with another outcome are
  censored at their closure. Estimand: the hazard ratio of ending in outcome k
  per day among trajectories still in support, in the year's follow-up only.
``fine_gray`` (subdistribution hazards of ``uithuisgezet``)
  Sample: the year's intake cohort, trajectories started in Y (active rows
  with ``entry_days == 0``), from their start to closure or the cut-off (at
  most a year of follow-up). Fine-Gray has no delayed entry here (see
  :mod:`pipeline.stats.fine_gray`), and a trajectory carried in from before
  Y cannot enter at day 0 without length bias, so carried-in rows are left
  out. Event: ``uithuisgezet``; other closures are competing, open at the
  cut-off censored. Estimand: the ratio of the subdistribution hazard, i.e.
  how a covariate shifts the share of the year's new trajectories that end in
  eviction within their first months (up to a year).

Settings, covariates, references and strata (``caw``: each CAW its own
baseline hazard, and for Fine-Gray its own censoring curve) are those of
:class:`pipeline.models.ModelSettings`, as the all-closure ``cox`` block uses
them. Cox: Efron ties (setting); Fine-Gray: Breslow ties and ``crr``'s sandwich
SE (the only ones ``crr`` has). ``factor_tests``: joint Wald test per
multi-level factor (:func:`pipeline.stats.design.factor_tests`).

Numbers go through :func:`pipeline.numbers.num`; sparse data never raise: what
cannot be estimated is ``None`` and ``problems`` says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from pipeline.models import ModelSettings
from pipeline.numbers import num
from pipeline.stats.cox import cox_ph_each
from pipeline.stats.design import factor_tests
from pipeline.stats.fine_gray import fine_gray
from pipeline.years import OUTCOMES

ENTRY = "_entry"  # entry_days - 0.5: the (start, stop] form of "at risk from day entry_days"
EVENT = "_event"
STATUS = "_status"
CENSORED = "_open"
FINE_GRAY_OUTCOMES = ("uithuisgezet",)


def term_source(term: str) -> str:
    """The input column of a term: ``column[level]`` -> ``column``, ``column`` -> itself."""
    return term.split("[", 1)[0]


def factor_test_rows(terms: pl.DataFrame, cov: np.ndarray) -> tuple[list[dict], list[str]]:
    """``factor_tests`` rows of a fit: its estimated terms with their covariance.

    ``cov`` covers the estimated terms in term order; a factor with a term that
    could not be estimated (or a covariance that does not line up) gets ``None``.
    """
    names = terms["term"].to_list()
    coef = terms["coef"].to_numpy()
    sources = [term_source(t) for t in names]
    multi = [f for f in dict.fromkeys(sources) if sources.count(f) > 1]
    done = np.isfinite(coef)
    problems: list[str] = []
    rows: dict[str, dict] = {f: {"factor": f, "chi2": None, "df": sources.count(f), "p": None}
                             for f in multi}
    if cov.shape == (int(done.sum()),) * 2 and done.any():
        est_sources = [s for s, d in zip(sources, done, strict=True) if d]
        complete = [f for f in multi
                    if all(d for s, d in zip(sources, done, strict=True) if s == f)]
        table = factor_tests(est_sources, coef[done], cov)
        for r in table.iter_rows(named=True):
            if r["factor"] in complete:
                rows[r["factor"]] = {"factor": r["factor"], "chi2": num(r["chi2"]),
                                     "df": int(r["df"]), "p": num(r["p"])}
    missing = [f for f in multi if rows[f]["chi2"] is None]
    if missing:
        problems.append(f"joint test not available for {missing}: a level without an "
                        "estimate, or no model")
    return [rows[f] for f in multi], problems


def _terms(fit_terms: pl.DataFrame, ratio: str) -> list[dict]:
    """Term rows with ``ratio`` ("hr" or "shr") and its interval as lower/upper."""
    return [{"term": r["term"], "coef": num(r["coef"]), "se": num(r["se"]),
             ratio: num(r[ratio]), "lower": num(r[f"{ratio}_lower"]),
             "upper": num(r[f"{ratio}_upper"]), "p": num(r["p"])}
            for r in fit_terms.iter_rows(named=True)]


def period_sample(traj: pl.DataFrame) -> pl.DataFrame:
    """Rows active in the year, with the (start, stop] entry of the period analysis."""
    return traj.filter(pl.col("active")).with_columns(
        (pl.col("entry_days").cast(pl.Float64) - 0.5).alias(ENTRY))


def cause_specific(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """One Cox model per closure outcome, delayed entry (see the module docstring)."""
    settings = settings or ModelSettings()
    closed = pl.col("closed").fill_null(False)
    sample = period_sample(traj).with_columns(
        (closed & (pl.col("closure_outcome") == outcome)).fill_null(False)
        .alias(f"{EVENT}_{outcome}") for outcome in OUTCOMES)
    # one design for the four fits (same rows and covariates, each outcome its own event)
    fits = cox_ph_each(sample, "days_to_closure", [f"{EVENT}_{k}" for k in OUTCOMES],
                       list(settings.cox_covariates), references=settings.references,
                       ties=settings.ties, strata=list(settings.cox_strata) or None,
                       conf_level=settings.conf_level, ph_transform=settings.ph_transform,
                       entry=ENTRY, ph_test=False)
    out: dict[str, Any] = {}
    for outcome, fit in zip(OUTCOMES, fits, strict=True):
        tests, problems = factor_test_rows(fit.terms, fit.cov)
        out[outcome] = {"n": fit.n, "events": fit.events,
                        "terms": _terms(fit.terms, "hr"),
                        "factor_tests": tests, "problems": [*fit.problems, *problems]}
    return out


def fine_gray_models(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """Fine-Gray subdistribution hazards of eviction, the year's intake cohort."""
    settings = settings or ModelSettings()
    closed = pl.col("closed").fill_null(False)
    sample = traj.filter(pl.col("active") & (pl.col("entry_days") == 0)).with_columns(
        pl.when(closed).then(pl.col("closure_outcome")).otherwise(pl.lit(CENSORED))
        .alias(STATUS))
    out: dict[str, Any] = {}
    for outcome in FINE_GRAY_OUTCOMES:
        fit = fine_gray(sample, "days_to_closure", STATUS, list(settings.cox_covariates),
                        event=outcome, censored=CENSORED, references=settings.references,
                        strata=list(settings.cox_strata) or None,
                        conf_level=settings.conf_level)
        tests, problems = factor_test_rows(fit.terms, fit.cov)
        out[outcome] = {"n": fit.n, "events": fit.events,
                        "terms": _terms(fit.terms, "shr"),
                        "factor_tests": tests, "problems": [*fit.problems, *problems]}
    return out
