"""The multi-year trends (issue 14 item 1): computed per year from the delivered
registrations with that year's cut-off, so a year added to the delivery changes only
its own column; the year Y column equals the yearly indicators; the 2011 study's
figures come from the reference norms."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest
from jsonschema import Draft202012Validator

from pipeline.indicators import programme_indicators
from pipeline.measures import wilson
from pipeline.reference import load_reference, with_norms
from pipeline.results import load_schema
from pipeline.synthetic.simulate import simulate
from pipeline.trends import TrendSettings, complete_years, study_2011, trends
from pipeline.years import trajectories

CLOSURE_FIELDS = ("datum_afsluiting", "afsluitreden", "uithuiszetting_vermeden",
                  "handelingsdoelen", "nazorg", "doorverwezen")


def _valid(sim) -> pl.DataFrame:
    return sim.frame.drop([c for c in sim.frame.columns if c.startswith("_")])


@pytest.fixture(scope="module")
def deliveries() -> tuple[pl.DataFrame, pl.DataFrame]:
    """B: a delivery up to 2014; A: the same registrations as they stood on 2013-12-31
    (later starts absent, later closures not yet registered)."""
    later = _valid(simulate([2011, 2012, 2013, 2014], 21, n_per_year=1500))
    end = dt.date(2013, 12, 31)
    after = pl.col("datum_afsluiting") > end
    earlier = (later.filter(pl.col("datum_start") <= end)
               .with_columns(pl.when(after).then(None).otherwise(pl.col(c)).alias(c)
                             for c in CLOSURE_FIELDS))
    return earlier, later


def test_a_year_added_changes_only_its_own_column(deliveries) -> None:
    earlier, later = deliveries
    reference = load_reference()
    old, new = trends(earlier, reference, 2013), trends(later, reference, 2014)
    assert new["years"] == [*old["years"], 2014]
    assert new["per_year"][:-1] == old["per_year"]
    for before, after in zip(old["per_caw"], new["per_caw"], strict=True):
        assert after["caw"] == before["caw"]
        assert after["per_year"][:-1] == before["per_year"]
    assert new["per_year"][-1]["year"] == 2014 and new["per_year"][-1]["starts"] > 0


def test_year_y_equals_the_yearly_indicators(deliveries) -> None:
    _, later = deliveries
    reference = load_reference()
    block = trends(later, reference, 2014)
    yearly = programme_indicators(trajectories(later, 2014), reference, 2014)
    last = block["per_year"][-1]
    overall = yearly["overall"]
    assert last["active"] == overall["active"] and last["closed"] == overall["closed"]
    assert last["starts"] == overall["started"]
    assert last["clients_per_fte"] == overall["clients_per_fte"]
    assert last["caseload_per_fte"] == overall["mean_caseload_per_fte"]
    assert last["rmst_days"] == overall["rmst_days"] is not None
    assert last["re_referral_share"] == yearly["re_referral"]["overall"]["rate"]
    ovl = next(r for r in block["per_caw"] if r["caw"] == "OVL")["per_year"][-1]
    assert ovl["clients_per_fte"] == next(
        r for r in yearly["per_caw"] if r["caw"] == "OVL")["clients_per_fte"]


def test_counts_and_shares_by_direct_count(deliveries) -> None:
    _, later = deliveries
    block = trends(later, load_reference(), 2014)
    row = next(r for r in block["per_caw"] if r["caw"] == "MTM")["per_year"][0]
    year = row["year"]
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    mtm = later.filter(pl.col("caw") == "MTM")
    assert row["starts"] == mtm.filter(pl.col("datum_start").is_between(first, last)).height
    assert row["referrals"] == mtm.filter(
        pl.col("datum_aanmelding").is_between(first, last) & (pl.col("datum_start") <= last)
    ).height
    closed = mtm.filter(pl.col("datum_afsluiting").is_between(first, last))
    evicted = closed.filter(pl.col("afsluitreden") == "uithuisgezet").height
    avoided = closed.filter((pl.col("afsluitreden") != "uithuisgezet")
                            & (pl.col("uithuiszetting_vermeden") == "ja")).height
    assert row["closed"] == closed.height
    assert row["evicted_share"] == pytest.approx(evicted / closed.height, rel=1e-5)
    assert row["avoided_share"] == pytest.approx(avoided / closed.height, rel=1e-5)
    assert row["avoided_ci"] == wilson(avoided, closed.height)
    shares = ("avoided_share", "evicted_share", "not_avoided_share", "unknown_share")
    assert sum(row[k] for k in shares) == pytest.approx(1, abs=1e-5)


def test_years_are_the_complete_years_of_the_window(deliveries) -> None:
    _, later = deliveries
    reference = load_reference()
    # the inferred window starts at the first closure (early 2011): 2012 is the first full year
    assert complete_years(later, reference, 2014) == [2012, 2013, 2014]
    assert complete_years(later, reference, 2014, (2013, 2014, 2010)) == [2013, 2014]
    regions = reference.regions.with_columns(pl.lit(dt.date(2011, 1, 1))
                                             .alias("registratie_sinds"))
    given = reference.__class__(**{**reference.__dict__, "regions": regions})
    assert complete_years(later, given, 2014) == [2011, 2012, 2013, 2014]


def test_study_2011_from_the_norms_per_worker() -> None:
    reference = load_reference()
    study = study_2011(reference)
    assert study["concurrent_per_worker"] == 20 and study["supports_per_worker_year"] == 26.66
    assert study["mean_duration_days"] == 274  # 9 x 365.25 / 12 = 273.9
    assert "niet per VTE" in study["unit"] and "2011" in study["source"]
    changed = study_2011(with_norms(reference, {"gelijktijdig_per_vte": 18,
                                                "gemiddelde_duur_maanden": 10}))
    assert changed["concurrent_per_worker"] == 18 and changed["mean_duration_days"] == 304


def test_settings() -> None:
    settings = TrendSettings(years=(2012, 2013), bootstrap_draws=999)
    assert settings.as_dict() == {"years": [2012, 2013], "exposure": "fte_in_force",
                                  "bootstrap_draws": 999, "seed": 20121201,
                                  "region_trends": True, "event_window": 12}
    with pytest.raises(ValueError):
        TrendSettings(exposure="personen")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.seed = 1  # type: ignore[misc]
    schema = load_schema()
    Draft202012Validator({"$defs": schema["$defs"],
                          **schema["properties"]["settings"]["properties"]["trends"]}
                         ).validate(settings.as_dict())


def test_block_follows_the_schema(deliveries) -> None:
    earlier, _ = deliveries
    block = trends(earlier, load_reference(), 2013)
    schema = load_schema()
    Draft202012Validator({"$defs": schema["$defs"], **schema["properties"]["trends"]}
                         ).validate(block)
