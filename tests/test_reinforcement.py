"""The reinforcement analysis (issue 14 item 3): PPML against R, the wild cluster score
bootstrap's properties (deterministic, holds its level with ten regions, covers a known
elasticity), and the block on the project's generator whose intake follows FTE to a
known power (truth.json: intake model fte_power)."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipeline.reference import load_reference
from pipeline.reinforcement import (
    _design,
    _usable,
    estimate,
    fte_panel,
    monthly_panel,
    reinforcement,
)
from pipeline.results import load_schema
from pipeline.stats.count_model import _irls, independent_columns, poisson_fit
from pipeline.stats.wild_bootstrap import WEBB, ScoreBootstrap, linearise, webb_weights
from pipeline.synthetic.config import SynthConfig
from pipeline.synthetic.simulate import simulate
from pipeline.trends import complete_years
from pipeline.years import trajectories

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("stats_count_model",
                                               REFERENCE / "stats_count_model.py")
R = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(R)
_spec_wcr = importlib.util.spec_from_file_location("stats_wcr_linear",
                                                   REFERENCE / "stats_wcr_linear.py")
R_WCR = importlib.util.module_from_spec(_spec_wcr)
_spec_wcr.loader.exec_module(R_WCR)
YEARS = [2011, 2012, 2013]


def _r_panel() -> pl.DataFrame:
    return pl.read_csv(REFERENCE / "ppml_panel.csv", try_parse_dates=True)


@pytest.mark.parametrize("model", ["fe", "fe_trends", "fe_offset"])
def test_ppml_matches_r_glm_quasipoisson(model: str) -> None:
    panel = _r_panel()
    z, _ = _design(panel, region_trends=model == "fe_trends")
    offset = np.log(panel["n"].to_numpy()) if model == "fe_offset" else None
    fit = poisson_fit(np.column_stack([z, np.log(panel["fte"].to_numpy())]),
                      panel["y"].to_numpy(), offset)
    want = R.LOG_FTE[model]
    assert fit.coef[-1] == pytest.approx(want["coef"], rel=R.REL_TOL)
    assert fit.se[-1] == pytest.approx(want["se"], rel=R.REL_TOL)
    assert fit.dispersion == pytest.approx(want["dispersion"], rel=R.REL_TOL)
    assert fit.deviance == pytest.approx(want["deviance"], rel=R.REL_TOL)
    # 1 + 9 regions + 35 months (+ 9 trends: the first region's is left out, as the
    # trends of all ten would be collinear with the month effects) + log FTE
    assert fit.rank == z.shape[1] + 1 == (55 if model == "fe_trends" else 46)


def test_aliased_column_is_dropped_like_r() -> None:
    panel = _r_panel()
    z, _ = _design(panel, region_trends=False)
    x = np.log(panel["fte"].to_numpy())
    fit = poisson_fit(np.column_stack([z, x, 2 * x]), panel["y"].to_numpy())
    assert np.isnan(fit.coef[-1]) and fit.coef[-2] == pytest.approx(R.LOG_FTE["fe"]["coef"],
                                                                    rel=R.REL_TOL)


def test_webb_weights_have_mean_zero_variance_one_and_six_points() -> None:
    assert WEBB.mean() == pytest.approx(0) and (WEBB ** 2).mean() == pytest.approx(1)
    w = webb_weights(60_000, 10, seed=1)
    assert set(np.unique(w)) == set(WEBB)
    assert np.array_equal(w, webb_weights(60_000, 10, seed=1))


def _rademacher(groups: int) -> np.ndarray:
    """All 2^G sign vectors (an exact enumeration instead of random draws)."""
    return np.array(list(itertools.product([-1.0, 1.0], repeat=groups)))


@pytest.mark.parametrize("key", sorted(R_WCR.WCR))
def test_wcr_linear_model_matches_r_by_exact_enumeration(key: tuple[str, float]) -> None:
    """In a linear model the linearised refit is exact: WCR with CV1 or CV3 over all 64
    Rademacher sign vectors of 6 clusters, against base R's lm refits (wcr_linear.R)."""
    variance, b0 = key
    d = pl.read_csv(REFERENCE / "wcr_panel.csv")
    g, t = d["g"].to_numpy() - 1, d["t"].to_numpy()
    x, y = d["x"].to_numpy(), d["y"].to_numpy()
    z = np.column_stack([np.ones(len(y))] + [(g == k).astype(float) for k in range(1, 6)]
                        + [(t == k).astype(float) for k in range(2, 9)])
    r = y - b0 * x
    u = r - z @ np.linalg.lstsq(z, r, rcond=None)[0]  # restricted residuals
    lin = linearise(x, z, np.ones(len(y)), u, g, 6)
    t_data = lin.statistic(np.ones((1, 6)), "t", variance)[0]
    t_star = lin.statistic(_rademacher(6), "t", variance)
    want = R_WCR.WCR[key]
    assert t_data == pytest.approx(abs(want["t"]), rel=1e-8)
    assert np.mean(t_star >= t_data * (1 - 1e-12)) == want["p"]


