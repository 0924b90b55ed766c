"""Seconds and peak memory of each estimator in ``pipeline.stats`` at 100k and 1M rows,
and of the year's model blocks on a trajectories frame of that many rows.

``models_current`` = pipeline.models time_to_closure + cox_model + closure_incidence +
eviction_model; ``models_outcome`` = pipeline.outcome_models cause_specific (four Cox
fits with delayed entry on the rows active in Y) + fine_gray_models (the intake
cohort). Issue 12 asks the second within the time of the first (all models within 2x).

Why: the yearly pipeline must finish well under two minutes on 1,000,000
trajectories on a 2-core machine, so every estimator has to take seconds, not
minutes. Prints figures; asserts nothing (tests must not depend on machine speed).

Data are synthetic (numpy, fixed seed), shaped like the project's trajectories:
exponential times rounded up to whole days (many ties), ~70% events, three
categorical covariates, an age, four booleans (11 model terms), and 10 CAWs
used as Cox strata and as logistic clusters. The logistic model runs on ~32%
of the rows, as in the pipeline (the year's closures with a ja/nee outcome).

Each (estimator, size) runs in its own child process so that its memory is its
own. ``peak MiB`` is the child's peak resident memory during the call (data
included), ``+peak MiB`` what the call added on top of the resident memory
before it (Linux: the peak is reset through /proc/self/clear_refs just before
the call; polars and numpy buffers live outside Python's allocator, so
tracemalloc would miss some of them). ``--repeat N`` reports the fastest of N
calls in the same child (the shared machine is noisy).

    .venv/bin/python benchmarks/bench_stats.py [--rows 100000 1000000] [--only cox_ph ...]
                                               [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

COVARIATES = ["verhuurder_type", "gezinstype", "inkomensbron", "leeftijd",
              "probleem_huurachterstand", "probleem_onderhoud", "probleem_samenleven",
              "procedure_gestart"]
ESTIMATORS = ("kaplan_meier", "logrank", "cumulative_incidence", "cox_ph",
              "cox_ph_breslow", "concordance_index", "logistic", "fine_gray",
              "models_current", "models_outcome")
# Whole result blocks on a trajectories frame (``trajectory_frame``), as run_year calls them:
# the blocks of issue 4 (``models_current``) and the outcome blocks of issue 12.
MODEL_SETS = {
    "models_current": ("models.time_to_closure", "models.cox_model",
                       "models.closure_incidence", "models.eviction_model"),
    "models_outcome": ("outcome_models.cause_specific", "outcome_models.fine_gray_models"),
}


def synthetic(n: int, seed: int = 20240611) -> pl.DataFrame:
    """Trajectory-like rows: tied integer days, ~70% events, 10 CAWs."""
    rng = np.random.default_rng(seed)
    landlord = rng.choice(["SHM", "corporatie", "particulier"], n, p=[0.5, 0.3, 0.2])
    household = rng.choice(["alleenstaand", "paar", "eenouder", "gezin"], n)
    income = rng.choice(["arbeid", "uitkering", "pensioen", "geen"], n, p=[0.4, 0.4, 0.1, 0.1])
    age = rng.integers(18, 90, n).astype(float)
    flags = rng.random((n, 4)) < np.array([0.6, 0.3, 0.2, 0.25])
    caw = rng.integers(0, 10, n)
    lp = (0.3 * (landlord == "corporatie") - 0.2 * (household == "gezin")
          + 0.25 * (income == "uitkering") - 0.01 * (age - 50) + flags @ [0.2, -0.1, 0.15, 0.4]
          + 0.05 * caw)
    days = np.ceil(rng.exponential(200.0 * np.exp(-lp))).clip(1, None)
    censor = np.ceil(rng.uniform(0, 400, n)).clip(1, None)
    closed = days <= censor
    outcome = rng.choice(["vermeden", "uithuisgezet", "niet_vermeden"], n, p=[0.7, 0.1, 0.2])
    avoided = rng.random(n) < 1 / (1 + np.exp(-(0.8 + 0.5 * lp)))
    return pl.DataFrame({
        "days_to_closure": np.minimum(days, censor).astype(np.int64),
        "closed": closed,
        "cause": np.where(closed, outcome, "0"),
        "verhuurder_type": landlord, "gezinstype": household, "inkomensbron": income,
        "leeftijd": age,
        "probleem_huurachterstand": flags[:, 0], "probleem_onderhoud": flags[:, 1],
        "probleem_samenleven": flags[:, 2], "procedure_gestart": flags[:, 3],
        "caw": np.char.add("CAW", caw.astype(str)),
        "eviction_avoided": avoided,
        "logistic_sample": closed & (rng.random(n) < 0.45),
    })


def trajectory_frame(n: int, seed: int = 20240611) -> pl.DataFrame:
    """A trajectories frame of year Y (pipeline.years.trajectories columns the models read).

    Starts uniform over the three years before Y and Y (day 0 = Y-01-01, cut-off day
    364), so most rows active in Y are carried in (delayed entry). Exponential durations
    (median about 200 days, covariate effects), an outcome per closure that depends on
    procedure_gestart, whole days, ten CAWs. All ``n`` rows are in scope; about half are
    active in Y (the others closed before it).
    """
    base = synthetic(n, seed)
    rng = np.random.default_rng(seed + 1)
    start = rng.integers(-3 * 365, 365, n)
    lp = 0.3 * base["procedure_gestart"].to_numpy()
    days = np.floor(rng.exponential(290.0 * np.exp(-lp))).astype(np.int64)
    p_evict = np.where(base["procedure_gestart"].to_numpy(), 0.2, 0.06)
    u = rng.random(n)
    outcome = np.where(u < p_evict, "uithuisgezet",
                       np.where(u < 0.75, "vermeden",
                                np.where(u < 0.93, "niet_vermeden", "onbekend")))
    closure = start + days
    closed = closure <= 364
    active = ~closed | (closure >= 0)
    avoided = np.where(outcome == "vermeden", 1, np.where(outcome == "onbekend", -1, 0))
    in_year = closed & (closure >= 0)
    return base.drop("days_to_closure", "closed", "cause", "eviction_avoided",
                     "logistic_sample").with_columns(
        in_scope=pl.lit(True), active=pl.Series(active), closed=pl.Series(closed),
        closed_in_year=pl.Series(in_year),
        days_to_closure=pl.Series(np.where(closed, days, 364 - start)),
        entry_days=pl.Series(np.maximum(0, -start)).zip_with(
            pl.Series(active), pl.Series([None] * n, dtype=pl.Int64)),
        closure_outcome=pl.Series(outcome).zip_with(pl.Series(closed),
                                                    pl.Series([None] * n, dtype=pl.String)),
        eviction_avoided=pl.Series(avoided, dtype=pl.Int8).zip_with(
            pl.Series(in_year & (avoided >= 0)), pl.Series([None] * n, dtype=pl.Int8)),
        aanmelder=pl.Series(rng.choice(["shm", "svk", "ocmw", "huurder"], n)),
    )


def _run(name: str, data: pl.DataFrame):
    """Call one estimator the way ``pipeline.models`` does."""
    from pipeline import stats

    t = data["days_to_closure"].to_numpy().astype(float)
    e = data["closed"].to_numpy()
    if name == "kaplan_meier":
        return stats.kaplan_meier(t, e)
    if name == "logrank":  # integer level codes, as pipeline.models passes them
        codes = data["gezinstype"].rank("dense").to_numpy().astype(np.int64)
        return stats.logrank(t, e, codes)
    if name == "cumulative_incidence":
        return stats.cumulative_incidence(t, data["cause"].to_numpy(), censor_code="0")
    if name in ("cox_ph", "cox_ph_breslow"):
        ties = "breslow" if name == "cox_ph_breslow" else "efron"
        return stats.cox_ph(data, "days_to_closure", "closed", COVARIATES, ties=ties,
                            strata=["caw"])
    if name == "concordance_index":
        risk = data["leeftijd"].to_numpy() * -0.01 + data["procedure_gestart"].to_numpy()
        return stats.concordance_index(t, e, risk, data["caw"].to_numpy())
    if name == "fine_gray":  # the intake-cohort size of a 1M frame is about a quarter
        from pipeline.stats.fine_gray import fine_gray
        return fine_gray(data, "days_to_closure", "cause", COVARIATES, event="uithuisgezet",
                         censored="0", strata=["caw"])
    if name in MODEL_SETS:
        import pipeline.models
        import pipeline.outcome_models  # noqa: F401
        for call in MODEL_SETS[name]:
            module, function = call.split(".")
            getattr(getattr(pipeline, module), function)(data)
        return None
    if name == "logistic":
        sample = data.filter(pl.col("logistic_sample"))
        return stats.logistic(sample, "eviction_avoided", COVARIATES, cluster="caw")
    raise ValueError(name)


def _status_mib(field: str) -> float | None:
    """A memory figure of this process from /proc/self/status (Linux), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the peak resident memory (VmHWM) to the current one (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_mib("VmHWM") is not None


def _child(name: str, rows: int, repeat: int) -> None:
    """Time one estimator in this process and print its figures as JSON."""
    data = trajectory_frame(rows) if name in MODEL_SETS else synthetic(rows)
    import statsmodels.api  # noqa: F401  (import time is not fit time)

    from pipeline import stats  # noqa: F401

    exact = _reset_peak()
    before = _status_mib("VmRSS") if exact else None
    if before is None:  # no /proc: the max RSS of the whole process
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        _run(name, data)
        best = min(best, time.perf_counter() - start)
    peak = _status_mib("VmHWM") if exact else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": best, "peak_mib": peak, "added_mib": peak - before}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--only", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS))
    parser.add_argument("--repeat", type=int, default=1, help="report the fastest of N calls")
    parser.add_argument("--child", nargs=2, metavar=("ESTIMATOR", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.repeat)
        return 0
    print(f"{'estimator':<22}{'rows':>10}{'seconds':>10}{'peak MiB':>10}{'+peak MiB':>11}")
    for rows in args.rows:
        for name in args.only:
            done = subprocess.run([sys.executable, __file__, "--child", name, str(rows),
                                   "--repeat", str(args.repeat)],
                                  capture_output=True, text=True, cwd=PROJECT, check=True)
            fig = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{name:<22}{rows:>10,}{fig['seconds']:>10.2f}{fig['peak_mib']:>10,.0f}"
                  f"{fig['added_mib']:>11,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
