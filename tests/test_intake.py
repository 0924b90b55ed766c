"""Intake and waiting time (issue 14 item 2) on a hand-made delivery whose answers are
worked out by hand below."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from jsonschema import Draft202012Validator

from pipeline.intake import intake
from pipeline.reference import load_reference
from pipeline.results import load_schema
from pipeline.years import trajectories

D = dt.date


def _frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, orient="row",
        schema={"caw": pl.String, "dossier_id": pl.String, "client_id": pl.String,
                "datum_aanmelding": pl.Date, "datum_start": pl.Date,
                "datum_afsluiting": pl.Date, "afsluitreden": pl.String,
                "uithuiszetting_vermeden": pl.String})


@pytest.fixture(scope="module")
def block() -> dict:
    rows = [
        # OVL, started 2013: waiting 1, 2, 3, 4, 10 days; one without a referral date
        ("OVL", "a", "k1", D(2013, 1, 9), D(2013, 1, 10), None, None, None),
        ("OVL", "b", "k2", D(2013, 3, 1), D(2013, 3, 3), None, None, None),
        ("OVL", "c", "k3", D(2013, 5, 1), D(2013, 5, 4), None, None, None),
        ("OVL", "d", "k4", D(2012, 12, 30), D(2013, 1, 3), None, None, None),  # by start year
        ("OVL", "e", "k5", D(2013, 6, 1), D(2013, 6, 11), D(2013, 9, 1), "doel_bereikt", "ja"),
        ("OVL", "f", "k6", None, D(2013, 7, 1), None, None, None),
        # OVL 2012: one start, waiting 7
        ("OVL", "g", "k7", D(2012, 4, 1), D(2012, 4, 8), None, None, None),
        # BRU 2013: waiting 0 and 20
        ("BRU", "h", "k8", D(2013, 2, 1), D(2013, 2, 1), None, None, None),
        ("BRU", "i", "k9", D(2013, 2, 1), D(2013, 2, 21), None, None, None),
        # after the cut-off: out of scope
        ("BRU", "j", "k10", D(2013, 12, 1), D(2014, 1, 5), None, None, None),
    ]
    return intake(trajectories(_frame(rows), 2013), load_reference(), 2013, [2012, 2013])


def test_waiting_days_of_the_year(block) -> None:
    # 2013 starts with a referral date: 1, 2, 3, 4, 10 (OVL), 0, 20 (BRU) -> sorted
    # 0 1 2 3 4 10 20: median 3, R type 7 quartiles at positions 2.5 and 5.5 -> 1.5, 7
    assert block["waiting_days"] == {"n": 7, "median": 3.0, "q1": 1.5, "q3": 7.0,
                                     "missing_referral_date": 1}


def test_per_caw_and_year(block) -> None:
    rows = {(r["caw"], r["year"]): r for r in block["per_caw"]}
    ovl13 = rows[("OVL", 2013)]
    assert (ovl13["starts"], ovl13["n"], ovl13["median"], ovl13["q1"], ovl13["q3"]) == (
        6, 5, 3.0, 2.0, 4.0)
    # OVL 2013: base 3.50 + 3.79 (2012-12-01) + 7.52 (2013-01-01) = 14.81 FTE in every month
    assert ovl13["starts_per_fte_month"] == pytest.approx(6 / (12 * 14.81), rel=1e-5)
    ovl12 = rows[("OVL", 2012)]
    assert ovl12["median"] == 7.0 and ovl12["starts"] == 1
    # OVL 2012: 3.50 for eleven months, 3.50 + 3.79 in December
    assert ovl12["starts_per_fte_month"] == pytest.approx(1 / (11 * 3.5 + 7.29), rel=1e-5)
    bru13 = rows[("BRU", 2013)]
    assert (bru13["starts"], bru13["median"], bru13["q1"], bru13["q3"]) == (2, 10.0, 5.0, 15.0)
    assert bru13["starts_per_fte_month"] == pytest.approx(2 / (12 * 2.5), rel=1e-5)
    empty = rows[("LIM", 2013)]
    assert empty["starts"] == 0 and empty["median"] is None
    assert empty["starts_per_fte_month"] == 0.0
    assert len(block["per_caw"]) == 2 * load_reference().regions.height


def test_block_follows_the_schema(block) -> None:
    schema = load_schema()
    Draft202012Validator({"$defs": schema["$defs"], **schema["properties"]["intake"]}
                         ).validate(block)
