"""Closure as latent competing risks: one proportional-hazards Weibull per outcome.

Why: the report must not average opposite outcomes into one "sneller afgesloten".
Each outcome k (vermeden, uithuisgezet, niet_vermeden, onbekend) has its own
cause-specific hazard h_k(t | x) = rate_k * shape_k * t**(shape_k - 1) * exp(eta_k(x)),
so a started procedure can speed up eviction and slow down an avoided eviction.
A trajectory closes at the first of the latent times T_k with that outcome; the
cause-specific log hazard ratios are exactly the coefficients a per-outcome Cox
model (other outcomes censored) estimates. Durations are recorded in whole days,
D = max(ceil(T), 1).

The Weibull rates are calibrated (unless given) so that new starts at the intake
reference date have the target outcome shares and mean duration, by a fixed point on
the shares and an exact time rescale for the mean (all T scale by c when every
rate_k is multiplied by c ** -shape_k), computed by quadrature over a covariate sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.synthetic.config import AVOIDED_CODE, OUTCOMES, SynthConfig
from pipeline.synthetic.profiles import codes, draw_into

CHUNK = 4096  # rows per block in the quadrature (keeps the block arrays small)
GAUSS_NODES = 8


def linear_predictor(coefs: Mapping[str, float], x: Mapping[str, np.ndarray]) -> np.ndarray:
    """Sum of coefficient x term, with terms coded as the pipeline's design codes them."""
    n = len(next(iter(x.values())))
    eta = np.zeros(n)
    for term, beta in coefs.items():
        if "[" in term:
            column, level = term[:-1].split("[", 1)
            eta += beta * (x[column] == codes(column).index(level))
        else:
            eta += beta * x[term].astype(np.float64)
    return eta


