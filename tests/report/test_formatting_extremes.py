"""Numbers no reader can use print as missing instead of failing the report.

A small delivery gives a level without events: its hazard ratio's upper bound is exp of a
huge coefficient (1e300), which the Decimal formatting could not quantise, so the yearly
report failed (tests/test_models.py found it on a real materialisation).
"""

from __future__ import annotations

from pipeline.report import formatting as fmt


def test_an_unbounded_interval_keeps_the_estimate_and_drops_the_bounds() -> None:
    assert fmt.dec(1e300, 2) == fmt.MISSING
    assert fmt.pct(1e300) == fmt.MISSING
    assert fmt.ci(2.0, 0.5, 1e300, 2, "nl") == "2,00"
    assert fmt.bounds(0.5, 1e300) == fmt.MISSING


def test_large_but_real_numbers_still_print() -> None:
    assert fmt.integer(1_234_567_890) == "1.234.567.890"
    assert fmt.dec(1e15, 0) == "1.000.000.000.000.000"
