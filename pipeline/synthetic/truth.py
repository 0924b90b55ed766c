"""The true marginal durations and outcomes of new starts, computed from the model.

Why: the estimators of the report (period KM and RMST, cohort curves, cumulative
incidences) estimate population quantities, not the coefficients of the generating
model. truth.json therefore holds, for the covariate distribution of new starts,
S(t) and the cumulative incidence of every outcome at 90/180/365/730 days, the
mean, the median and the restricted mean at 730 days.

Method (stated in truth.json): for each region a fixed covariate sample of new
starts (TRUTH_ROWS_PER_REGION profiles drawn by the generator's own code, from a
seed of its own, so every data seed shares one truth) is integrated exactly in time
with composite Gauss-Legendre quadrature (hazards.quadrature); a population is a
mixture of regions with weights = expected starts. The covariate sample is the only
approximation; its standard error is reported. `monte_carlo` draws latent times
along the data's own code path, to check the integration (tests).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pipeline.reference import Reference
from pipeline.synthetic.config import OUTCOMES, SynthConfig
from pipeline.synthetic.hazards import (
    CauseModel,
    Curves,
    base_model,
    calibrate,
    curves,
    draw_latent,
    quadrature,
)
from pipeline.synthetic.intake import fte_on
from pipeline.synthetic.profiles import draw_profiles

TRUTH_SEED = 2011_0101  # the covariate samples of the truth; independent of --seed
TRUTH_ROWS_PER_REGION = 10_000
CALIBRATION_ROWS_PER_REGION = 1_500
MARKS = (90, 180, 365, 730)
TAU = 730
_CACHE: dict[str, Population] = {}


@dataclass(frozen=True)
class Population:
    """The calibrated model and the per-region covariate samples integrated over time."""

    model: CauseModel
    curves: Curves  # one group per region
    risk: np.ndarray  # (K, n) rate_k exp(eta_k) per sample row
    group: np.ndarray  # (n,) region of each sample row
    reference_weights: np.ndarray  # intake share per region at the reference date
    sample: dict[str, np.ndarray]  # the covariate sample (model columns and region)
    marks: Any = None  # (groups, marks) mean S at the marks, set by population()

    def survival_at(self, t: float, groups: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Per region (all, or the given ones, else 0): mean S(t | x) and mean density
        f(t | x) of the sample. The sample is sorted by region, equal rows per region."""
        count = len(self.reference_weights)
        which = np.arange(count) if groups is None else np.asarray(groups)
        m = len(self.group) // count
        risk = self.risk.reshape(len(self.model.shape), count, m)[:, which]
        shape = self.model.shape[:, None, None]
        s = np.exp(-(risk * t ** shape).sum(axis=0))
        hazard = (risk * (shape * t ** (shape - 1))).sum(axis=0)
        surv, dens = np.zeros(count), np.zeros(count)
        surv[which] = s.mean(axis=1)
        dens[which] = (s * hazard).mean(axis=1)
        return surv, dens


#: Settings that change neither the profiles of new starts nor the closure model.
_NOT_IN_POPULATION = ("registration_window", "burn_in_years", "supports_per_fte_year",
                      "fte_power", "intake_growth", "extract_date", "workers_per_fte",
                      "wait_days_gamma", "re_referral_share", "missing_optional",
                      "xlsx_max_rows", "note_share", "belgian_dash_date_share")


def _key(config: SynthConfig, reference: Reference, regions: Sequence[str]) -> str:
    settings = {k: v for k, v in config.as_json().items() if k not in _NOT_IN_POPULATION}
    parts = [json.dumps(settings, sort_keys=True, default=str), ",".join(regions),
             reference.landlords.write_csv(), reference.staffing.write_csv(),
             reference.extra_fte.write_csv(), json.dumps(reference.norms, sort_keys=True)]
    return "\n".join(parts)