def test_linearised_draws_equal_explicit_weighted_refits_for_ppml() -> None:
    """For PPML the bootstrap refit is one Newton step from the restricted fit: the
    shortcut (G x G matrices, FWL) equals the step done the long way (weighted least
    squares on the whole design, the jackknife by dropping each region's rows)."""
    panel = _r_panel()
    z, _ = _design(panel, region_trends=False)
    x, y = np.log(panel["fte"].to_numpy()), panel["y"].to_numpy().astype(float)
    test = ScoreBootstrap.build(y, x, z, panel["caw"].to_numpy(), draws=3, seed=2)
    b0 = 0.3
    lin = test.linearised(b0)
    _, mu, _, _ = _irls(test.z, y, b0 * x, 100, 1e-10)
    xfull = np.column_stack([test.z, x])
    groups = test.weights.shape[1]

    def step(rows: np.ndarray, v: np.ndarray) -> tuple[float, np.ndarray]:
        """Newton step of the full model on the perturbed score residuals v_g (y - mu0)."""
        u_star = v[test.cluster[rows]] * (y - mu)[rows]
        xr = xfull[rows][:, independent_columns(xfull[rows])]
        sw = np.sqrt(mu[rows])
        delta = np.linalg.lstsq(xr * sw[:, None], u_star / sw, rcond=None)[0]
        return delta[-1], u_star - mu[rows] * (xr @ delta)

    every = np.ones(len(y), dtype=bool)
    bread = np.linalg.inv(xfull.T @ (mu[:, None] * xfull))
    for v in test.weights:
        b_star, resid = step(every, v)
        scores = [xfull[test.cluster == g].T @ resid[test.cluster == g] for g in range(groups)]
        cv1 = (bread @ sum(np.outer(sc, sc) for sc in scores) @ bread)[-1, -1]
        jack = np.array([step(test.cluster != g, v)[0] for g in range(groups)])
        cv3 = (groups - 1) / groups * np.sum((jack - b_star) ** 2)
        assert lin.statistic(v[None, :], "t", "cv1")[0] == pytest.approx(
            abs(b_star) / np.sqrt(cv1), rel=1e-7)
        assert lin.statistic(v[None, :], "t", "cv3")[0] == pytest.approx(
            abs(b_star) / np.sqrt(cv3), rel=1e-7)
        assert lin.statistic(v[None, :], "score")[0] == pytest.approx(
            (b_star * lin.q) ** 2, rel=1e-7)


@functools.cache
def _fte_panel() -> pl.DataFrame:
    events = load_reference().extra_fte.group_by("caw").agg(pl.col("vanaf").min().alias("event"))
    return (fte_panel(load_reference(), YEARS).sort("caw", "month")
            .join(events, on="caw", how="left"))


def _simulated_panel(seed: int, power: float, size: float = 1.0) -> pl.DataFrame:
    """Region x month starts, E = exp(region + season) x FTE ** power, overdispersed (NB
    with shape 20); FTE in force from the shipped reference (the circular's two dates)."""
    rng = np.random.default_rng(seed)
    panel = _fte_panel()
    codes = {c: i for i, c in enumerate(sorted(panel["caw"].unique()))}
    level = rng.normal(1.5, 0.5, len(codes))
    season = rng.normal(0, 0.1, 36)
    r = np.array([codes[c] for c in panel["caw"]])
    t = ((panel["month"].dt.year() - 2011) * 12 + panel["month"].dt.month() - 1).to_numpy()
    mu = size * np.exp(level[r] + season[t]) * panel["fte"].to_numpy() ** power
    y = rng.negative_binomial(20, 20 / (20 + mu))
    return panel.with_columns(pl.Series("starts", y))