@dataclass(frozen=True)
class CauseModel:
    """The closure model: cumulative hazard H_k(t | x) = rate_k t**shape_k exp(eta_k(x))."""

    outcomes: tuple[str, ...]
    shape: np.ndarray  # (K,)
    rate: np.ndarray  # (K,) per day**shape
    log_hr: dict[str, dict[str, float]]  # per outcome, pipeline term names
    regional: tuple[int, int, float] | None  # (region index, outcome index, log-HR)
    calibrated: bool

    @property
    def scale_days(self) -> np.ndarray:
        """Weibull scale per outcome: H_k(scale_k | eta = 0) = 1."""
        return self.rate ** (-1.0 / self.shape)

    def eta(self, x: Mapping[str, np.ndarray]) -> np.ndarray:
        """(K, n) linear predictors; x holds the region index under `caw`."""
        eta = np.stack([linear_predictor(self.log_hr[k], x) for k in self.outcomes])
        if self.regional is not None:
            region, k, beta = self.regional
            eta[k] += beta * (x["caw"] == region)
        return eta

    def rescaled(self, rate: np.ndarray) -> CauseModel:
        return CauseModel(self.outcomes, self.shape, rate, self.log_hr, self.regional,
                          self.calibrated)

    def describe(self, regions: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, k in enumerate(self.outcomes):
            out[k] = {"shape": float(self.shape[i]), "scale_days": float(self.scale_days[i]),
                      "rate": float(self.rate[i]), "log_hr": dict(self.log_hr[k])}
        if self.regional is not None:
            region, k, beta = self.regional
            out[self.outcomes[k]]["log_hr"][f"caw[{regions[region]}]"] = beta
        return out


def base_model(config: SynthConfig, regions: Sequence[str]) -> CauseModel:
    """The model with the configured effects and shapes; rates given or still to calibrate."""
    specific = config.outcome_specific
    log_hr = {k: dict(config.cause_log_hr[k] if specific else config.common_log_hr)
              for k in OUTCOMES}
    shape = np.array([config.cause_shapes[k] if specific else config.common_shape
                      for k in OUTCOMES], dtype=np.float64)
    regional = None
    if config.regional_effect is not None:
        effect = config.regional_effect
        regional = (list(regions).index(effect["caw"]), OUTCOMES.index(effect["outcome"]),
                    float(effect["log_hr"]))
    if config.cause_scale_days is not None:
        scale = np.array([config.cause_scale_days[k] for k in OUTCOMES], dtype=np.float64)
        return CauseModel(OUTCOMES, shape, scale ** -shape, log_hr, regional, False)
    return CauseModel(OUTCOMES, shape, np.ones(len(OUTCOMES)), log_hr, regional, True)


# --------------------------------------------------------------------------- draws


def draw_latent(rng: np.random.Generator, model: CauseModel,
                x: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Continuous time to closure (days) and the outcome index of the first latent time."""
    eta = model.eta(x)
    e = rng.standard_exponential(eta.shape)
    latent = (e * np.exp(-eta) / model.rate[:, None]) ** (1.0 / model.shape[:, None])
    cause = np.argmin(latent, axis=0)
    return latent[cause, np.arange(eta.shape[1])], cause


def closure_details(rng: np.random.Generator, cause: np.ndarray,
                    config: SynthConfig) -> dict[str, np.ndarray]:
    """`uithuiszetting_vermeden`, `afsluitreden` and `handelingsdoelen` consistent with the
    outcome: uithuisgezet = afsluitreden uithuisgezet with `nee`; vermeden = `ja`;
    niet_vermeden = `nee` without eviction; onbekend = `onbekend`."""
    n = len(cause)
    avoided_codes = codes("uithuiszetting_vermeden")
    avoided = np.array([avoided_codes.index(AVOIDED_CODE[k]) for k in OUTCOMES])[cause]
    reasons = codes("afsluitreden")
    reason = np.full(n, reasons.index("uithuisgezet"), dtype=np.int64)
    for i, k in enumerate(OUTCOMES):
        if k != "uithuisgezet":
            draw_into(rng, reason, cause == i, config.reason_given_outcome[k], "afsluitreden")
    goals = np.zeros(n, dtype=np.int64)
    special = np.zeros(n, dtype=bool)
    for name in ("doelen_bereikt", "uithuisgezet"):  # the reason says it all
        mask = reason == reasons.index(name)
        draw_into(rng, goals, mask, config.goals_given_outcome[name], "handelingsdoelen")
        special |= mask
    for i, k in enumerate(OUTCOMES):
        if k != "uithuisgezet":
            draw_into(rng, goals, (cause == i) & ~special, config.goals_given_outcome[k],
                      "handelingsdoelen")
    return {"avoided": avoided, "reason": reason, "goals": goals}


def draw_closures(rng: np.random.Generator, model: CauseModel, x: Mapping[str, np.ndarray],
                  config: SynthConfig) -> dict[str, np.ndarray]:
    """Recorded duration (whole days, >= 1), outcome and the closure fields."""
    t, cause = draw_latent(rng, model, x)
    duration = np.maximum(np.ceil(t), 1).astype(np.int64)
    return {"duration": duration, "cause": cause, **closure_details(rng, cause, config)}


# --------------------------------------------------------------------------- quadrature


def quadrature(t_max: float, marks: Sequence[float] = (90, 180, 365, 730),
               width: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of composite Gauss-Legendre in s = sqrt(t) over [0, t_max].

    In s the Weibull integrands (S, and h_k S dt = 2 s h_k S ds) are smooth at 0 for
    shapes >= 0.5; panel edges fall on the marks so integrals up to a mark are exact sums.
    With 8 nodes and panels of width 8 the default mean agrees with panels of 2.5 to 1e-9.
    """
    edges = [0.0]
    for end in (*sorted(m for m in marks if m < t_max), t_max):
        a, b = edges[-1], math.sqrt(end)
        steps = max(1, math.ceil((b - a) / width))
        edges.extend(np.linspace(a, b, steps + 1)[1:].tolist())
    x, w = np.polynomial.legendre.leggauss(GAUSS_NODES)
    e = np.array(edges)
    half, mid = np.diff(e)[:, None] / 2, (e[:-1] + e[1:])[:, None] / 2
    s = (mid + half * x[None, :]).ravel()
    ws = (half * w[None, :]).ravel()
    return s * s, 2 * s * ws  # t nodes, dt weights


@dataclass(frozen=True)
class Curves:
    """Group averages of S(t | x) and of the cause densities h_k(t | x) S(t | x) at nodes."""

    t: np.ndarray  # (G,)
    weight: np.ndarray  # (G,) dt weights
    survival: np.ndarray  # (groups, G)
    density: np.ndarray  # (groups, K, G)
    row_mean: np.ndarray  # (n,) conditional mean of T given x, int_0^t_max S
    row_rmst: np.ndarray  # (n,) conditional RMST(730)
    tail: np.ndarray  # (groups,) average S(t_max)


def curves(model: CauseModel, x: Mapping[str, np.ndarray], group: np.ndarray, groups: int,
           t: np.ndarray, weight: np.ndarray, row_weight: np.ndarray | None = None,
           tau: float = 730.0, per_row: bool = True) -> Curves:
    """Average S and h_k S over the rows of each group (optionally weighted); per_row:
    also each row's conditional mean and RMST and the tail beyond the last node."""
    eta = model.eta(x)
    n = eta.shape[1]
    rw = np.ones(n) if row_weight is None else np.asarray(row_weight, dtype=np.float64)
    base = model.rate[:, None] * t[None, :] ** model.shape[:, None]  # (K, G)
    dbase = model.rate[:, None] * model.shape[:, None] * t[None, :] ** (model.shape[:, None] - 1)
    t_max = t[-1]
    tail_base = model.rate * t_max ** model.shape
    before = (t <= tau)
    surv = np.zeros((groups, len(t)))
    dens = np.zeros((groups, len(OUTCOMES), len(t)))
    total = np.zeros(groups)
    tail = np.zeros(groups)
    row_mean = np.zeros(n)
    row_rmst = np.zeros(n)
    for gi in range(groups):
        rows = np.flatnonzero(group == gi)
        for lo in range(0, len(rows), CHUNK):
            idx = rows[lo:lo + CHUNK]
            risk = np.exp(eta[:, idx])  # (K, c)
            s = np.exp(-(risk.T @ base))  # (c, G)
            w = rw[idx]
            surv[gi] += w @ s
            total[gi] += w.sum()
            if per_row:
                row_mean[idx] = s @ weight
                row_rmst[idx] = s[:, before] @ weight[before]
                tail[gi] += w @ np.exp(-(risk.T @ tail_base))
            for k in range(len(OUTCOMES)):
                dens[gi, k] += (w * risk[k]) @ s * dbase[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        return Curves(t, weight, surv / total[:, None], dens / total[:, None, None],
                      row_mean, row_rmst, tail / total)


def calibrate(model: CauseModel, config: SynthConfig, x: Mapping[str, np.ndarray],
              row_weight: np.ndarray, iterations: int = 40) -> CauseModel:
    """Rates such that the weighted sample has the target outcome shares and mean."""
    if not model.calibrated:
        return model
    target = np.array([config.target_outcome_shares[k] for k in OUTCOMES])
    mean_target = config.mean_duration_days
    # start: each outcome's Weibull alone with the target mean, thinned to its share
    gamma = np.array([math.gamma(1 + 1 / a) for a in model.shape])
    rate = target * (gamma / mean_target) ** model.shape
    t, w = quadrature(16 * mean_target, width=16.0)  # mean within 1e-6 relative
    group = np.zeros(len(row_weight), dtype=np.int64)
    for _ in range(iterations):
        c = curves(model.rescaled(rate), x, group, 1, t, w, row_weight, per_row=False)
        shares = c.density[0] @ w
        mean = float(c.survival[0] @ w)
        rate = rate * (mean / mean_target) ** model.shape  # exact time rescale
        # d log share_k / d log rate_k is about 1 - share_k; the time rescale of the next
        # round moves the shares back (shapes differ), so the step is damped (2/3).
        step = np.log(target / shares) / np.maximum(1 - shares, 0.2) * (2 / 3)
        rate = rate * np.exp(step)
        if np.max(np.abs(step)) < 1e-6:  # shares within 1e-6 (relative)
            break
    c = curves(model.rescaled(rate), x, group, 1, t, w, row_weight, per_row=False)
    rate = rate * (float(c.survival[0] @ w) / mean_target) ** model.shape
    return model.rescaled(rate)
