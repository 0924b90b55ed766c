"""Fair regional comparison (issue 12, item 8): observed against case-mix expected, per CAW.

Why: a region that serves more clients with a started eviction procedure has
more evictions without working any worse. The comparison asks instead: given
whom this region served, how many evictions (or avoided evictions) would the
average practice of all regions have produced? That expected count E comes
from a case-mix model *without* region; the ratio O/E is then judged against
funnel limits that widen as E shrinks (Spiegelhalter 2005, see
:mod:`pipeline.stats.funnel`), and only a ratio outside the 99.8 % limits is a
signal. Rankings of regions are not given: most differences are chance.

Samples (registration-format.md, "Definitions"; reporting year Y):
* ``uithuisgezet``: every trajectory closed in Y (``closed_in_year``); the
  outcome is ``closure_outcome == "uithuisgezet"``.
* ``vermeden``: the eviction model's sample, closures in Y with
  ``uithuiszetting_vermeden`` ja or nee; the outcome is ``eviction_avoided``. Closures
  with ``onbekend`` are left out, so a region that registers many of them is
  not judged on them.

Case-mix model: logistic regression of the outcome on
``ModelSettings.logistic_covariates`` (the eviction model's covariates, no
``caw``), fitted on all regions together with model-based errors. E of a region
is the sum of its rows' fitted probabilities (rows of a separated level: their
observed outcome, the fit's limit). With an intercept the E's add up to the
total observed count. Rows with a missing covariate or CAW are left out (``n``
counts the rows used). When no model can be fitted (e.g. no variation in the
outcome), E falls back to the overall share times n (crude), and ``problems``
says so.

Limits (``limits`` says which): for the rare outcome ``uithuisgezet`` exact
Poisson with Spiegelhalter's interpolation; for the common outcome ``vermeden``
the normal limits with the binary null variance sum p(1 - p) of the region's
rows, as the Poisson variance E would make them far too wide (see
:mod:`pipeline.stats.funnel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from pipeline.models import ModelSettings, eviction_sample
from pipeline.numbers import num
from pipeline.stats.funnel import bernoulli_limits, poisson_limits, signal
from pipeline.stats.logistic import fitted_probabilities, logistic

#: the outcomes of results.json ``regional_comparison``, in this order
REGIONAL_OUTCOMES = ("uithuisgezet", "vermeden")
LIMITS = {"poisson": "exact Poisson, interpolated (Spiegelhalter 2005)",
          "bernoulli": "normal, binary null variance sum p(1-p) (Spiegelhalter 2005)"}


def regional_comparison(traj: pl.DataFrame, settings: ModelSettings | None = None) -> dict:
    """results.json ``regional_comparison``: the eviction comparison with the issue's keys
    ({outcome: "uithuisgezet", per_caw, ...}) and, beside them under ``vermeden``, the
    same comparison for avoided evictions. :func:`by_outcome` reads both back."""
    settings = settings or ModelSettings()
    closures = traj.filter(pl.col("closed_in_year").fill_null(False)).with_columns(
        (pl.col("closure_outcome") == "uithuisgezet").cast(pl.Int8).alias("_evicted"))
    evicted = compare_regions(closures, "_evicted", "uithuisgezet", settings)
    avoided = compare_regions(eviction_sample(traj), "eviction_avoided", "vermeden", settings,
                              limits="bernoulli")
    return {**evicted, "vermeden": avoided}


def by_outcome(block: Mapping[str, Any]) -> dict[str, dict]:
    """{outcome: comparison} of a ``regional_comparison`` block ({} for an empty one)."""
    if not block:
        return {}
    evicted = {k: v for k, v in block.items() if k != "vermeden"}
    return {evicted["outcome"]: evicted,
            **({"vermeden": dict(block["vermeden"])} if "vermeden" in block else {})}


def compare_regions(sample: pl.DataFrame, column: str, outcome: str,
                    settings: ModelSettings, *, limits: str = "poisson") -> dict:
    """Observed, case-mix expected, O/E and funnel limits per CAW for a 0/1 ``column``."""
    covariates = [c for c in settings.logistic_covariates if c != "caw"]
    problems: list[str] = []
    sample = sample.filter(pl.col("caw").is_not_null() & pl.col(column).is_not_null())
    fit = logistic(sample, column, covariates, references=settings.references,
                   conf_level=settings.conf_level)
    problems.extend(f"case-mix model: {p}" for p in fit.problems)
    kept = sample.filter(pl.Series(fit.design.keep)) if fit.design.n_dropped else sample
    y = kept[column].cast(pl.Float64).to_numpy()
    expected = fitted_probabilities(fit)
    crude = not fit.converged
    if crude and y.size:
        expected = np.full(y.size, y.mean())
        problems.append("no case-mix model: expected counts are the overall share times n "
                        "(not adjusted)")
    per_caw = (pl.DataFrame({"caw": kept["caw"].cast(pl.String), "y": y,
                             "e": expected if y.size else np.zeros(0)})
               .group_by("caw").agg(pl.len().alias("n"), pl.col("y").sum().alias("observed"),
                                    pl.col("e").sum().alias("expected"),
                                    (pl.col("e") * (1 - pl.col("e"))).sum().alias("variance"))
               .sort("caw"))
    e = per_caw["expected"].to_numpy()
    o = per_caw["observed"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(e > 0, o / e, np.nan)
    if limits == "poisson":
        (lo95, hi95), (lo998, hi998) = poisson_limits(e, 0.95), poisson_limits(e, 0.998)
    else:
        v = per_caw["variance"].to_numpy()
        (lo95, hi95), (lo998, hi998) = (bernoulli_limits(e, v, 0.95),
                                        bernoulli_limits(e, v, 0.998))
    rows = []
    for i, caw in enumerate(per_caw["caw"].to_list()):
        r = None if np.isnan(ratio[i]) else float(ratio[i])
        rows.append({
            "caw": caw, "n": int(per_caw["n"][i]), "observed": int(o[i]),
            "expected": num(e[i]), "ratio": num(r),
            "limits95": [num(lo95[i]), num(hi95[i])],
            "limits998": [num(lo998[i]), num(hi998[i])],
            "signal": signal(r, float(lo998[i]), float(hi998[i])),
        })
        if not e[i] > 0:
            problems.append(f"{caw}: expected count 0; no ratio")
    return {"outcome": outcome, "n": int(y.size), "observed": int(y.sum()),
            "covariates": covariates, "adjusted": not crude, "limits": LIMITS[limits],
            "per_caw": rows, "problems": problems}