def _unequal_panel(seed: int) -> pl.DataFrame:
    """Power 0 with regions of fixed, unequal size, as in the generator: E[starts] =
    26.66 / 12 x the region's FTE of June 2012 x season (MTM nine times BMK). Unlike
    _simulated_panel the regions are not exchangeable, which a randomisation test over
    regions needs and a bootstrap does not."""
    rng = np.random.default_rng(seed)
    panel = _fte_panel()
    base = panel.filter(pl.col("month") == dt.date(2012, 6, 1)).sort("caw")
    level = dict(zip(base["caw"], np.log(26.66 / 12 * base["fte"].to_numpy()), strict=True))
    season = rng.normal(0, 0.1, 36)
    t = ((panel["month"].dt.year() - 2011) * 12 + panel["month"].dt.month() - 1).to_numpy()
    mu = np.exp(np.array([level[c] for c in panel["caw"]]) + season[t])
    y = rng.negative_binomial(20, 20 / (20 + mu))
    return panel.with_columns(pl.Series("starts", y))


def _randomisation_p(panel: pl.DataFrame, permutations: int, seed: int) -> float:
    """Randomisation inference over regions (a check, not the method): the regions' FTE
    paths permuted (the identity plus `permutations` random ones), the same studentised
    statistic as the bootstrap (score-t with the CV3 jackknife) at elasticity 0, whose
    restricted fit does not depend on the FTE. The panel is sorted by region and month."""
    z, _ = _design(panel, region_trends=False)
    z = z[:, independent_columns(z)]
    y = panel["starts"].to_numpy().astype(float)
    codes, cluster = np.unique(panel["caw"].to_numpy(), return_inverse=True)
    groups = len(codes)
    paths = np.log(panel["fte"].to_numpy()).reshape(groups, -1)
    rng = np.random.default_rng(seed)
    perms = [np.arange(groups)] + [rng.permutation(groups) for _ in range(permutations)]
    xs = np.stack([paths[p].ravel() for p in perms], axis=1)  # n x (1 + permutations)
    _, mu, _, _ = _irls(z, y, np.zeros(len(y)), 100, 1e-10)

    def slope(rows: np.ndarray) -> np.ndarray:
        zr = z[rows][:, independent_columns(z[rows])]
        w = mu[rows, None]
        tilde = xs[rows] - zr @ np.linalg.solve(zr.T @ (w * zr), zr.T @ (w * xs[rows]))
        return (tilde * (y - mu)[rows, None]).sum(0) / (tilde ** 2 * w).sum(0)

    b = slope(np.ones(len(y), dtype=bool))
    jack = np.array([slope(cluster != g) - b for g in range(groups)])
    t = np.abs(b) / np.sqrt((groups - 1) / groups * np.sum(jack ** 2, axis=0))
    return float(np.mean(t >= t[0] * (1 - 1e-12)))


def _test(panel: pl.DataFrame, draws: int, seed: int, region_trends: bool = False
          ) -> ScoreBootstrap:
    z, _ = _design(panel, region_trends=region_trends)
    return ScoreBootstrap.build(panel["starts"].to_numpy(), np.log(panel["fte"].to_numpy()), z,
                                panel["caw"].to_numpy(), draws=draws, seed=seed)


def test_bootstrap_is_deterministic_with_a_seed() -> None:
    panel = _simulated_panel(3, power=0.8)
    one, two = estimate(panel, region_trends=False, draws=999, seed=5), estimate(
        panel, region_trends=False, draws=999, seed=5)
    assert one == two
    assert one["ci"][0] < one["elasticity"] < one["ci"][1]
    other = estimate(panel, region_trends=False, draws=999, seed=6)
    assert other["elasticity"] == one["elasticity"]  # the seed moves only the inference
    assert "B = 999, seed 5" in one["inference"]


