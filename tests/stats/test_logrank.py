"""Log-rank against R survdiff (tests/reference/stats_logrank.py)."""

import numpy as np
import pytest
from stats_testlib import assert_printed, load_reference

from pipeline.stats import logrank

REF = load_reference("stats_logrank")


def _check(res, ref):
    assert res.groups == ref["groups"]
    for got, want in zip(res.n, ref["n"], strict=True):
        assert got == int(want)
    for got, want in zip(res.observed, ref["observed"], strict=True):
        assert got == int(want)
    for got, want in zip(res.expected, ref["expected"], strict=True):
        assert_printed(got, want, "expected")
    assert_printed(res.statistic, ref["chisq"], "chisq")
    assert res.df == ref["df"]
    assert_printed(res.p, ref["p"], "p")


def test_aml_vs_r(aml):
    _check(logrank(aml["time"], aml["status"], aml["x"]), REF.AML)


def test_ovarian_vs_r(ovarian):
    _check(logrank(ovarian["futime"], ovarian["fustat"], ovarian["rx"]), REF.OVARIAN)


def test_three_groups_matches_statsmodels_secondary(lung):
    from statsmodels.duration.survfunc import survdiff

    sub = lung.filter(lung["ph.ecog"].is_in([0.0, 1.0, 2.0]))
    t, e, g = (sub[c].to_numpy() for c in ("time", "status", "ph.ecog"))
    res = logrank(t, e, g)
    stat, p = survdiff(t, e, g)
    assert res.df == 2
    assert res.statistic == pytest.approx(stat, rel=1e-9)
    assert res.p == pytest.approx(p, rel=1e-7)


def test_degenerate_inputs_say_so():
    res = logrank([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    assert np.isnan(res.statistic) and res.df == 0 and res.problems
    res = logrank([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert np.isnan(res.p) and any("no events" in p for p in res.problems)
    res = logrank([], [], [])
    assert np.isnan(res.statistic)