def population(config: SynthConfig, reference: Reference,
               regions: Sequence[str]) -> Population:
    """Calibrate the closure model and integrate the truth samples (cached per settings)."""
    key = _key(config, reference, regions)
    if key in _CACHE:
        return _CACHE[key]
    rng = np.random.default_rng(np.random.SeedSequence([TRUTH_SEED, 0]))
    group = np.repeat(np.arange(len(regions)), TRUTH_ROWS_PER_REGION)
    profiles, _, _ = draw_profiles(rng, group, regions, reference, config)
    x = profiles.covariates()
    fte = np.array([fte_on(reference, caw, config.intake_reference_date) for caw in regions])
    weights = fte / fte.sum()
    calib = np.flatnonzero(np.arange(len(group)) % TRUTH_ROWS_PER_REGION
                           < CALIBRATION_ROWS_PER_REGION)
    model = calibrate(base_model(config, regions), config,
                      {k: v[calib] for k, v in x.items()},
                      weights[group[calib]] / CALIBRATION_ROWS_PER_REGION)
    t, w = quadrature(16 * config.mean_duration_days, MARKS)
    result = Population(model, curves(model, x, group, len(regions), t, w, tau=TAU),
                        model.rate[:, None] * np.exp(model.eta(x)), group, weights, x)
    result = replace(result, marks=np.stack(
        [result.survival_at(float(m))[0] for m in MARKS], axis=1))
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = result
    return result


def _median(pop: Population, weights: np.ndarray) -> float:
    """t with the mixture's S(t) = 1/2: bracket on the nodes, then Newton."""
    c = pop.curves
    s_nodes = weights @ c.survival
    i = int(np.searchsorted(-s_nodes, -0.5))
    if i == 0 or i >= len(s_nodes):
        return math.nan
    t0, t1, s0, s1 = c.t[i - 1], c.t[i], s_nodes[i - 1], s_nodes[i]
    t = t0 + (s0 - 0.5) / (s0 - s1) * (t1 - t0)
    groups = np.flatnonzero(weights > 0)
    for _ in range(30):
        s, f = (weights @ v for v in pop.survival_at(t, groups))
        step = (s - 0.5) / f
        t = min(max(t + step, t0), t1)
        if abs(step) < 1e-6:
            break
    return float(t)


def summary(pop: Population, weights: np.ndarray) -> dict[str, Any]:
    """The truth block of one population (a mixture of regions)."""
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    c = pop.curves
    s_nodes = weights @ c.survival
    dens = np.einsum("g,gkn->kn", weights, c.density)
    before = {m: c.t <= m for m in MARKS}
    cif = {k: {str(m): float(dens[i][before[m]] @ c.weight[before[m]]) for m in MARKS}
           for i, k in enumerate(OUTCOMES)}
    cif["ander"] = {str(m): cif["niet_vermeden"][str(m)] + cif["onbekend"][str(m)]
                    for m in MARKS}
    survival = {str(m): float(weights @ pop.marks[:, i]) for i, m in enumerate(MARKS)}
    mean = float(s_nodes @ c.weight)
    rmst = float(s_nodes[before[TAU]] @ c.weight[before[TAU]])
    median = _median(pop, weights)
    counts = np.bincount(pop.group, minlength=len(weights))
    se = {}
    for name, rows in (("mean_days", c.row_mean), ("rmst730_days", c.row_rmst)):
        var = np.bincount(pop.group, rows ** 2, len(weights)) / counts - (
            np.bincount(pop.group, rows, len(weights)) / counts) ** 2
        se[name] = float(np.sqrt(np.sum(weights ** 2 * np.maximum(var, 0) / counts)))
    shares = dens @ c.weight
    return {
        "survival": survival,
        "cumulative_incidence": cif,
        "outcome_shares": {k: float(shares[i]) for i, k in enumerate(OUTCOMES)},
        "mean_days": mean,
        "median_days": median,
        "rmst730_days": rmst,
        # whole days D = max(ceil(T), 1): S and the incidences are the same at whole days;
        # E[D] = sum_t S(t) = mean + 1/2 and RMST_D = rmst + (1 - S(730)) / 2 (Euler-
        # Maclaurin, error below 0.001 day); the KM median of D is ceil(median).
        "mean_recorded_days": mean + 0.5,
        "median_recorded_days": float(math.ceil(median)) if median == median else None,
        "rmst730_recorded_days": rmst + (1 - survival[str(TAU)]) / 2,
        "covariate_sample_se": se,
        "tail_survival_at_end": float(weights @ c.tail),
    }