def test_interval_is_the_set_the_test_does_not_reject() -> None:
    """The CI inverts the same test (same draws) that gives the p-value: p at each bound
    is at the level, just inside it above, and the CI excludes 0 exactly when p <= 0.05."""
    panel = _simulated_panel(3, power=0.8)
    block = estimate(panel, region_trends=False, draws=999, seed=5)
    test = _test(panel, 999, 5)
    lo, hi = block["ci"]
    width = hi - lo
    for bound, inward in ((lo, +1), (hi, -1)):
        assert test.p_value(bound + inward * 0.01 * width) > 0.05
        assert test.p_value(bound - inward * 0.01 * width) <= 0.05
    assert (block["p"] <= 0.05) == (not lo <= 0 <= hi)


def _rejection_rate(seeds: range, draws: int, region_trends: bool = False) -> float:
    rejected = [(_test(_simulated_panel(s, power=0.0), draws, s, region_trends).p_value(0.0)
                 <= 0.05) for s in seeds]
    return float(np.mean(rejected))


def test_score_bootstrap_holds_its_level_fast() -> None:
    # 200 data sets under a true elasticity 0: binomial sd of the rate 1.5 points
    rate = _rejection_rate(range(200), 399)
    assert 0.01 <= rate <= 0.10, rate


@pytest.mark.slow
@pytest.mark.parametrize("region_trends", [False, True])
def test_score_bootstrap_holds_its_level(region_trends: bool) -> None:
    # Measured (seeds 0-1999, B = 999): 6.2 % without and 5.95 % with region trends at a
    # nominal 5 % (sd of a rate over 2,000 data sets: 0.49 points). The raw-score
    # bootstrap that came before rejected 7.1 % / 6.5 %, the score-t with the sandwich
    # (CV1) per draw 6.7 % / 5.95 %. The band is 5 % +- 3 sd: a regression to the raw
    # score's 7 % or to the cluster sandwich's 10 % fails, and so does a test that turned
    # conservative.
    rate = _rejection_rate(range(2000), 999, region_trends)
    assert 0.035 <= rate <= 0.065, rate


@pytest.mark.slow
@pytest.mark.parametrize("region_trends", [False, True])
def test_score_bootstrap_holds_its_level_with_regions_of_unequal_size(region_trends: bool
                                                                       ) -> None:
    # Measured (seeds 0-1999, B = 999): 4.55 % without and 3.8 % with region trends (the
    # score-t with CV1: 5.6 % / 4.4 %). Same band as above.
    rate = float(np.mean([_test(_unequal_panel(s), 999, s, region_trends).p_value(0.0)
                          <= 0.05 for s in range(2000)]))
    assert 0.035 <= rate <= 0.065, rate


@pytest.mark.slow
def test_randomisation_inference_over_regions_as_a_check() -> None:
    """Why the report does not use randomisation inference: it is exact only when the
    regions are exchangeable (as if the circular had handed out its amounts at random),
    and with regions of unequal size it is not. Measured (seeds 0-999, 999 permutations):
    6.2 % at 5 % on _unequal_panel, where the bootstrap rejects 4.7 % of the same panels;
    5.3 % on _simulated_panel (regions exchangeable: exact by construction), where the
    bootstrap rejects 6.4 %. sd of a rate over 1,000 panels: 0.7 points. The band only
    guards the check's own code."""
    rate = float(np.mean([_randomisation_p(_unequal_panel(s), 999, 10_000 + s) <= 0.05
                          for s in range(1000)]))
    assert 0.03 <= rate <= 0.09, rate


@pytest.mark.slow
@pytest.mark.parametrize("region_trends", [False, True])
def test_interval_covers_a_known_power_at_its_nominal_rate(region_trends: bool) -> None:
    # Measured (seeds 1000-1299, B = 999): 95.3 % without region trends (median width
    # 0.48, 0 rejected in 98 %), 94.7 % with them (width 0.90, 0 rejected in 82 %).
    covered = []
    for seed in range(300):
        block = estimate(_simulated_panel(1000 + seed, power=0.8), region_trends=region_trends,
                         draws=999, seed=seed)
        lo, hi = block["ci"]
        covered.append((lo is None or lo <= 0.8) and (hi is None or 0.8 <= hi))
    assert 0.91 <= np.mean(covered) <= 0.99, np.mean(covered)  # 95 % +- 3 sd (1.3 points)


