"""Funnel limits and Holm's adjustment against R (tests/reference/stats_cr2_margins.R).

Funnel: base R qpois/ppois with Spiegelhalter's (2005) interpolation; tolerance
rtol 1e-9 (both evaluate the same Poisson distribution functions). Holm: R
``p.adjust(method = "holm")``, exact.
"""

import numpy as np
import pytest
from scipy import stats
from stats_testlib import load_reference

from pipeline.stats.funnel import normal_limits, poisson_limits, signal
from pipeline.stats.multiplicity import holm

REF = load_reference("stats_cr2_margins")


@pytest.mark.parametrize("level, lower, upper", [(0.95, "FUNNEL_025", "FUNNEL_975"),
                                                 (0.998, "FUNNEL_001", "FUNNEL_999")])
def test_poisson_limits_match_r(level, lower, upper):
    lo, hi = poisson_limits(REF.FUNNEL_E, level)
    np.testing.assert_allclose(lo, getattr(REF, lower), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hi, getattr(REF, upper), rtol=1e-9)


def test_interpolated_limit_lies_between_the_bracketing_counts():
    e = 37.0
    lo, hi = poisson_limits(e, 0.95)
    r = stats.poisson.ppf(0.975, e)
    assert (r - 1) / e <= hi[0] <= r / e
    assert stats.poisson.cdf(np.floor(hi[0] * e), e) <= 0.975 <= stats.poisson.cdf(r, e)
    assert 0 < lo[0] < 1 < hi[0]


def test_normal_approximation_converges_to_the_exact_limits():
    for e in (400.0, 10_000.0):
        exact, approx = poisson_limits(e, 0.998), normal_limits(e, 0.998)
        assert np.abs(exact[0] - approx[0])[0] < 0.6 / np.sqrt(e)
        assert np.abs(exact[1] - approx[1])[0] < 0.6 / np.sqrt(e)
    lo, hi = normal_limits(4.0, 0.95)
    assert lo[0] == pytest.approx(1 - 1.959964 / 2, abs=1e-6) and hi[0] == pytest.approx(
        1 + 1.959964 / 2, abs=1e-6)
    assert np.isnan(poisson_limits(0.0, 0.95)[0][0])


def test_signal():
    assert signal(1.5, 0.6, 1.4) == "hoger" and signal(0.5, 0.6, 1.4) == "lager"
    assert signal(1.4, 0.6, 1.4) is None and signal(None, 0.6, 1.4) is None


def test_holm_matches_r():
    got = holm(REF.HOLM_P)
    expected = [np.nan if v is None else v for v in REF.HOLM_ADJ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert holm([]) == [] and np.isnan(holm([None])[0])
