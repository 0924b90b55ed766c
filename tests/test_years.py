"""The year definitions on hand-made edge cases (registration-format.md, 'Definitions')."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipeline.years import trajectories, year_counts

D = dt.date


def _frame(rows: list[tuple]) -> pl.DataFrame:
    """(name, start, closure, afsluitreden, uithuiszetting_vermeden) -> a minimal valid frame."""
    return pl.DataFrame(
        rows, orient="row",
        schema={"name": pl.String, "datum_start": pl.Date, "datum_afsluiting": pl.Date,
                "afsluitreden": pl.String, "uithuiszetting_vermeden": pl.String},
    )


ROWS = [
    ("closed_on_cutoff", D(2012, 3, 1), D(2012, 12, 31), "doelen_bereikt", "ja"),
    ("starts_after_cutoff", D(2013, 1, 1), None, None, None),
    ("closes_after_cutoff", D(2012, 6, 1), D(2013, 2, 1), "uithuisgezet", "nee"),
    ("closed_before_year", D(2011, 1, 10), D(2011, 12, 31), "verhuisd", "nee"),
    ("carried_in_closed", D(2011, 10, 1), D(2012, 1, 1), "uithuisgezet", "nee"),
    ("open_long", D(2010, 5, 5), None, None, None),
    ("starts_on_cutoff", D(2012, 12, 31), None, None, None),
    ("closed_unknown", D(2012, 2, 1), D(2012, 4, 1), "andere", "onbekend"),
    ("closed_not_avoided", D(2012, 2, 1), D(2012, 5, 1), "voortijdig_gestopt", "nee"),
]


@pytest.fixture(scope="module")
def year_2012() -> dict[str, dict]:
    frame = trajectories(_frame(ROWS), 2012)
    return {row["name"]: row for row in frame.iter_rows(named=True)}


def test_closure_on_cutoff_day_is_a_closure_in_the_year(year_2012) -> None:
    row = year_2012["closed_on_cutoff"]
    assert (row["active"], row["closed_in_year"], row["open_at_cutoff"], row["closed"]) == \
        (True, True, False, True)
    assert row["days_to_closure"] == 305
    assert row["closure_outcome"] == "vermeden" and row["eviction_avoided"] == 1
    assert row["open_days_in_year"] == 305  # 1 March .. 30 December, closure day excluded


def test_start_after_cutoff_is_out_of_scope(year_2012) -> None:
    row = year_2012["starts_after_cutoff"]
    assert row["in_scope"] is False
    assert (row["active"], row["closed"], row["open_at_cutoff"]) == (False, False, False)
    assert row["days_to_closure"] is None and row["open_days_in_year"] == 0


def test_closure_after_cutoff_is_censored_at_cutoff(year_2012) -> None:
    row = year_2012["closes_after_cutoff"]
    assert row["datum_afsluiting_y"] is None
    assert (row["active"], row["closed_in_year"], row["open_at_cutoff"], row["closed"]) == \
        (True, False, True, False)
    assert row["days_to_closure"] == (D(2012, 12, 31) - D(2012, 6, 1)).days
    assert row["closure_outcome"] is None and row["eviction_avoided"] is None
    assert row["open_days_in_year"] == 214  # 1 June .. 31 December


def test_closed_before_the_year_is_in_survival_sample_but_not_active(year_2012) -> None:
    row = year_2012["closed_before_year"]
    assert row["in_scope"] and row["closed"] and not row["active"]
    assert not row["closed_in_year"] and row["eviction_avoided"] is None
    assert row["closure_outcome"] == "niet_vermeden" and row["open_days_in_year"] == 0
    assert row["entry_days"] is None  # not in the period analysis of 2012


def test_carried_in_and_closed_on_new_year(year_2012) -> None:
    row = year_2012["carried_in_closed"]
    assert row["active"] and row["closed_in_year"]
    # enters the period analysis on 1 January 2012 and leaves the same day, closed
    assert row["entry_days"] == row["days_to_closure"] == (D(2012, 1, 1) - D(2011, 10, 1)).days
    assert row["closure_outcome"] == "uithuisgezet" and row["eviction_avoided"] == 0
    assert row["open_days_in_year"] == 0  # closed on 1 January: not open that day


def test_long_open_trajectory(year_2012) -> None:
    row = year_2012["open_long"]
    assert row["active"] and row["open_at_cutoff"] and row["open_days_in_year"] == 366
    assert row["days_to_closure"] == (D(2012, 12, 31) - D(2010, 5, 5)).days
    assert row["entry_days"] == (D(2012, 1, 1) - D(2010, 5, 5)).days


def test_start_on_cutoff_day(year_2012) -> None:
    row = year_2012["starts_on_cutoff"]
    assert row["active"] and row["open_at_cutoff"]
    assert row["days_to_closure"] == 0 and row["open_days_in_year"] == 1


def test_unknown_outcome_excluded_from_binary_but_counted_as_other(year_2012) -> None:
    unknown, not_avoided = year_2012["closed_unknown"], year_2012["closed_not_avoided"]
    assert unknown["eviction_avoided"] is None and unknown["closure_outcome"] == "onbekend"
    assert not_avoided["eviction_avoided"] == 0
    assert not_avoided["closure_outcome"] == "niet_vermeden"
    assert unknown["entry_days"] == not_avoided["entry_days"] == 0  # started within 2012


def test_counts() -> None:
    counts = year_counts(trajectories(_frame(ROWS), 2012))
    assert counts == {"active": 7, "closed": 4, "open_at_cutoff": 3, "out_of_scope": 1}


def test_rerun_later_gives_the_same_answer() -> None:
    """Later extracts add closures after the cut-off and new starts: year Y does not move."""
    early = _frame([r for r in ROWS if r[0] != "starts_after_cutoff"])
    later = _frame(ROWS + [("new_2013", D(2013, 3, 1), D(2013, 9, 1), "andere", "ja")])
    a = trajectories(early, 2012).filter(pl.col("in_scope")).drop("datum_afsluiting")
    b = trajectories(later, 2012).filter(pl.col("in_scope")).drop("datum_afsluiting")
    assert a.equals(b)


def test_years_touched_is_the_active_definition_as_a_span() -> None:
    """The sensor's years (years_touched) agree with `active` of trajectories, row by row."""
    import numpy as np

    from pipeline.years import years_touched

    rng = np.random.default_rng(20121201)
    starts = [dt.date(2009, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 2000, 300)]
    closures = [None if rng.random() < 0.3 else s + dt.timedelta(days=int(rng.integers(0, 900)))
                for s in starts]
    frame = pl.DataFrame({"datum_aanmelding": starts, "datum_start": starts,
                          "datum_afsluiting": closures,
                          "afsluitreden": [None if c is None else "doelen_bereikt"
                                           for c in closures],
                          "uithuiszetting_vermeden": [None if c is None else "ja"
                                                      for c in closures]})
    for i in range(frame.height):  # a row alone: followed up to its own latest date
        row, last = frame.slice(i, 1), (closures[i] or starts[i]).year
        active = {y for y in range(2002, last + 1) if trajectories(row, y)["active"][0]}
        assert set(years_touched(row, 2002, last)) == active, i
    # the whole file: every year in which some row is active, up to the file's latest date
    horizon = max(max(starts), max(c for c in closures if c is not None)).year
    expected = {y for y in range(2002, horizon + 1) if trajectories(frame, y)["active"].any()}
    assert set(years_touched(frame, 2002, horizon)) == expected