@pytest.fixture(scope="module")
def synthetic() -> tuple[dict, pl.DataFrame, list[int]]:
    """The project's generator, default settings (growth trends OVL/BRU, power 0.8)."""
    sim = simulate(YEARS, 3, n_per_year=3000)
    valid = sim.frame.drop([c for c in sim.frame.columns if c.startswith("_")])
    years = complete_years(valid, load_reference(), 2013)
    return sim.truth, trajectories(valid, 2013), years


def test_generator_power_is_covered_single_seed(synthetic) -> None:
    truth, traj, years = synthetic
    power = truth["intake"]["fte_power"]
    assert power == 0.8
    block = reinforcement(traj, load_reference(), years, draws=1999)
    lo, hi = block["ci"]
    assert lo < power < hi and lo > 0  # covers the truth and rejects 0
    assert block["p"] < 0.05
    assert block["n_regions"] == 10 and block["n_months"] == 12 * len(years)


def test_no_effect_on_the_generator_is_not_found() -> None:
    config = SynthConfig(fte_power=0.0)
    sim = simulate(YEARS, 4, n_per_year=3000, config=config)
    traj = trajectories(sim.frame.drop([c for c in sim.frame.columns if c.startswith("_")]),
                        2013)
    block = reinforcement(traj, load_reference(), YEARS, draws=999)
    assert block["ci"][0] < 0 < block["ci"][1] and block["p"] > 0.05


@pytest.mark.slow
def test_no_effect_on_the_generator_holds_its_level() -> None:
    """The production design (region trends, B = 999 here) on 1,000 deliveries of the
    project's generator at power 0 (3,000 starts a year, OVL growing, BRU shrinking).
    Measured (seeds 300-1299): 3.5 % at 5 % and 10.6 % at 10 %, so slightly conservative
    at 5 % here; seeds 100-299 gave 4.5 %. The lower end of the band is wider for that."""
    rejected = []
    for seed in range(300, 1300):
        sim = simulate(YEARS, seed, n_per_year=3000, config=SynthConfig(fte_power=0.0))
        traj = trajectories(sim.frame.drop([c for c in sim.frame.columns if c.startswith("_")]),
                            2013)
        data = _usable(monthly_panel(traj, load_reference(), YEARS), "starts")
        z, _ = _design(data, region_trends=True)
        test = ScoreBootstrap.build(data["starts"].to_numpy(), np.log(data["fte"].to_numpy()),
                                    z, data["caw"].to_numpy(), draws=999, seed=seed)
        rejected.append(test.p_value(0.0) <= 0.05)
    assert 0.025 <= np.mean(rejected) <= 0.065, np.mean(rejected)


def test_block_shape_event_study_and_schema(synthetic) -> None:
    from jsonschema import Draft202012Validator

    _, traj, years = synthetic
    block = reinforcement(traj, load_reference(), years, draws=999)
    months = [e["month"] for e in block["event_study"]]
    assert months == list(range(-12, 13))
    assert block["event_study"][11] == {"month": -1, "coef": 0.0, "lower": None, "upper": None}
    assert block["outcome"] == "starts per month"
    assert block["waiting_time"]["elasticity"] is not None
    # follow-up ends 2013-12-31: the months after the reinforcement are not followed for a year
    assert block["evicted_12m"]["too_early"] is True
    schema = load_schema()
    sub = {"$defs": schema["$defs"], **schema["properties"]["reinforcement"]}
    Draft202012Validator(sub).validate(block)


def test_a_tiny_delivery_gives_open_bounds_and_problems_not_a_crash() -> None:
    """300 rows a year (seed 7, as a test delivery of the end-to-end tests): the restricted
    fits of the score bootstrap fail far from the estimate; the block says so instead of
    stopping the yearly run."""
    sim = simulate(YEARS, 7, n_per_year=300)
    valid = sim.frame.drop([c for c in sim.frame.columns if c.startswith("_")])
    years = complete_years(valid, load_reference(), 2013)
    block = reinforcement(trajectories(valid, 2013), load_reference(), years, draws=199)
    # measured: evictions within 12 months give an elasticity of about -20, no bound at all
    assert None in block["evicted_12m"]["ci"]
    for part in (block, block["waiting_time"], block["evicted_12m"]):
        lo, hi = part["ci"]
        if part["elasticity"] is not None and (lo is None or hi is None):
            assert any("bound" in p for p in part["problems"])
