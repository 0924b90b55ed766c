"""Aalen-Johansen cumulative incidence (tests/reference/stats_competing_risks.py)."""

import numpy as np
import pytest
from stats_testlib import load_reference

from pipeline.stats import cumulative_incidence, kaplan_meier

REF = load_reference("stats_competing_risks")


def test_tied_table_vs_cmprsk_and_stata():
    res = cumulative_incidence(REF.FTIME, REF.FSTAT)
    np.testing.assert_array_equal(res.timeline, REF.TIMES)
    assert res.causes == (1, 2, 3)
    for k in res.causes:
        np.testing.assert_allclose(res.cif[k], REF.CIF[k], rtol=REF.RTOL, atol=1e-12)
        np.testing.assert_allclose(res.se[k], REF.SE[k], rtol=REF.RTOL, atol=1e-12)


def test_tied_table_vs_hand_fractions():
    res = cumulative_incidence(REF.FTIME, REF.FSTAT)
    for k, points in REF.HAND.items():
        for t, value in points.items():
            assert res.at(t)[k] == pytest.approx(value, rel=1e-14)


def test_deterministic_and_order_free():
    rng = np.random.default_rng(7)
    perm = rng.permutation(len(REF.FTIME))
    a = cumulative_incidence(REF.FTIME, REF.FSTAT)
    b = cumulative_incidence(np.array(REF.FTIME)[perm], np.array(REF.FSTAT)[perm])
    for k in a.causes:
        np.testing.assert_array_equal(a.cif[k], b.cif[k])
        np.testing.assert_array_equal(a.se[k], b.se[k])


def test_single_cause_equals_one_minus_kaplan_meier(lung):
    t, e = lung["time"].to_numpy(), lung["status"].to_numpy()
    cif = cumulative_incidence(t, e)
    km = kaplan_meier(t, e)
    np.testing.assert_allclose(cif.cif[1], 1 - km.survival, atol=1e-14)
    # and the delta-method se reduces to Greenwood's
    np.testing.assert_allclose(cif.se[1], km.std_err, rtol=1e-9)


def test_causes_sum_to_one_minus_all_cause_kaplan_meier():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 60, 2000)
    c = rng.choice(["vermeden", "uithuisgezet", "ander", "0"], 2000)
    res = cumulative_incidence(t, c, censor_code="0")
    km = kaplan_meier(t, c != "0")
    total = sum(res.cif[k] for k in res.causes)
    np.testing.assert_allclose(total, 1 - km.survival, atol=1e-12)
    assert set(res.causes) == {"ander", "uithuisgezet", "vermeden"}
    for k in res.causes:
        ok = ~np.isnan(res.lower[k])
        assert np.all(res.lower[k][ok] <= res.cif[k][ok] + 1e-12)
        assert np.all(res.upper[k][ok] >= res.cif[k][ok] - 1e-12)
        assert np.all((res.lower[k][ok] >= 0) & (res.upper[k][ok] <= 1))


def test_at_is_a_right_continuous_step():
    res = cumulative_incidence(REF.FTIME, REF.FSTAT)
    assert res.at(0.5) == {1: 0.0, 2: 0.0, 3: 0.0}
    assert res.at(3.9)[2] == 0.0 and res.at(4)[2] == pytest.approx(28 / 135)
    np.testing.assert_allclose(res.at([1, 100])[1], [1 / 9, 23 / 135])


def test_lifelines_jitter_is_not_needed_here():
    """lifelines' AalenJohansenFitter jitters ties at random; ours gives the exact table."""
    res1 = cumulative_incidence(REF.FTIME, REF.FSTAT)
    res2 = cumulative_incidence(REF.FTIME, REF.FSTAT)
    assert all(np.array_equal(res1.cif[k], res2.cif[k]) for k in res1.causes)


def test_sparse_inputs_say_so():
    res = cumulative_incidence([], [])
    assert res.causes == () and res.problems
    res = cumulative_incidence([1, 2, 3], [0, 0, 0])
    assert res.causes == () and any("no events" in p for p in res.problems)
    assert res.at(10) == {}