def monte_carlo(config: SynthConfig, reference: Reference, regions: Sequence[str],
                n: int, seed: int, weights: np.ndarray | None = None,
                same_sample: bool = False) -> dict[str, Any]:
    """The same quantities from n new starts with latent times drawn along the data's own
    code path: the check of the integration. `same_sample`: the profiles are drawn from
    the truth's covariate sample (then only the time draws differ from the integration);
    otherwise fresh profiles from the generator (then its covariate sample error too)."""
    pop = population(config, reference, regions)
    w = pop.reference_weights if weights is None else np.asarray(weights) / np.sum(weights)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    region = np.repeat(np.arange(len(regions)), rng.multinomial(n, w))
    if same_sample:
        rows = np.flatnonzero(np.isin(pop.group, np.arange(len(regions))))
        first = np.searchsorted(pop.group[rows], region)
        size = np.bincount(pop.group, minlength=len(regions))[region]
        pick = rows[first + np.floor(rng.random(n) * size).astype(np.int64)]
        x = {k: v[pick] for k, v in pop.sample.items()}
    else:
        x = draw_profiles(rng, region, regions, reference, config)[0].covariates()
    t, cause = draw_latent(rng, pop.model, x)
    cif = {k: {str(m): float(np.mean((t <= m) & (cause == i))) for m in MARKS}
           for i, k in enumerate(OUTCOMES)}
    return {
        "survival": {str(m): float(np.mean(t > m)) for m in MARKS},
        "cumulative_incidence": cif,
        "mean_days": float(t.mean()),
        "median_days": float(np.median(t)),
        "rmst730_days": float(np.minimum(t, TAU).mean()),
        "sd_days": float(t.std()),
        "sd_rmst730_days": float(np.minimum(t, TAU).std()),
        "n": n,
    }


def truth_blocks(pop: Population, regions: Sequence[str],
                 year_weights: Mapping[int, np.ndarray]) -> dict[str, Any]:
    """The marginal truth: headline population, per start year, per region."""
    model = pop.model
    method = (f"numerical integration: S(t) = mean over a fixed covariate sample of new "
              f"starts ({TRUTH_ROWS_PER_REGION} per region, drawn by the generator, seed "
              f"{TRUTH_SEED}) of exp(-sum_k H_k(t | x)); integrals in time by composite "
              f"Gauss-Legendre ({len(pop.curves.t)} nodes in sqrt(t), 0 to "
              f"{pop.curves.t[-1]:.0f} days and beyond the last node the tail share "
              f"below); regions mixed with weights = expected starts")
    per_caw = {caw: summary(pop, np.eye(len(regions))[r]) for r, caw in enumerate(regions)}
    return {
        "method": method,
        "note": "Population quantities of NEW starts (no length bias). A year's period "
                "estimate (delayed entry) and a start-year cohort estimate both target "
                "them; by_start_year differs from the headline only through the region mix "
                "(and the regional eviction effect). Durations in the data are whole days: "
                "compare KM medians with median_recorded_days and KM RMSTs with "
                "rmst730_recorded_days. Re-referrals (a few % of starts) copy an earlier "
                "client's profile; the truth samples fresh profiles.",
        "headline": {
            "population": "new starts at the intake reference date (region mix of the "
                          "reference date); the closure scales are calibrated on it",
            "reference_weights": {caw: float(v) for caw, v in
                                  zip(regions, pop.reference_weights, strict=True)},
            **summary(pop, pop.reference_weights),
        },
        "by_start_year": {str(y): summary(pop, w) for y, w in sorted(year_weights.items())
                          if np.sum(w) > 0},
        "by_caw": per_caw,
        "model_outcome_order": list(model.outcomes),
    }


def calibration_note(config: SynthConfig, model: CauseModel) -> dict[str, Any]:
    return {
        "calibrated": model.calibrated,
        "target_mean_days": config.mean_duration_days,
        "target_outcome_shares": dict(config.target_outcome_shares),
        "sample": f"{CALIBRATION_ROWS_PER_REGION} profiles per region of the truth sample, "
                  f"weighted by the intake at {config.intake_reference_date.isoformat()}",
    }
