"""Kaplan-Meier against R survfit (tests/reference/stats_kaplan_meier.py)."""

import numpy as np
import pytest
from stats_testlib import assert_printed, load_reference

from pipeline.stats import kaplan_meier

REF = load_reference("stats_kaplan_meier")


@pytest.mark.parametrize("group", ["Maintained", "Nonmaintained"])
def test_aml_table_and_median_vs_r(aml, group):
    sub = aml.filter(aml["x"] == group)
    km = kaplan_meier(sub["time"].to_numpy(), sub["status"].to_numpy())
    for time, n_risk, n_event, surv, se, lo, up in REF.AML_TABLE[group]:
        i = int(np.flatnonzero(km.timeline == float(time))[0])
        where = f"aml {group} t={time}"
        assert km.n_risk[i] == int(n_risk) and km.n_event[i] == int(n_event), where
        assert_printed(km.survival[i], surv, where + " S")
        assert_printed(km.std_err[i], se, where + " se")
        assert_printed(km.lower[i], lo, where + " lower")
        assert_printed(km.upper[i], up, where + " upper")
    n, events, median, lcl, ucl = REF.AML_MEDIANS[group]
    assert (km.n, km.events) == (int(n), int(events))
    assert_printed(km.median, median, "median")
    assert_printed(km.median_ci[0], lcl, "median lower")
    assert_printed(km.median_ci[1], ucl, "median upper")


def test_ovarian_table_vs_r(ovarian):
    km = kaplan_meier(ovarian["futime"].to_numpy(), ovarian["fustat"].to_numpy())
    for time, n_risk, n_event, surv, se, lo, up in REF.OVARIAN_TABLE:
        assert km.n_event[int(np.flatnonzero(km.timeline == float(time))[0])] == int(n_event)
        s, lower, upper = km.at(float(time))
        i = int(np.flatnonzero(km.timeline == float(time))[0])
        assert km.n_risk[i] == int(n_risk)
        assert_printed(s, surv, f"t={time} S")
        assert_printed(km.std_err[i], se, f"t={time} se")
        assert_printed(lower, lo, f"t={time} lower")
        assert_printed(upper, up, f"t={time} upper")


def test_lung_overall_median_vs_r(lung):
    km = kaplan_meier(lung["time"].to_numpy(), lung["status"].to_numpy())
    n, events, median, lcl, ucl = REF.LUNG_OVERALL
    assert (km.n, km.events) == (int(n), int(events))
    assert_printed(km.median, median)
    assert_printed(km.median_ci[0], lcl)
    assert_printed(km.median_ci[1], ucl)


@pytest.mark.parametrize("ecog", [0, 1, 2, 3])
def test_lung_by_ecog_median_and_quantiles_vs_r(lung, ecog):
    sub = lung.filter(lung["ph.ecog"] == ecog)
    km = kaplan_meier(sub["time"].to_numpy(), sub["status"].to_numpy())
    n, events, median, lcl, ucl = REF.LUNG_ECOG[ecog]
    assert (km.n, km.events) == (int(n), int(events))
    assert_printed(km.median, median, "median")
    assert_printed(km.median_ci[0], lcl, "lcl")
    assert_printed(km.median_ci[1], ucl, "ucl")
    for p, expected in REF.LUNG_ECOG_QUANTILES[ecog].items():
        for got, want in zip(km.quantile(p), expected, strict=True):
            assert_printed(got, want, f"quantile {p}")


def test_median_midpoint_rule_on_a_flat_at_one_half():
    # S drops to exactly 0.5 at t=2 and stays there until t=4: R takes the midpoint (3)
    km = kaplan_meier([1, 2, 4, 5], [0, 1, 1, 0])
    assert km.survival[1] == pytest.approx(2 / 3)
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.survival[1] == 0.5
    assert km.median == 2.5


def test_conf_types_and_at():
    t, e = [1, 2, 2, 3, 5, 8, 8, 9], [1, 1, 0, 1, 0, 1, 1, 0]
    for conf_type in ("log", "log-log", "plain"):
        km = kaplan_meier(t, e, conf_type=conf_type)
        ok = ~np.isnan(km.lower)
        assert np.all(km.lower[ok] <= km.survival[ok] + 1e-12)
        assert np.all(km.upper[ok] >= km.survival[ok] - 1e-12)
    km = kaplan_meier(t, e)
    assert km.at(0.5) == (1.0, 1.0, 1.0)
    assert km.at(2)[0] == km.survival[1] == km.at(2.9)[0]
    np.testing.assert_array_equal(km.at([0, 1])[0], [1.0, km.survival[0]])
    with pytest.raises(ValueError):
        kaplan_meier(t, e, conf_type="arcsin")


def test_log_log_matches_lifelines_secondary(lung):
    # secondary check: lifelines' default interval is the log-log one
    from lifelines import KaplanMeierFitter

    t, e = lung["time"].to_numpy(), lung["status"].to_numpy()
    km = kaplan_meier(t, e, conf_type="log-log")
    kmf = KaplanMeierFitter().fit(t, e)
    ci = kmf.confidence_interval_survival_function_.loc[km.timeline]
    np.testing.assert_allclose(km.survival, kmf.survival_function_.loc[km.timeline].iloc[:, 0])
    np.testing.assert_allclose(km.lower[:-1], ci.iloc[:-1, 0], rtol=1e-6)
    np.testing.assert_allclose(km.upper[:-1], ci.iloc[:-1, 1], rtol=1e-6)


def test_sparse_inputs_say_so():
    km = kaplan_meier([], [])
    assert km.n == 0 and np.isnan(km.median) and km.problems
    km = kaplan_meier([3, 4, 5], [0, 0, 0])
    assert np.all(km.survival == 1) and np.isnan(km.median)
    assert any("no events" in p for p in km.problems)
    km = kaplan_meier([3.0, np.nan, 5.0], [1, 1, 0])
    assert km.n == 2 and any("missing" in p for p in km.problems)
