"""Small generators with known truth for the outcome-specific models (tests only).

Both give a trajectories-like frame of reporting year Y (days counted from Y-01-01, the
cut-off is day 364) with the columns pipeline.outcome_models reads: ``active``,
``in_scope``, ``entry_days``, ``days_to_closure``, ``closed``, ``closure_outcome`` and the
model covariates. Times are whole days: a closure at continuous time T since the start
falls on day floor(T), so "at risk on the days entry..closure" is exactly the
left-truncation condition of the period analysis.

``latent_competing``: latent cause-specific Weibull proportional hazards, one per
outcome, with known log hazard ratios; starts spread over ``years_back`` years before Y,
so most trajectories active in Y are carried in (left truncated at Y-01-01).

``fine_gray_model``: the simulation design of Fine & Gray (1999, section 5): the
cumulative incidence of cause 1 is 1 - (1 - p (1 - exp(-t)))^exp(x'b1) (proportional
subdistribution hazards with log SHR b1); cause 2 given not cause 1 is exponential with
rate exp(x'b2); time is scaled to days. Starts within Y (the intake cohort).
"""

from __future__ import annotations

import numpy as np
import polars as pl

CUTOFF = 364  # Y-12-31 as day of a non-leap year Y
CAWS = ("OVL", "BMK", "WH", "LIM")
HOUSEHOLDS = ("alleenstaand", "eenoudergezin", "koppel_met_kinderen")

#: log hazard ratios per outcome (the cause-specific truth); procedure_gestart makes an
#: eviction faster (HR 2.1) and an avoided eviction slower (HR 0.86)
CAUSE_SPECIFIC_TRUTH = {
    "vermeden": {"procedure_gestart": np.log(0.86), "gezinstype[eenoudergezin]": 0.3,
                 "gezinstype[koppel_met_kinderen]": -0.2, "leeftijd": 0.01},
    "uithuisgezet": {"procedure_gestart": np.log(2.1), "gezinstype[eenoudergezin]": -0.4,
                     "gezinstype[koppel_met_kinderen]": 0.25, "leeftijd": -0.02},
    "niet_vermeden": {"procedure_gestart": 0.2, "gezinstype[eenoudergezin]": 0.0,
                      "gezinstype[koppel_met_kinderen]": 0.3, "leeftijd": 0.0},
    "onbekend": {"procedure_gestart": 0.0, "gezinstype[eenoudergezin]": -0.2,
                 "gezinstype[koppel_met_kinderen]": 0.0, "leeftijd": 0.005},
}
#: (Weibull shape, scale in days at x = 0) per outcome; the CAW multiplies every hazard
CAUSE_SHAPES = {"vermeden": (1.3, 420.0), "uithuisgezet": (0.9, 2500.0),
                "niet_vermeden": (1.0, 1500.0), "onbekend": (1.1, 3000.0)}
COVARIATES = ("procedure_gestart", "gezinstype", "leeftijd")


def _covariates(rng, n: int) -> dict[str, np.ndarray]:
    return {"procedure_gestart": rng.random(n) < 0.35,
            "gezinstype": rng.choice(HOUSEHOLDS, n, p=[0.5, 0.3, 0.2]),
            "leeftijd": rng.integers(18, 80, n).astype(float),
            "caw": rng.choice(CAWS, n)}


def _design(x: dict[str, np.ndarray], truth: dict[str, float]) -> np.ndarray:
    lp = np.zeros(x["leeftijd"].size)
    for term, b in truth.items():
        if term == "procedure_gestart":
            lp += b * x[term]
        elif term == "leeftijd":
            lp += b * (x[term] - 45.0)
        else:
            level = term[len("gezinstype["):-1]
            lp += b * (x["gezinstype"] == level)
    return lp


def _frame(x, start, days, outcome, closed_any) -> pl.DataFrame:
    """The trajectories columns from start day, days to closure and outcome (sampled rows)."""
    closure_day = start + days
    active = (start <= CUTOFF) & (~closed_any | (closure_day >= 0))
    closed = closed_any & (closure_day <= CUTOFF)
    keep = active
    end = np.where(closed, days, CUTOFF - start)
    return pl.DataFrame({
        "in_scope": np.ones(keep.sum(), dtype=bool),
        "active": np.ones(keep.sum(), dtype=bool),
        "entry_days": np.maximum(0, -start)[keep].astype(np.int64),
        "days_to_closure": end[keep].astype(np.int64),
        "closed": closed[keep],
        "closure_outcome": pl.Series(outcome[keep].astype(str)).zip_with(
            pl.Series(closed[keep]), pl.Series([None] * int(keep.sum()), dtype=pl.String)),
        **{k: v[keep] for k, v in x.items()},
    })


def latent_competing(n: int, seed: int, years_back: int = 3) -> pl.DataFrame:
    """Latent Weibull competing risks, starts over ``years_back`` years before Y and Y."""
    rng = np.random.default_rng(seed)
    x = _covariates(rng, n)
    caw_effect = {c: 0.15 * i for i, c in enumerate(CAWS)}
    caw_lp = np.vectorize(caw_effect.get)(x["caw"])
    names = list(CAUSE_SPECIFIC_TRUTH)
    latent = np.empty((len(names), n))
    for k, name in enumerate(names):
        shape, scale = CAUSE_SHAPES[name]
        rate = np.exp(_design(x, CAUSE_SPECIFIC_TRUTH[name]) + caw_lp) / scale**shape
        latent[k] = (rng.exponential(size=n) / rate) ** (1 / shape)
    first = latent.argmin(axis=0)
    days = np.floor(latent.min(axis=0)).astype(np.int64)
    start = rng.integers(-365 * years_back, CUTOFF + 1, n)
    return _frame(x, start, days, np.asarray(names)[first], np.ones(n, dtype=bool))


#: Fine-Gray design: log SHR of cause 1 (uithuisgezet) and log HR of cause 2 given cause 2
FINE_GRAY_TRUTH = {"procedure_gestart": np.log(2.0), "gezinstype[eenoudergezin]": -0.5,
                   "gezinstype[koppel_met_kinderen]": 0.0, "leeftijd": 0.0}
FINE_GRAY_CAUSE2 = {"procedure_gestart": -0.3, "gezinstype[eenoudergezin]": 0.3,
                    "gezinstype[koppel_met_kinderen]": 0.0, "leeftijd": 0.0}
FG_P, FG_DAYS = 0.3, 200.0  # p of the design; one unit of its time = 200 days


def fine_gray_model(n: int, seed: int) -> pl.DataFrame:
    """Fine & Gray (1999) design, the year's intake cohort (starts within Y)."""
    rng = np.random.default_rng(seed)
    x = _covariates(rng, n)
    e1 = np.exp(_design(x, FINE_GRAY_TRUTH))
    e2 = np.exp(_design(x, FINE_GRAY_CAUSE2))
    p1 = 1 - (1 - FG_P) ** e1  # P(cause 1 | x)
    cause1 = rng.random(n) < p1
    # cause 1: invert F1(t)/p1 with F1(t) = 1 - (1 - p (1 - e^-t))^e1
    u = rng.random(n) * p1
    t1 = -np.log(1 - (1 - (1 - u) ** (1 / e1)) / FG_P)
    t2 = rng.exponential(1 / e2)
    t = np.where(cause1, t1, t2) * FG_DAYS
    outcome = np.where(cause1, "uithuisgezet", "vermeden")
    start = rng.integers(0, CUTOFF + 1, n)
    return _frame(x, start, np.floor(t).astype(np.int64), outcome, np.ones(n, dtype=bool))
